// The `shop` source of the serve tests (single node and cluster): a table with a key and a key-less insert-only
// one (the witness of exactly-once), endpoints on the same server, pipelines copying both tables into copy_<name>;
// what the source's binlog connections look like; whether the copies match the source.
import { DEFAULT_TUNING } from '../../src/config/index.js';
import type { Store } from '../../src/store/index.js';
import type { MariaDbServer } from '../../src/testkit/index.js';
import { tableRows } from './sync-helpers.js';

export const SHOP_TABLES = ['a', 'b'];

/** Tables `shop.a` (keyed) and `shop.b` (key-less); source `src` (with `serverId` if given) and target `tgt`; the pipelines, running. */
export async function seedShop(db: MariaDbServer, store: Store, pipelines: string[], serverId?: number): Promise<void> {
  await db.query('CREATE DATABASE IF NOT EXISTS shop');
  await db.query('CREATE TABLE shop.a (id INT PRIMARY KEY, v INT)');
  await db.query('CREATE TABLE shop.b (seq INT NOT NULL, note VARCHAR(20))');
  const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
  await store.putEndpoint({ kind: 'source', name: 'src', ...ep, ...(serverId !== undefined ? { serverId } : {}) });
  await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
  for (const name of pipelines) {
    await store.putPipeline({ name, source: 'src', target: 'tgt', tables: SHOP_TABLES.map((t) => `shop.${t}`), exclude: [], targetDatabase: `copy_${name}`,
      snapshot: 'initial', ddl: 'apply', tuning: { ...DEFAULT_TUNING, maxBatchDelayMs: 20 } }, 'running');
  }
}

/** One source transaction per table: an upsert of `shop.a` (a few keys, so updates too) and an insert into `shop.b`. */
export async function writeShop(db: MariaDbServer, seq: number): Promise<void> {
  await db.query('INSERT INTO shop.a VALUES (?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v)', [seq % 25, seq]);
  await db.query('INSERT INTO shop.b VALUES (?, ?)', [seq, `row ${seq}`]);
}

/** Every copy holds exactly the source's rows (every column, in order). */
export async function copiesIdentical(db: MariaDbServer, copies: string[]): Promise<boolean> {
  for (const copy of copies) {
    for (const t of SHOP_TABLES) {
      const [x, y] = await Promise.all([tableRows(db, 'shop', t), tableRows(db, copy, t).catch(() => [] as string[])]);
      if (x.length !== y.length || x.some((r, i) => r !== y[i])) return false;
    }
  }
  return true;
}

/** Rows of the key-less table of `copy` that are there more than once. */
export async function duplicatedRows(db: MariaDbServer, copy: string): Promise<number> {
  return Number((await db.query<Array<{ n: number }>>(`SELECT COUNT(*) AS n FROM (SELECT seq FROM ${copy}.b GROUP BY seq HAVING COUNT(*) > 1) d`))[0]!.n);
}

/** Binlog dump connections on the source. */
export async function dumpConnections(db: MariaDbServer): Promise<number> {
  return Number((await db.query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'"))[0]!.n);
}
