/**
 * A test bed for cluster faults: a throwaway MariaDB as source, another as the shared store, a target of a
 * ChaosTarget kind (MySQL: the source's own server; PostgreSQL: a throwaway database of the local server), every
 * `sluice serve` node reaching the store through its own TCP proxy (so one node can be cut off from the store,
 * or all of them) and the target through one shared proxy (whose open connections — the owner's — can be held
 * while new ones pass), a steady writer into a key-less, insert-only table (`shop.audit`, the witness of
 * exactly-once) and a witness of the target's checkpoint row: a trigger logs every write of it (epoch, owner,
 * time by the target's clock), which shows who wrote the pipeline when.
 * Used by the store-outage and rolling-restart tests, `npm run chaos:cluster` and `npm run bench:failover`.
 */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { DEFAULT_TUNING } from '../config/index.js';
import { Store } from '../store/index.js';
import { startChaosTarget, type ChaosTarget, type ChaosTargetKind, type CheckpointWrite } from './chaos/target-side.js';
import { startMariaDb, type MariaDbServer } from './mariadb-server.js';
import { startServeNode, type ServeNode } from './serve-node.js';
import { TcpProxy } from './tcp-proxy.js';

export const CLUSTER_BED_ENV = { SLUICE_SECRET_KEY: 'cluster-bed-key', SLUICE_ADMIN_PASSWORD: 'Cluster-Bed-Pw-1' };

export interface ClusterBedOptions {
  /** Node ids (default n1, n2, n3). */
  nodes?: readonly string[];
  /** Log level of the nodes (default info: the tests read what they say). */
  logLevel?: string;
  /** The target's kind (default mysql: the source's server). */
  target?: ChaosTargetKind;
}

export type { CheckpointWrite };

export interface LeaseOwner {
  owner: string;
  epoch: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not null/false) or `timeoutMs` passed (throws, naming `what`). */
export async function until<T>(what: string, check: () => Promise<T | null | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await check();
      if (v !== null && v !== false) return v;
    } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

/** The local ports of the TCP sockets process `pid` has open (Linux: /proc). */
export function tcpPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch { /* closed meanwhile */ }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

export class ClusterBed {
  readonly nodes = new Map<string, ServeNode>();
  /** The store as each node reaches it. */
  readonly proxies = new Map<string, TcpProxy>();
  /** Rows the writer committed (seq 1..seq); bulk rows too. */
  seq = 0;
  /** When each writer row was committed (Date.now()), by seq; bulk rows are not timed. */
  readonly writtenAt = new Map<number, number>();
  private writing = false;
  private writer: Promise<void> | null = null;
  private readonly dirs: string[] = [];

  /** Where every node reaches the target (the endpoint `tgt` names it). */
  readonly targetProxy: TcpProxy;

  private constructor(readonly db: MariaDbServer, readonly storeDb: MariaDbServer, readonly target: ChaosTarget, private readonly o: ClusterBedOptions) {
    this.targetProxy = new TcpProxy(target.host, target.port);
  }

  get nodeIds(): readonly string[] {
    return this.o.nodes ?? ['n1', 'n2', 'n3'];
  }

  /** Servers, schema, the `watched` pipeline (shop.audit → copy.audit) in the store, the nodes up. */
  static async start(o: ClusterBedOptions = {}): Promise<ClusterBed> {
    const [db, storeDb] = await Promise.all([startMariaDb(), startMariaDb()]);
    const target = await startChaosTarget(o.target ?? 'mysql', { mysqlServer: db }).catch(async (err: unknown) => {
      await Promise.all([db.stop(), storeDb.stop()]).catch(() => undefined);
      throw err;
    });
    const bed = new ClusterBed(db, storeDb, target, o);
    try {
      await bed.targetProxy.start();
      await db.query(`CREATE DATABASE shop;
        CREATE TABLE shop.audit (seq BIGINT NOT NULL, note VARCHAR(40) NOT NULL)`);
      await storeDb.query('CREATE DATABASE sluice_store');
      await bed.addPipeline('watched', ['shop.audit'], 'copy');
      for (const id of bed.nodeIds) await bed.startNode(id);
      return bed;
    } catch (err) {
      await bed.close();
      throw err;
    }
  }

  /** The store URL through `id`'s proxy. */
  private async storeUrlFor(id: string): Promise<string> {
    let p = this.proxies.get(id);
    if (!p) {
      p = new TcpProxy(this.storeDb.host, this.storeDb.port);
      await p.start();
      this.proxies.set(id, p);
    }
    return `mysql://root@127.0.0.1:${p.port}/sluice_store`;
  }

  /** The store, opened directly (not through a proxy), for `work`. */
  private async withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
    const d = mkdtempSync(join(tmpdir(), 'sluice-bed-'));
    this.dirs.push(d);
    const store = await Store.open({ dataDir: d, url: `mysql://root@127.0.0.1:${this.storeDb.port}/sluice_store`, env: CLUSTER_BED_ENV });
    try {
      return await work(store);
    } finally {
      await store.close();
    }
  }

  /** Put a running pipeline into the store (directly, not through a node). */
  async addPipeline(name: string, tables: string[], targetDatabase: string): Promise<void> {
    await this.withStore(async (store) => {
      const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: this.db.port, user: 'root', password: '', options: {} };
      if (!(await store.getEndpoint('source', 'src'))) await store.putEndpoint({ kind: 'source', name: 'src', ...ep });
      if (!(await store.getEndpoint('target', 'tgt'))) await store.putEndpoint({ kind: 'target', name: 'tgt', host: '127.0.0.1', port: this.targetProxy.port, ...this.target.endpoint });
      await store.putPipeline({ name, source: 'src', target: 'tgt', tables, exclude: [], targetDatabase, snapshot: 'initial', ddl: 'apply',
        tuning: { ...DEFAULT_TUNING } }, 'running');
    });
  }

  /** Stop a pipeline (its desired state in the store): its owner hands it back. */
  async stopPipeline(name: string): Promise<void> {
    await this.withStore((store) => store.setDesiredState(name, 'stopped'));
  }

  private bigTables: Promise<void> | null = null;

  /**
   * A new running pipeline whose initial copy takes a while: `shop.big` (keyed) and `shop.biglog` (key-less,
   * half as many rows), made once with `rows` rows, copied to the database `targetDatabase`.
   */
  async addSnapshotPipeline(name: string, targetDatabase: string, rows = 150_000): Promise<void> {
    this.bigTables ??= this.db.query(`CREATE TABLE shop.big (id INT PRIMARY KEY, v VARCHAR(60) NOT NULL);
      INSERT INTO shop.big SELECT seq, CONCAT('big ', seq, REPEAT('x', 30)) FROM shop.seq_1_to_${rows};
      CREATE TABLE shop.biglog (seq INT NOT NULL, note VARCHAR(60) NOT NULL);
      INSERT INTO shop.biglog SELECT seq, CONCAT('log ', seq) FROM shop.seq_1_to_${Math.ceil(rows / 2)}`).then(() => undefined);
    await this.bigTables;
    await this.addPipeline(name, ['shop.big', 'shop.biglog'], targetDatabase);
  }

  /** Rows of the target's `db.table` (0 when it does not exist yet). */
  rowCount(table: string): Promise<number> {
    const [db, name] = table.split('.') as [string, string];
    return this.target.rowCount(db, name);
  }

  async startNode(id: string): Promise<ServeNode> {
    const node = await startServeNode(await this.storeUrlFor(id), id, CLUSTER_BED_ENV, this.o.logLevel ?? 'info');
    this.nodes.set(id, node);
    return node;
  }

  alive(id: string): boolean {
    const c = this.nodes.get(id)?.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  /**
   * Hold what node `id` sends to the target on the connections it has open (targetProxy.holdOpen; `heal()` delivers
   * it): its next request is in flight and stays so. Returns the number of connections held.
   */
  holdTargetRequestsOf(id: string): number {
    const ports = tcpPortsOf(this.nodes.get(id)!.child.pid!);
    return this.targetProxy.holdOpen((port) => ports.has(port));
  }

  /** SIGTERM (a graceful handover) and wait for the exit; the time it took to exit, ms. */
  async terminate(id: string): Promise<number> {
    const n = this.nodes.get(id)!;
    const t = Date.now();
    n.child.kill('SIGTERM');
    await n.exited;
    return Date.now() - t;
  }

  /** The live owner of a pipeline's lease (read from the store directly; null when none, or the store is down). */
  async owner(pipeline = 'watched'): Promise<LeaseOwner | null> {
    try {
      const rows = await this.storeDb.query<Array<{ owner: string | null; epoch: number; live: number }>>(
        'SELECT owner, epoch, expires_at > CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED) AS live FROM sluice_store.leases WHERE name = ?', [`pipeline:${pipeline}`]);
      const r = rows[0];
      return r && r.owner !== null && Number(r.live) === 1 ? { owner: r.owner, epoch: Number(r.epoch) } : null;
    } catch {
      return null;
    }
  }

  /** Ids of the nodes whose heartbeat in the store is recent (by the store's clock; [] when the store is down). */
  async liveNodes(maxAgeMs = 5000): Promise<string[]> {
    try {
      const rows = await this.storeDb.query<Array<{ id: string }>>(
        'SELECT id FROM sluice_store.nodes WHERE CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED) - heartbeat_at <= ? ORDER BY id', [maxAgeMs]);
      return rows.map((r) => r.id);
    } catch {
      return [];
    }
  }

  /** The highest writer row on the target (0 before the copy exists). */
  copied(table = 'copy.audit'): Promise<number> {
    const [db, name] = table.split('.') as [string, string];
    return this.target.maxOf(db, name, 'seq');
  }

  /** The target's clock, ms since the epoch. */
  targetNow(): Promise<number> {
    return this.target.now();
  }

  /** One row per transaction into shop.audit, every `pauseMs`, until stopWriter(). */
  startWriter(pauseMs = 10): void {
    this.writing = true;
    this.writer = (async () => {
      while (this.writing) {
        const s = this.seq + 1;
        try {
          await this.db.query('INSERT INTO shop.audit VALUES (?, ?)', [s, `row ${s}`]);
        } catch {
          await sleep(200); // not committed: the same seq again
          continue;
        }
        this.seq = s;
        this.writtenAt.set(s, Date.now());
        await sleep(pauseMs);
      }
    })();
  }

  async stopWriter(): Promise<void> {
    this.writing = false;
    await this.writer;
    this.writer = null;
  }

  /** One source transaction of `rows` audit rows, numbered on from the writer's (which waits meanwhile). */
  async largeTransaction(rows: number): Promise<void> {
    const was = this.writing;
    await this.stopWriter();
    const first = this.seq + 1;
    await this.db.query(`INSERT INTO shop.audit SELECT ${first} + s.seq - 1, CONCAT('big ', ${first} + s.seq - 1) FROM shop.seq_1_to_${rows} s`);
    this.seq += rows;
    if (was) this.startWriter();
  }

  /** Lag now, ms: the age of the oldest writer row the target does not have yet (0 when it has them all). */
  async lagMs(copy = 'copy.audit'): Promise<number> {
    const have = await this.copied(copy);
    for (let s = have + 1; s <= this.seq; s++) {
      const t = this.writtenAt.get(s);
      if (t !== undefined) return Date.now() - t;
    }
    return 0;
  }

  /** Log every write of the target's checkpoint rows that moves a pipeline (once the pipeline created `_sluice.checkpoints`). */
  installWitness(): Promise<void> {
    return this.target.installCheckpointWitness();
  }

  /** Checkpoint writes logged so far (in commit order of the row lock), optionally of one pipeline. */
  checkpointWrites(pipeline?: string): Promise<CheckpointWrite[]> {
    return this.target.checkpointWrites(pipeline);
  }

  /**
   * Problems of the checkpoint writes: an epoch lower than an earlier one (a stale writer got through), or
   * one epoch written by two owners.
   */
  static fencingProblems(writes: readonly CheckpointWrite[]): string[] {
    const out: string[] = [];
    const max = new Map<string, number>();
    const ownerOf = new Map<string, string | null>();
    for (const w of writes) {
      const m = max.get(w.pipeline) ?? 0;
      if (w.epoch < m) out.push(`${w.pipeline}: epoch ${w.epoch} written after epoch ${m} (write ${w.id})`);
      max.set(w.pipeline, Math.max(m, w.epoch));
      const key = `${w.pipeline}\0${w.epoch}`;
      const o = ownerOf.get(key);
      if (o !== undefined && o !== w.owner && o !== null && w.owner !== null) out.push(`${w.pipeline}: epoch ${w.epoch} written by ${o} and by ${w.owner}`);
      if (o === undefined || o === null) ownerOf.set(key, w.owner);
    }
    return out;
  }

  /**
   * Ordered, every-column comparison of a source table with its copy, as multisets: rows the copy lacks and rows
   * it has too often (duplicates). Waits for the copy to converge up to `timeoutMs`.
   */
  async compare(table = 'audit', from = 'shop', to = 'copy', timeoutMs = 60_000): Promise<{ rows: number; lost: number; duplicated: number; samples: string[] }> {
    const conn = await createConnection({ host: this.db.host, port: this.db.port, user: 'root' });
    try {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const d = await this.target.diff(conn, from, table, to).catch((err: unknown) => ({ sourceRows: -1, missing: -1, extra: -1, samples: [String(err)] }));
        if ((d.missing === 0 && d.extra === 0) || Date.now() > end) return { rows: d.sourceRows, lost: d.missing, duplicated: d.extra, samples: d.samples };
        await sleep(1000);
      }
    } finally {
      conn.destroy();
    }
  }

  /**
   * After close(): should anything still hold the test process open 10 s later, say what and exit with the tests'
   * own exit code. (It could not help with the store-outage test's process that never exited: that one spun in
   * Node's exit cleanup, where no timer runs, on a socket handle the TCP proxy's reset had left unclosed — see
   * tcp-proxy.ts `closeWithReset`.)
   */
  static exitIfHeld(): void {
    setTimeout(() => {
      console.log(`# cluster bed: the test process is still held open after close (${process.getActiveResourcesInfo().join(', ')}); exiting`);
      process.exit(process.exitCode ?? 0);
    }, 10_000).unref();
  }

  async close(): Promise<void> {
    this.writing = false;
    await this.writer?.catch(() => undefined);
    for (const n of this.nodes.values()) {
      n.child.kill('SIGCONT');
      await n.kill();
    }
    for (const p of this.proxies.values()) await p.close();
    await this.targetProxy.close();
    await this.target.close().catch(() => undefined);
    await Promise.all([this.db.stop().catch(() => undefined), this.storeDb.stop().catch(() => undefined)]);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
