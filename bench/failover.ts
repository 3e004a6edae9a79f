// npm run bench:failover — three `sluice serve` nodes on a shared store (a throwaway MariaDB), a steady writer,
// and N SIGKILLs of the node that owns the watched pipeline, at random moments; every third kill lands while the
// target applies a large source transaction. For each kill: the takeover time = from the SIGKILL until a row
// written after it is on the target (another node owns the pipeline and applies again). The killed node is
// started again (same node id) so three nodes stay up. At the end the key-less, insert-only table is compared
// row by row with the source: rows lost and rows applied twice.
//   BENCH_FAILOVERS (10)   kills
//   BENCH_SEED (1)         seed of the random moments
// Figures go to stderr; the last stdout line is JSON:
//   {"failovers":…,"takeover_p50_s":…,"takeover_max_s":…,"lost_rows":…,"duplicated_rows":…}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TUNING } from '../src/config/index.js';
import { Store } from '../src/store/index.js';
import { startMariaDb, startServeNode, type MariaDbServer, type ServeNode } from '../src/testkit/index.js';
import { seededRandom } from '../src/testkit/index.js';

const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 10);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const ENV = { SLUICE_SECRET_KEY: 'failover-bench-key', SLUICE_ADMIN_PASSWORD: 'Failover-Bench-Pw-1' };
const say = (text: string): void => { process.stderr.write(`bench: ${text}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, check: () => Promise<T | null | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

const db: MariaDbServer = await startMariaDb({ serverId: 1 });
const dirs: string[] = [];
const nodes = new Map<string, ServeNode>();
const dir = (): string => { const d = mkdtempSync(join(tmpdir(), 'sluice-failover-')); dirs.push(d); return d; };
const storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
const startNode = async (id: string): Promise<void> => { nodes.set(id, await startServeNode(storeUrl, id, ENV)); };

let seq = 0;
let writing = true;
/** Steady writer: one row per transaction into the key-less audit table (and an upsert), ~100 transactions/s. */
async function writer(): Promise<void> {
  while (writing) {
    seq++;
    await db.query('INSERT INTO shop.audit VALUES (?, ?)', [seq, `row ${seq}`]);
    await db.query('INSERT INTO shop.item VALUES (?, ?) ON DUPLICATE KEY UPDATE v = v + 1', [seq % 500, seq]);
    await sleep(10);
  }
}

/** A large source transaction (20,000 audit rows), numbered in the same sequence. */
async function bigTransaction(): Promise<void> {
  const first = seq + 1;
  seq += 20_000;
  await db.query(`INSERT INTO shop.audit SELECT ${first} + s.seq - 1, CONCAT('big ', ${first} + s.seq - 1) FROM shop.seq_1_to_20000 s`);
}

const maxCopied = async (): Promise<number> => Number((await db.query<Array<{ m: number | null }>>('SELECT MAX(seq) AS m FROM copy.audit'))[0]!.m ?? 0);
const ownerOf = async (pipeline: string): Promise<string | null> => {
  const rows = await db.query<Array<{ owner: string | null; expires_at: number; now: number }>>(
    'SELECT owner, expires_at, CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED) AS now FROM sluice_store.leases WHERE name LIKE ?', [`%${pipeline}`]);
  const r = rows[0];
  return r && r.owner !== null && Number(r.expires_at) > Number(r.now) ? r.owner : null;
};

let exitCode = 0;
try {
  await db.query(`CREATE DATABASE shop; CREATE DATABASE sluice_store; USE shop;
    CREATE TABLE shop.item (id INT PRIMARY KEY, v INT NOT NULL);
    CREATE TABLE shop.audit (seq BIGINT NOT NULL, note VARCHAR(40) NOT NULL)`); // key-less, insert-only: the witness
  const store = await Store.open({ dataDir: dir(), url: storeUrl, env: ENV });
  const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
  await store.putEndpoint({ kind: 'source', name: 'src', ...ep });
  await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
  await store.putPipeline({ name: 'watched', source: 'src', target: 'tgt', tables: ['shop.*'], exclude: [], targetDatabase: 'copy', snapshot: 'initial', ddl: 'apply',
    tuning: { ...DEFAULT_TUNING } }, 'running');
  await store.close();

  for (const id of ['n1', 'n2', 'n3']) await startNode(id);
  say('three nodes up');
  const writing$ = writer();
  await until('the pipeline to copy and stream', async () => (await maxCopied()) > 0, 60_000);
  const rnd = seededRandom(SEED);
  const random = { int: (n: number): number => Math.floor(rnd() * n) };
  const takeovers: number[] = [];
  for (let k = 1; k <= FAILOVERS; k++) {
    await sleep(1000 + random.int(3000));
    const owner = await until('an owner of the pipeline', () => ownerOf('watched'), 30_000);
    const big = k % 3 === 0;
    if (big) {
      await bigTransaction();
      // Kill while the target applies it (its parts are in one open target transaction).
      await sleep(200 + random.int(400));
    }
    const atKill = seq;
    const killedAt = Date.now();
    await nodes.get(owner)!.kill();
    await until('a row written after the kill on the target', async () => (await maxCopied()) > atKill, 60_000, 50);
    const s = (Date.now() - killedAt) / 1000;
    takeovers.push(s);
    const now = await ownerOf('watched');
    say(`kill ${k}/${FAILOVERS}${big ? ' (inside a large transaction)' : ''}: ${owner} killed, ${now ?? '?'} applies again after ${s.toFixed(2)} s`);
    await startNode(owner);
  }
  writing = false;
  await writing$;
  const total = seq;
  await until('the copy to catch up', async () => (await maxCopied()) >= total, 120_000);
  await sleep(1500);
  const [stats] = await db.query<Array<{ n: number; d: number; lost: number }>>(`SELECT
      (SELECT COUNT(*) FROM copy.audit) AS n,
      (SELECT COUNT(*) FROM (SELECT seq FROM copy.audit GROUP BY seq HAVING COUNT(*) > 1) x) AS d,
      (SELECT COUNT(*) FROM shop.audit s WHERE NOT EXISTS (SELECT 1 FROM copy.audit c WHERE c.seq = s.seq AND c.note = s.note)) AS lost`);
  const sorted = [...takeovers].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  const max = sorted[sorted.length - 1] ?? 0;
  const duplicated = Number(stats!.n) - (total - Number(stats!.lost));
  say(`summary: ${takeovers.length} failovers, takeover p50 ${p50.toFixed(2)} s, max ${max.toFixed(2)} s (goal ≤ 5 / ≤ 10); ${total} source rows, ${stats!.lost} lost, ${duplicated} duplicated (${stats!.d} keys more than once)`);
  process.stdout.write(JSON.stringify({ failovers: takeovers.length, takeover_p50_s: Number(p50.toFixed(2)), takeover_max_s: Number(max.toFixed(2)),
    lost_rows: Number(stats!.lost), duplicated_rows: duplicated }) + '\n');
} catch (err) {
  say(`failed: ${(err as Error).stack ?? String(err)}`);
  exitCode = 1;
} finally {
  writing = false;
  for (const n of nodes.values()) n.child.kill('SIGKILL');
  await db.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.exit(exitCode);
