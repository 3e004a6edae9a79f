// Primary-key moves while the stream catches up with the copy, when a key is reused (MariaDB → MariaDB and MariaDB →
// PostgreSQL, integer keys and VARCHAR keys in a case-insensitive collation). The copy is made one row per chunk, one
// chunk at a time, and the source is changed between two chunk reads (a hook after a chunk's write), so that every
// chunk's snapshot position relative to the changes is known:
//   1. lost row:         A → B, then a new row A; A's chunk read after both (the copy holds the new A and not the old),
//   2. resurrected row:  A → B, then B deleted; B's chunk read after both (the copy holds neither),
//   3. wrong parent:     A → B (child x follows to B), then C → A (child y follows to A); the child's first chunk read
//                        before (child w, referencing A, must follow to B), the others after (x → B and y → A kept),
//   4. 1 and 2 before the table's first chunk (where the chunk filter drops changes whatever the key's type).
// The string keys sort differently by bytes ('Bb' < 'aa') than by the column's collation ('aa' < 'Bb'): the chunk of a
// key is the one the source's collation puts it in. Every table must end equal to the source, every column, by value.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log.js';
import type { SnapshotChunk, Target } from '../../../src/targets/target.js';
import { eventually } from '../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from '../targets/postgres/pg-test-helpers.js';

/** Five keys in the key column's order (k[0] < … < k[4]); the string ones in another order by bytes. */
const KEYS = {
  int: { type: 'INT', k: ['10', '20', '30', '40', '50'] },
  str: { type: 'VARCHAR(20) COLLATE utf8mb4_general_ci', k: ["'aa'", "'Bb'", "'cc'", "'Dd'", "'ee'"] },
} as const;
type KeyKind = keyof typeof KEYS;

/** A scenario: its tables, rows, and the source changes made right after chunk `index` of `table` was copied. */
interface Scenario { tables: string[]; ddl: string; rows: string; at: { table: string; index: number }; changes: string }

function scenarios(kind: KeyKind): Scenario[] {
  const { type, k } = KEYS[kind];
  const s1 = `s1_${kind}`, s2 = `s2_${kind}`, s3 = `s3_${kind}`, s3c = `s3_${kind}_c`, s4 = `s4_${kind}`;
  return [
    { // Chunks of s1: (, k1] (k1, k3] (k3, ): A = k3 (second chunk, read after), B = k0 (first chunk, read before).
      tables: [s1],
      ddl: `CREATE TABLE ${s1} (id ${type} NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)`,
      rows: `INSERT INTO ${s1} VALUES (${k[1]}, 'one'), (${k[3]}, 'three')`,
      at: { table: s1, index: 0 },
      changes: `UPDATE ${s1} SET id = ${k[0]} WHERE id = ${k[3]}; INSERT INTO ${s1} VALUES (${k[3]}, 'new three')`,
    },
    { // Chunks of s2: (, k1] (k1, k3] (k3, ): A = k1 (first chunk, read before), B = k4 (last chunk, read after).
      tables: [s2],
      ddl: `CREATE TABLE ${s2} (id ${type} NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)`,
      rows: `INSERT INTO ${s2} VALUES (${k[1]}, 'one'), (${k[3]}, 'three')`,
      at: { table: s2, index: 0 },
      changes: `UPDATE ${s2} SET id = ${k[4]} WHERE id = ${k[1]}; DELETE FROM ${s2} WHERE id = ${k[4]}`,
    },
    { // Both reuses before the table's first chunk (the hook: after the last chunk of s1): the old filter dropped the
      // later insert and delete for every key type, while the moves deleted the copy's new row and restored a deleted one.
      tables: [s4],
      ddl: `CREATE TABLE ${s4} (id ${type} NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL)`,
      rows: `INSERT INTO ${s4} VALUES (${k[1]}, 'one'), (${k[3]}, 'three')`,
      at: { table: s1, index: 2 },
      changes: `UPDATE ${s4} SET id = ${k[0]} WHERE id = ${k[3]}; INSERT INTO ${s4} VALUES (${k[3]}, 'new three');
        UPDATE ${s4} SET id = ${k[4]} WHERE id = ${k[1]}; DELETE FROM ${s4} WHERE id = ${k[4]}`,
    },
    { // The parent is copied before its child. Chunks of the child: (, k0] (k0, k2] (k2, k4] (k4, ).
      // A = k1, C = k3, B = k4; children k0 → A (read before the renames), k2 → A and k4 → C (read after).
      tables: [s3, s3c],
      ddl: `CREATE TABLE ${s3} (id ${type} NOT NULL PRIMARY KEY, v VARCHAR(20) NOT NULL);
        CREATE TABLE ${s3c} (id ${type} NOT NULL PRIMARY KEY, pid ${type} NULL, v VARCHAR(20) NOT NULL,
          CONSTRAINT fk_${s3c} FOREIGN KEY (pid) REFERENCES ${s3} (id) ON UPDATE CASCADE ON DELETE CASCADE)`,
      rows: `INSERT INTO ${s3} VALUES (${k[1]}, 'A'), (${k[3]}, 'C');
        INSERT INTO ${s3c} VALUES (${k[0]}, ${k[1]}, 'w'), (${k[2]}, ${k[1]}, 'x'), (${k[4]}, ${k[3]}, 'y')`,
      at: { table: s3c, index: 0 },
      changes: `UPDATE ${s3} SET id = ${k[4]} WHERE id = ${k[1]}; UPDATE ${s3} SET id = ${k[1]} WHERE id = ${k[3]}`,
    },
  ];
}

const ALL = (['int', 'str'] as const).flatMap(scenarios);
const TABLES = ALL.flatMap((s) => s.tables);
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('key moves while the stream catches up with the copy, with reused keys', () => {
  let source: MariaDbServer;
  let mariaTarget: MariaDbServer;
  let pgTarget: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');

  before(async () => {
    [source, mariaTarget, pgTarget] = await Promise.all([startMariaDb({}), startMariaDb({ binlog: false }), createPgDatabase()]);
  });
  after(async () => {
    await Promise.all([source?.stop(), mariaTarget?.stop(), pgTarget?.drop()]);
  });

  async function columnsOf(db: string, table: string): Promise<string[]> {
    const rows = await source.query<Array<{ c: string }>>(
      'SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
    return rows.map((r) => r.c);
  }
  async function sourceRows(db: string, table: string): Promise<string[]> {
    const cols = await columnsOf(db, table);
    const rows = await source.query<Array<{ l: string }>>(`SELECT CONCAT_WS('|', ${cols.map((c) => `IFNULL(CAST(\`${c}\` AS CHAR), 'NULL')`).join(', ')}) AS l FROM \`${db}\`.\`${table}\``);
    return rows.map((r) => String(r.l)).sort(byText);
  }
  async function mariaRows(db: string, table: string): Promise<string[]> {
    const cols = await columnsOf(db, table);
    const rows = await mariaTarget.query<Array<{ l: string }>>(`SELECT CONCAT_WS('|', ${cols.map((c) => `IFNULL(CAST(\`${c}\` AS CHAR), 'NULL')`).join(', ')}) AS l FROM \`${db}\`.\`${table}\``);
    return rows.map((r) => String(r.l)).sort(byText);
  }
  async function pgRows(db: string, table: string): Promise<string[]> {
    const cols = await columnsOf(db, table);
    const rows = await pgTarget.query(`SELECT concat_ws('|', ${cols.map((c) => `coalesce("${c}"::text, 'NULL')`).join(', ')}) AS l FROM "${db}"."${table}"`);
    return rows.map((r) => String(r['l'])).sort(byText);
  }

  async function run(db: string, targetCfg: Record<string, string>, targetRows: (db: string, table: string) => Promise<string[]>): Promise<void> {
    await source.query(`CREATE DATABASE ${db}`);
    for (const s of ALL) {
      await source.query(`USE ${db}; ${s.ddl}`);
      await source.query(`USE ${db}; ${s.rows}`);
    }
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mariadb', url: source.url } },
      targets: { t: targetCfg },
      tuning: { snapshotChunkSize: 1, snapshotParallelism: 1, snapshotTableWriters: 1, batchSize: 100, maxBatchDelayMs: 20 },
      pipelines: [{ name: `kr-${db}`, source: 's', target: 't', tables: [`${db}.*`] }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    // After a chunk is written (and before the next one is read), the source changes of the scenario that waits for it.
    const copied: string[] = [];
    const pending = new Map(ALL.map((s) => [`${s.at.table}#${s.at.index}`, s.changes]));
    const newTarget = p.newTarget.bind(p);
    p.newTarget = (...args: Parameters<Pipeline['newTarget']>): Target => {
      const t = newTarget(...args);
      const write = t.applySnapshotChunk.bind(t);
      t.applySnapshotChunk = async (chunk: SnapshotChunk): Promise<void> => {
        await write(chunk);
        copied.push(`${chunk.table}#${chunk.index}`);
        const changes = pending.get(`${chunk.table}#${chunk.index}`);
        pending.delete(`${chunk.table}#${chunk.index}`);
        if (changes) await source.query(`USE ${db}; ${changes}`);
      };
      return t;
    };
    const ctl = new AbortController();
    const done = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    let last: string[] = [];
    const differences = async (): Promise<string[]> => {
      const out: string[] = [];
      for (const t of TABLES) {
        const [a, b] = await Promise.all([sourceRows(db, t), targetRows(db, t)]);
        if (a.join('\n') !== b.join('\n')) out.push(`${t}: source [${a.join(', ')}], target [${b.join(', ')}]`);
      }
      return out;
    };
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed' || p.stats.status === 'stopped', 120_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', `pipeline: ${String(p.stats.lastError ?? '')}`);
      assert.equal(pending.size, 0, `every scenario's changes ran during the copy (chunks copied: ${copied.join(' ')})`);
      // Each scenario's hook ran before the chunks it needs read after it (one worker, tables and chunks in order).
      for (const s of ALL) {
        const at = copied.indexOf(`${s.at.table}#${s.at.index}`);
        for (const t of s.tables) {
          const later = copied.filter((c, i) => c.startsWith(`${t}#`) && i > at).length;
          assert.ok(t === s.tables[0] && s.tables.length > 1 ? later === 0 : later > 0, `chunk order for ${t}: ${copied.join(' ')}`);
        }
      }
      // A write past the copy, so that the stream passes every chunk.
      await source.query(`USE ${db}; INSERT INTO s1_int VALUES (1000, 'past the copy')`);
      await eventually(async () => (last = await differences()).length === 0, 60_000, 'every table equal to the source')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}`); });
    } finally {
      ctl.abort();
    }
    assert.equal(await done, null);
  }

  it('MariaDB target: every table equal to the source', async () => {
    await run('kr_maria', { type: 'mariadb', url: mariaTarget.url }, mariaRows);
  });

  it('PostgreSQL target: every table equal to the source', async () => {
    await run('kr_pg', { type: 'postgres', url: pgTarget.url }, pgRows);
  });
});
