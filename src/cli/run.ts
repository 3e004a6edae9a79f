import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { createLogger } from '../log.js';
import { loadConfig } from '../config/index.js';
import { Pipeline } from '../pipeline/pipeline.js';

/** `sluice run --config FILE`: run every pipeline in the foreground until SIGINT/SIGTERM. */
export async function runCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new SluiceError('BAD_ARGUMENT', 'missing --config FILE', 'run `sluice run --config sluice.yaml`');
  const cfg = await loadConfig(values.config);
  const log = createLogger('sluice');
  const controller = new AbortController();
  const stop = (sig: string): void => {
    log.info({ signal: sig }, 'stopping: finishing the current batch');
    controller.abort();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const pipelines = cfg.pipelines.map((p) => new Pipeline({
    config: p, source: cfg.sources[p.source]!, target: cfg.targets[p.target]!, logger: log,
  }));
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
  clearInterval(timer);
  let failed = 0;
  for (const [i, r] of results.entries()) {
    if (r.status === 'rejected') {
      failed++;
      const err = r.reason as unknown;
      process.stderr.write(`sluice: pipeline ${pipelines[i]!.name} failed: ${err instanceof SluiceError ? err.describe() : String(err)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}
