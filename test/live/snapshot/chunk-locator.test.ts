// SourceChunkLocator places keys in the chunks the planner made exactly as the server's own comparison of the key
// columns does (the truth: each chunk's range condition evaluated on a table of probe keys with the same columns):
// a case- and accent-insensitive VARCHAR, a latin1 one, VARBINARY, DECIMAL, and a composite (VARCHAR, INT) key, with
// keys inside, on and between the bounds, more chunks than one round trip compares (the k-ary search's later rounds).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { InformationSchemaLoader } from '../../../src/mysql/schema/schema-loader.js';
import { SnapshotReader, pkColumns } from '../../../src/snapshot/snapshot-reader.js';
import { SourceChunkLocator } from '../../../src/snapshot/chunk-locator.js';
import { rangeCondition } from '../../../src/snapshot/key-range.js';
import type { Row } from '../../../src/core/cell.js';

const WORDS = ['Ärger', 'apple', 'Apfel', 'banana', 'Zebra', 'zoo', 'éclair', 'eclaire', 'Ölung', 'orange', 'b', 'B ', 'mango', 'Kiwi', 'kiwis', 'pear'];

const TABLES: Record<string, { columns: string; keys: (i: number) => string }> = {
  ci: { columns: 'k VARCHAR(40) COLLATE utf8mb4_general_ci NOT NULL, PRIMARY KEY (k)', keys: (i) => `'${WORDS[i % WORDS.length]}${Math.floor(i / WORDS.length)}'` },
  latin: { columns: 'k VARCHAR(40) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL, PRIMARY KEY (k)', keys: (i) => `'${WORDS[i % WORDS.length]}${Math.floor(i / WORDS.length)}'` },
  bin: { columns: 'k VARBINARY(20) NOT NULL, PRIMARY KEY (k)', keys: (i) => `X'${(i * 7919 % 65536).toString(16).padStart(4, '0')}'` },
  dec: { columns: 'k DECIMAL(12,3) NOT NULL, PRIMARY KEY (k)', keys: (i) => `${(i * 37 % 1000) - 500}.${i % 10}25` },
  pair: { columns: 'a VARCHAR(10) COLLATE utf8mb4_general_ci NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b)', keys: (i) => `'${WORDS[i % WORDS.length]}', ${i % 11}` },
};

describe('SourceChunkLocator', () => {
  let source: MariaDbServer;
  before(async () => {
    source = await startMariaDb({ binlog: false });
    await source.query('CREATE DATABASE loc');
    for (const [name, t] of Object.entries(TABLES)) {
      await source.query(`CREATE TABLE loc.${name} (${t.columns}); CREATE TABLE loc.${name}_probe (${t.columns})`);
      // Rows: every second key; probes: every key (on the bounds and between them) and a few beyond both ends.
      const keys = [...new Set(Array.from({ length: 160 }, (_, i) => t.keys(i)))];
      await source.query(`INSERT IGNORE INTO loc.${name} VALUES ${keys.filter((_, i) => i % 2 === 0).map((k) => `(${k})`).join(',')}`);
      await source.query(`INSERT IGNORE INTO loc.${name}_probe VALUES ${keys.map((k) => `(${k})`).join(',')}`);
    }
  });
  after(async () => { await source?.stop(); });

  for (const name of Object.keys(TABLES)) {
    it(`places every ${name} key in the chunk whose range holds it`, async () => {
      const loader = new InformationSchemaLoader(source.url);
      const reader = new SnapshotReader(source.url, 'mariadb', 1);
      const conn = await mysql.createConnection({ uri: source.url, supportBigNumbers: true });
      try {
        const schema = (await loader.loadDatabase('loc', [name])).get(name)!;
        const pk = pkColumns(schema);
        const ranges = await reader.planChunks(schema, 2);
        assert.ok(ranges.length > 34, `${ranges.length} chunks: more than one round trip's pivots`);
        const truth = `CASE ${ranges.map((r, i) => `WHEN ${rangeCondition(pk, r)} THEN ${i}`).join(' ')} END`;
        const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT ${pk.map((c) => `\`${c.name}\``).join(', ')}, ${truth} AS chunk FROM loc.${name}_probe`);
        const keys: Row[] = rows.map((r) => Object.fromEntries(pk.map((c) => [c.name, r[c.name] as Row[string]])));
        const his = ranges.slice(0, -1).map((r) => r.hi!);
        const found = await new SourceChunkLocator(conn).chunkIndexes(pk, his, keys);
        assert.ok(found);
        const wrong = rows.map((r, i) => ({ key: JSON.stringify(keys[i]), want: Number(r['chunk']), got: found[i] })).filter((x) => x.want !== x.got);
        assert.deepEqual(wrong, []);
      } finally {
        await Promise.all([conn.end(), reader.close(), loader.close()]);
      }
    });
  }
});
