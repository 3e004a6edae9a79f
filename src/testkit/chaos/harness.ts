/**
 * The fault-injection harness: the supply-chain workload on real servers (a throwaway source MariaDB and a
 * throwaway target: a MariaDB, or a database on the local PostgreSQL; each behind a TCP proxy of ours), `sluice run` processes, and faults injected one after the
 * other from a seeded schedule. After each fault it measures how long the copies take to catch up once
 * the faulty part is back; at the end it stops the writer, lets the copies converge, and compares every
 * table of both pipelines with the source, row by row and column by column. The key-less, insert-only
 * `price_log` tells exactly how many rows were duplicated or lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { startMariaDb } from '../mariadb-server.js';
import { seededRandom } from '../seeded-random.js';
import { TcpProxy } from '../tcp-proxy.js';
import type { TableDiff } from './compare.js';
import { faultSchedule, type Fault, type FaultKind } from './schedule.js';
import { reconnecting, startChaosTarget, type ChaosTarget, type ChaosTargetKind } from './target-side.js';
import { SUPPLY_DB, SupplyChainWriter, createSupplyChainSchema } from './workload.js';

export interface ChaosOptions {
  /** Path of `bin/sluice.js`. */
  sluiceBin: string;
  faults: number;
  seed: number;
  kinds?: readonly FaultKind[];
  /**
   * The copies' server (default mysql). postgres: a throwaway database on the local PostgreSQL; the target
   * restart is then the termination of Sluice's sessions (pg_terminate_backend), read-only the database's
   * default_transaction_read_only with the sessions ended.
   */
  target?: ChaosTargetKind;
  /** Products in the initial copy (default 20000). */
  products?: number;
  leaseSeconds?: number;
  stallTimeoutSeconds?: number;
  /** How long the copies may take to catch up after a fault before it counts as not recovered (default 90 s). */
  recoveryTimeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Keep each instance's log in this directory (`instance-N.log`, written as it comes). */
  keepLogsIn?: string;
}

export interface FaultOutcome {
  kind: FaultKind;
  detail: string;
  /** Seconds from the faulty part being back until both copies had every price_log row the source had then; null: not recovered in time. */
  recoverySeconds: number | null;
  /** Problems seen (e.g. an old instance that did not stop after being fenced). */
  problems: string[];
}

export interface ChaosResult {
  seed: number;
  faults: FaultOutcome[];
  duplicatedRows: number;
  lostRows: number;
  tablesIdentical: boolean;
  maxRecoverySeconds: number | null;
  tables: Array<TableDiff & { copy: string }>;
  problems: string[];
  seconds: number;
}

interface Instance {
  n: number;
  child: ChildProcess;
  exited: Promise<number | string | null>;
  stderr: () => string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds (true) or `ms` passed (false). */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Copies of the source: target database → the source tables it holds (null: every table of the database). */
const COPIES: ReadonlyArray<{ db: string; tables: readonly string[] | null }> = [
  { db: 'order_service', tables: null },
  { db: 'purchase_service', tables: ['product', 'price_log'] },
];

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const started = Date.now();
  const log = opts.log ?? (() => undefined);
  const random = seededRandom(opts.seed);
  const schedule = faultSchedule(opts.faults, random, opts.kinds);
  const lease = opts.leaseSeconds ?? 5;
  const stall = opts.stallTimeoutSeconds ?? 15;
  const recoveryTimeout = opts.recoveryTimeoutMs ?? 90_000;
  const problems: string[] = [];

  const [source, target] = await Promise.all([startMariaDb(), startChaosTarget(opts.target ?? 'mysql')]);
  const sourceProxy = new TcpProxy(source.host, source.port);
  const targetProxy = new TcpProxy(target.host, target.port);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chaos-'));
  const instances: Instance[] = [];
  let writer: SupplyChainWriter | null = null;
  let count = 0;
  const sourceConn = reconnecting(source);
  try {
    await Promise.all([sourceProxy.start(), targetProxy.start()]);
    await createSupplyChainSchema(await sourceConn.get(), opts.products ?? 20_000);
    const config = join(dir, 'sluice.yaml');
    writeFileSync(config, `
sources:
  products:
    type: mysql
    url: mysql://root@127.0.0.1:${sourceProxy.port}
targets:
  services:
${target.configEntry(targetProxy.port)}
tuning:
  batchSize: 300
  snapshotChunkSize: 1000
  snapshotParallelism: 2
  leaseSeconds: ${lease}
  stallTimeoutSeconds: ${stall}
pipelines:
  - name: to-order
    source: products
    target: services
    tables: ["${SUPPLY_DB}.*"]
    targetDatabase: order_service
  - name: to-purchase
    source: products
    target: services
    tables: ["${SUPPLY_DB}.product", "${SUPPLY_DB}.price_log"]
    targetDatabase: purchase_service
`);
    const startInstance = (): Instance => {
      const n = ++count;
      const child = spawn(process.execPath, [opts.sluiceBin, 'run', '--config', config], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
      let err = '';
      const file = opts.keepLogsIn ? join(opts.keepLogsIn, `instance-${n}.log`) : null;
      child.stderr!.on('data', (d: Buffer) => {
        err = (err + d.toString()).slice(-200_000);
        if (file) appendFileSync(file, d);
      });
      const exited = new Promise<number | string | null>((r) => child.once('close', (code, signal) => r(code ?? signal)));
      const inst = { n, child, exited, stderr: () => err };
      instances.push(inst);
      return inst;
    };
    const alive = (i: Instance): boolean => i.child.exitCode === null && i.child.signalCode === null;
    let primary = startInstance();
    writer = SupplyChainWriter.forUrl(`mysql://root@127.0.0.1:${source.port}`, 10_000, 30);
    writer.start();

    const countRows = async (which: 'source' | 'target', db: string): Promise<number> => {
      if (which === 'target') return target.priceLogRows(db);
      try {
        const [rows] = await (await sourceConn.get()).query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${db}\`.price_log`);
        return Number(rows[0]?.n ?? 0);
      } catch {
        return -1;
      }
    };
    /** Seconds until every copy has the price_log rows the source had when the fault ended. */
    const recovery = async (back: number): Promise<number | null> => {
      const want = await countRows('source', SUPPLY_DB);
      for (;;) {
        const have = await Promise.all(COPIES.map((c) => countRows('target', c.db)));
        if (have.every((n) => n >= want)) return (Date.now() - back) / 1000;
        if (Date.now() - back > recoveryTimeout) return null;
        await sleep(100);
      }
    };

    const outcomes: FaultOutcome[] = [];
    for (const [i, f] of schedule.entries()) {
      // The first kill lands inside the initial copy; later faults come once the copies caught up.
      await sleep(i === 0 ? 700 : 500 + random() * 2000);
      const faultProblems: string[] = [];
      let detail = '';
      let back = Date.now();
      const restartPrimary = async (how: NodeJS.Signals): Promise<void> => {
        primary.child.kill(how);
        await primary.exited;
        primary = startInstance();
        back = Date.now();
      };
      switch (f.kind) {
        case 'kill':
          await restartPrimary('SIGKILL');
          detail = `SIGKILL instance ${primary.n - 1}`;
          break;
        case 'kill-large-txn': {
          const big = writer.largeTransaction(20_000);
          await sleep(f.delayMs);
          await restartPrimary('SIGKILL');
          await big;
          detail = `SIGKILL ${f.delayMs} ms into a 20000-row transaction`;
          break;
        }
        case 'kill-ddl': {
          const sql = await writer.ddl();
          await sleep(f.delayMs / 3);
          await restartPrimary('SIGKILL');
          detail = `SIGKILL ${Math.round(f.delayMs / 3)} ms after ${sql}`;
          break;
        }
        case 'ddl':
          detail = await writer.ddl();
          back = Date.now();
          break;
        case 'pause': {
          const s = Math.max(lease, stall) + 1;
          primary.child.kill('SIGSTOP');
          await sleep(s * 1000);
          primary.child.kill('SIGCONT');
          back = Date.now();
          detail = `SIGSTOP for ${s} s (longer than the lease and the stall timeout), nobody else running`;
          break;
        }
        case 'second-instance': {
          const old = primary;
          const second = startInstance();
          // It starts (a loaded machine may take seconds), finds the live owner and waits, saying so.
          if (!await until(() => /owned by a live instance/.test(second.stderr()) || !alive(second), 30_000)) faultProblems.push('the second instance did not report the live owner');
          await sleep(1000 + f.seconds * 200);
          if (!alive(second)) faultProblems.push(`the second instance exited while the first was alive: ${second.stderr().slice(-500)}`);
          old.child.kill(f.stop);
          await old.exited;
          primary = second;
          back = Date.now();
          detail = `second instance beside the first for ${(1 + f.seconds * 0.2).toFixed(1)} s, then ${f.stop} to the first`;
          break;
        }
        case 'pile-up': {
          // The scenario that duplicated rows before: new instances started one after the other while the
          // previous ones keep running, DDL meanwhile; then all are stopped and one clean instance converges.
          const pile = [primary];
          for (let k = 0; k < 5; k++) {
            await sleep(1000 + random() * 2500);
            pile.push(startInstance());
            if (k === 1) await writer.ddl();
            if (k === 3) await writer.ddl();
          }
          await sleep(2000);
          for (const inst of pile.slice(1)) {
            if (!await until(() => /owned by a live instance/.test(inst.stderr()) || !alive(inst), 30_000)) faultProblems.push(`instance ${inst.n} did not report the live owner`);
            if (!alive(inst)) faultProblems.push(`instance ${inst.n} exited while another owned the pipelines: ${inst.stderr().slice(-400)}`);
          }
          for (const inst of pile) inst.child.kill(random() < 0.5 ? 'SIGKILL' : 'SIGTERM');
          await Promise.all(pile.map(async (inst) => {
            // An instance that ignores SIGTERM would keep the run waiting for good: said, then killed.
            if (await Promise.race([inst.exited.then(() => true), sleep(30_000).then(() => false)])) return;
            faultProblems.push(`instance ${inst.n} did not stop within 30 s of SIGTERM`);
            inst.child.kill('SIGKILL');
            await inst.exited;
          }));
          primary = startInstance();
          back = Date.now();
          detail = `${pile.length} instances at once (5 started beside the owner, 2 DDL meanwhile), all stopped, one clean instance started`;
          break;
        }
        case 'pause-takeover': {
          const old = primary;
          // Half the time inside a large transaction: the paused owner then holds the checkpoint row's lock.
          const inBig = f.stop === 'SIGKILL';
          const big = inBig ? writer.largeTransaction(20_000) : null;
          if (big) await sleep(300 + f.delayMs);
          old.child.kill('SIGSTOP');
          await big;
          await sleep(300);
          primary = startInstance();
          back = Date.now();
          const r = await recovery(back);
          old.child.kill('SIGCONT');
          const code = await Promise.race([old.exited, sleep(30_000).then(() => 'alive')]);
          if (code === 'alive') {
            faultProblems.push('the paused old instance stayed alive after a new one took over');
            old.child.kill('SIGKILL');
          } else if (!/FENCED/.test(old.stderr())) {
            faultProblems.push(`the paused old instance exited (${String(code)}) without saying it was fenced`);
          }
          detail = `SIGSTOP the owner${inBig ? ' inside a large transaction' : ''}, a new instance takes over after the lease, SIGCONT the old one (exit ${String(code)})`;
          outcomes.push({ kind: f.kind, detail, recoverySeconds: r, problems: faultProblems });
          log(`fault ${i + 1}/${schedule.length} ${f.kind}: ${detail}; recovered in ${r === null ? 'NOT RECOVERED' : `${r.toFixed(1)} s`}${faultProblems.length ? `; problems: ${faultProblems.join('; ')}` : ''}`);
          problems.push(...faultProblems);
          continue;
        }
        case 'source-restart': {
          const down = Math.min(f.seconds, 5);
          await source.kill();
          await sleep(down * 1000);
          await source.restart();
          back = Date.now();
          detail = `kill -9 the source server, down ${down.toFixed(1)} s`;
          break;
        }
        case 'target-restart':
          detail = await target.restart(f.seconds);
          back = Date.now();
          break;
        case 'cut-source':
        case 'cut-target':
          (f.kind === 'cut-source' ? sourceProxy : targetProxy).cut();
          back = Date.now();
          detail = 'every connection reset';
          break;
        case 'blackhole-source':
        case 'blackhole-target': {
          const p = f.kind === 'blackhole-source' ? sourceProxy : targetProxy;
          p.blackhole();
          await sleep(f.seconds * 1000);
          p.heal();
          back = Date.now();
          detail = `no byte through for ${f.seconds} s, no reset`;
          break;
        }
        case 'slow-source':
        case 'slow-target': {
          const p = f.kind === 'slow-source' ? sourceProxy : targetProxy;
          p.slow(f.slowMs);
          await sleep(f.seconds * 1000);
          p.heal();
          back = Date.now();
          detail = `${f.slowMs} ms per chunk for ${f.seconds} s`;
          break;
        }
        case 'target-read-only':
          detail = await target.readOnly(f.seconds);
          back = Date.now();
          break;
      }
      const r = await recovery(back);
      if (r === null) faultProblems.push(`not recovered within ${recoveryTimeout / 1000} s`);
      for (const inst of instances) if (inst !== primary && alive(inst)) faultProblems.push(`instance ${inst.n} is still alive beside the current one`);
      if (!alive(primary)) faultProblems.push(`the current instance exited: ${primary.stderr().slice(-800)}`);
      outcomes.push({ kind: f.kind, detail, recoverySeconds: r, problems: faultProblems });
      log(`fault ${i + 1}/${schedule.length} ${f.kind}: ${detail}; recovered in ${r === null ? 'NOT RECOVERED' : `${r.toFixed(1)} s`}${faultProblems.length ? `; problems: ${faultProblems.join('; ')}` : ''}`);
      problems.push(...faultProblems);
      if (!alive(primary)) primary = startInstance();
    }

    await writer.stop();
    log(`writer stopped after ${writer.committed} transactions (${writer.errors} errors while the source was away); waiting for the copies to converge`);
    // Converge: compare until equal (or the deadline), then report the last comparison.
    let tables: Array<TableDiff & { copy: string }> = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      tables = await compareAll(await sourceConn.get(), target);
      if (tables.every((t) => t.extra === 0 && t.missing === 0) || Date.now() > deadline) break;
      await sleep(1000);
    }
    primary.child.kill('SIGTERM');
    const code = await Promise.race([primary.exited, sleep(20_000).then(() => 'did not stop')]);
    if (code !== 0) problems.push(`the last instance ended with ${String(code)} on SIGTERM`);
    const priceLog = tables.filter((t) => t.table === 'price_log');
    const recoveries = outcomes.map((o) => o.recoverySeconds);
    return {
      seed: opts.seed,
      faults: outcomes,
      duplicatedRows: priceLog.reduce((s, t) => s + t.extra, 0),
      lostRows: priceLog.reduce((s, t) => s + t.missing, 0),
      tablesIdentical: tables.every((t) => t.extra === 0 && t.missing === 0),
      maxRecoverySeconds: recoveries.some((r) => r === null) ? null : Math.max(0, ...recoveries.map((r) => r ?? 0)),
      tables,
      problems,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await writer?.stop().catch(() => undefined);
    for (const inst of instances) {
      if (inst.child.exitCode === null && inst.child.signalCode === null) {
        inst.child.kill('SIGCONT');
        inst.child.kill('SIGKILL');
        await inst.exited;
      }
    }
    sourceConn.close();
    await Promise.all([sourceProxy.close(), targetProxy.close()]);
    await Promise.all([source.stop().catch(() => undefined), target.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every table of every copy against the source. */
async function compareAll(source: Connection, target: ChaosTarget): Promise<Array<TableDiff & { copy: string }>> {
  const [rows] = await source.query<RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME', [SUPPLY_DB]);
  const all = rows.map((r) => String(r.t));
  const out: Array<TableDiff & { copy: string }> = [];
  for (const copy of COPIES) {
    for (const t of copy.tables ?? all) {
      try {
        out.push({ ...(await target.diff(source, SUPPLY_DB, t, copy.db)), copy: copy.db });
      } catch (err) {
        // A table the copy does not have (yet): every source row is missing.
        const [n] = await source.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM \`${SUPPLY_DB}\`.\`${t}\``);
        out.push({ table: t, copy: copy.db, sourceRows: Number(n[0]?.n ?? 0), targetRows: 0, extra: 0, missing: Math.max(1, Number(n[0]?.n ?? 0)), samples: [String(err)] });
      }
    }
  }
  return out;
}

export type { Fault, FaultKind };
