import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { loadConfig, type SluiceConfig } from '../config/index.js';
import type { Pipeline, SkipTarget } from '../pipeline/pipeline.js';
import { SourceReaders, buildPipeline } from '../pipeline/build.js';
import { preflight, resnapshotFix } from '../preflight/preflight.js';

/** Exit code of a permanent setup problem found before any data was touched (and of config errors). */
export const EXIT_PREFLIGHT = 2;

/**
 * `sluice run --config FILE [--resync P]… [--skip P=FILE:POS[:ddl]]… [--resnapshot P=DB.TABLE]…`: run every
 * pipeline in the foreground until SIGINT/SIGTERM, with the same repairs as `sluice serve` offers.
 */
export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: {
    config: { type: 'string', short: 'c' },
    resync: { type: 'string', multiple: true },
    skip: { type: 'string', multiple: true },
    resnapshot: { type: 'string', multiple: true },
  } });
  if (!values.config) throw new SluiceError('BAD_ARGUMENT', 'missing --config FILE', 'run `sluice run --config sluice.yaml`');
  const cfg = await loadConfig(values.config);
  const repairs = parseRepairs(cfg, values);
  const log = createLogger('sluice');
  const controller = new AbortController();
  const stop = (sig: string): void => {
    log.info({ signal: sig }, 'stopping: finishing the current batch');
    controller.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  // Preflight before touching anything: permanent problems (access denied, binlog off, missing grants,
  // incompatible target tables, purged checkpoint) stop here with exit code 2 and nothing created on
  // the target; unreachable servers are waited for, with logs.
  const ready = await preflightUntilReady(cfg, log, controller.signal, repairs.resync);
  if (ready !== null) return ready;

  // One binlog reader per source, shared by all of its pipelines.
  const readers = new SourceReaders(log);
  const pipelines = cfg.pipelines.map((p) => buildPipeline(p, cfg.sources[p.source]!, cfg.targets[p.target]!, {
    logger: log, readers,
    ...(repairs.resync.has(p.name) ? { resync: true } : {}),
    ...(repairs.skip.has(p.name) ? { skip: repairs.skip.get(p.name)! } : {}),
  }));
  // Re-snapshots are asked for once each pipeline streams.
  for (const p of pipelines) {
    const tables = repairs.resnapshot.get(p.name);
    if (tables) void requestWhenStreaming(p, tables, log, controller.signal);
  }
  const timer = setInterval(() => {
    for (const p of pipelines) {
      const s = p.stats;
      log.info({ pipeline: p.name, status: s.status, lagSeconds: s.lagSeconds, rowsApplied: s.rowsApplied, transactions: s.transactionsApplied,
        position: s.position, snapshot: s.status === 'snapshotting' ? `${s.snapshotRowsCopied}/${s.snapshotRowsEstimated}` : undefined }, 'status');
    }
  }, 10_000);
  timer.unref();
  log.info({ pipelines: pipelines.map((p) => p.name) }, 'sluice run started');
  const results = await Promise.allSettled(pipelines.map((p) => p.run(controller.signal)));
  await readers.close();
  clearInterval(timer);
  let failed = 0;
  for (const [i, r] of results.entries()) {
    if (r.status === 'rejected') {
      failed++;
      const err = r.reason as unknown;
      const p = pipelines[i]!;
      let text = err instanceof SluiceError ? err.describe() : String(err);
      if (err instanceof SluiceError && (err.code === 'POSITION_PURGED' || err.code === 'GTID_PURGED')) {
        const pc = cfg.pipelines[i]!;
        text = `${err.code}: ${err.message} — fix: ${resnapshotFix(pc, cfg.targets[pc.target]!.checkpointDatabase)}`;
      }
      process.stderr.write(`sluice: error: pipeline ${p.name} failed: ${text}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

/**
 * Runs the preflight until it passes (null), a permanent problem is found (EXIT_PREFLIGHT, after one line
 * per problem on stderr), or the run is stopped while waiting for a server (0).
 */
async function preflightUntilReady(cfg: SluiceConfig, log: Logger, signal: AbortSignal, resync: ReadonlySet<string>): Promise<number | null> {
  for (let attempt = 1; ; attempt++) {
    const findings = await preflight(cfg, { resync });
    const failures = findings.filter((f) => !f.result.ok);
    const permanent = failures.filter((f) => !f.result.transient);
    if (permanent.length > 0) {
      for (const f of permanent) {
        process.stderr.write(`sluice: error ${f.result.code ?? 'PREFLIGHT_FAILED'}: ${f.name}: ${f.result.what}${f.result.fix ? ` — fix: ${f.result.fix}` : ''}\n`);
      }
      return EXIT_PREFLIGHT;
    }
    if (failures.length === 0) {
      if (attempt === 1) {
        for (const f of findings) if (f.result.warn) log.warn({ check: f.name, code: f.result.code, fix: f.result.fix }, `preflight warning: ${f.result.what}`);
      } else {
        log.warn({ attempt }, 'preflight passed: every source and target is reachable again; starting');
      }
      return null;
    }
    const delayMs = Math.min(30_000, 500 * 2 ** Math.min(attempt - 1, 6));
    log.warn({ attempt, delayMs, problems: failures.map((f) => `${f.name}: ${f.result.what}`) }, 'preflight: a source or target is unreachable; retrying');
    await sleep(delayMs, signal);
    if (signal.aborted) return 0;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

interface Repairs { resync: Set<string>; skip: Map<string, SkipTarget>; resnapshot: Map<string, Array<{ database: string; table: string }>> }

/** The repair flags of `sluice run`, checked against the config's pipelines. */
function parseRepairs(cfg: SluiceConfig, values: { resync?: string[]; skip?: string[]; resnapshot?: string[] }): Repairs {
  const names = new Set(cfg.pipelines.map((p) => p.name));
  const known = (name: string, flag: string): string => {
    if (!names.has(name)) throw new SluiceError('BAD_ARGUMENT', `${flag}: no pipeline named '${name}' in the config`, `use one of: ${[...names].join(', ')}`);
    return name;
  };
  const split = (text: string, flag: string, shape: string): [string, string] => {
    const eq = text.indexOf('=');
    if (eq <= 0) throw new SluiceError('BAD_ARGUMENT', `${flag} ${text}: expected ${shape}`, `write it as ${flag} ${shape}`);
    return [known(text.slice(0, eq), flag), text.slice(eq + 1)];
  };
  const out: Repairs = { resync: new Set(), skip: new Map(), resnapshot: new Map() };
  for (const n of values.resync ?? []) out.resync.add(known(n, '--resync'));
  for (const text of values.skip ?? []) {
    const [name, at] = split(text, '--skip', 'PIPELINE=FILE:POS[:ddl]');
    const m = /^(.+):(\d+)(?::(ddl|transaction))?$/.exec(at);
    if (!m) throw new SluiceError('BAD_ARGUMENT', `--skip ${text}: '${at}' is not FILE:POS[:ddl]`, 'copy the position from the error line, e.g. --skip orders=mysql-bin.000042:1234');
    out.skip.set(name, { file: m[1]!, pos: Number(m[2]), kind: m[3] === 'ddl' ? 'ddl' : 'transaction' });
  }
  for (const text of values.resnapshot ?? []) {
    const [name, table] = split(text, '--resnapshot', 'PIPELINE=DB.TABLE');
    const dot = table.indexOf('.');
    if (dot <= 0 || dot === table.length - 1) throw new SluiceError('BAD_ARGUMENT', `--resnapshot ${text}: '${table}' is not DB.TABLE`, 'name the source table as database.table');
    out.resnapshot.set(name, [...(out.resnapshot.get(name) ?? []), { database: table.slice(0, dot), table: table.slice(dot + 1) }]);
  }
  return out;
}

async function requestWhenStreaming(p: Pipeline, tables: Array<{ database: string; table: string }>, log: Logger, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && p.stats.status !== 'streaming') {
    if (p.stats.status === 'failed' || p.stats.status === 'stopped') return;
    await sleep(200, signal);
  }
  for (const t of tables) {
    if (signal.aborted) return;
    try {
      await p.requestResnapshot(t.database, t.table);
      log.info({ pipeline: p.name, table: `${t.database}.${t.table}` }, 're-snapshot requested');
    } catch (err) {
      log.error({ pipeline: p.name, table: `${t.database}.${t.table}`, err: err instanceof SluiceError ? err.describe() : String(err) }, 're-snapshot not possible');
    }
  }
}
