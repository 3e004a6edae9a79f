// Every MariaDB column type round-trips exactly through the PostgreSQL target: rows of a throwaway MariaDB
// (edge values, zero dates, NULLs) are read by the snapshot reader and by the binlog source, written by
// COPY (snapshot chunk) and by INSERT … ON CONFLICT (stream apply), read back from PostgreSQL as text and
// decoded to cells with cellFromPgText; every cell must equal the source's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { BinlogSource } from '../../../../src/source/binlog-source.js';
import { SnapshotReader } from '../../../../src/snapshot/snapshot-reader.js';
import { InformationSchemaLoader } from '../../../../src/mysql/schema/schema-loader.js';
import { parseDdl } from '../../../../src/mysql/schema/ddl-parser.js';
import type { CreateTableAst } from '../../../../src/mysql/schema/ddl-ast.js';
import type { TableSchema } from '../../../../src/mysql/schema/table-schema.js';
import { JsonText, TimestampValue, type Cell, type Row } from '../../../../src/core/cell.js';
import { PostgresTarget, cellFromPgText } from '../../../../src/targets/postgres/index.js';
import type { SourceTable } from '../../../../src/targets/target.js';
import { createLogger } from '../../../../src/log.js';
import { SluiceError } from '../../../../src/errors.js';
import { isSourceTextDeclined } from '../../../../src/targets/target.js';
import { TYPE_COLUMNS } from '../../type-columns.js';
import { collectChanges } from '../../collect.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';

const quiet = createLogger('test', 'silent');

/** A chunk's rows as images (column name → cell). */
function asRows(chunk: { columns: readonly string[]; rows: ReadonlyArray<readonly Cell[]> }): Row[] {
  return chunk.rows.map((r) => Object.fromEntries(chunk.columns.map((c, i) => [c, r[i] ?? null])) as Row);
}

function show(v: Cell): string {
  if (v === null) return 'NULL';
  if (Buffer.isBuffer(v)) return `0x${v.toString('hex').slice(0, 40)}…(${v.length})`;
  if (v instanceof TimestampValue) return `TS(${v.toSQL()})`;
  if (v instanceof JsonText) return `JSON(${v.text})`;
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
  return `${typeof v}:${String(v)}`;
}

/** Same value: exact for everything but JSON (jsonb normalizes the text; the document must be equal). */
function sameCell(a: Cell, b: Cell, json: boolean): boolean {
  if (a === null || b === null) return a === b;
  if (json) {
    const text = (x: Cell): string => (x instanceof JsonText ? x.text : String(x));
    try {
      assert.deepStrictEqual(JSON.parse(text(a)), JSON.parse(text(b)));
      return true;
    } catch {
      return false;
    }
  }
  if (Buffer.isBuffer(a)) return Buffer.isBuffer(b) && a.equals(b);
  if (a instanceof TimestampValue) return b instanceof TimestampValue && a.toSQL() === b.toSQL();
  if (Array.isArray(a)) return Array.isArray(b) && a.join('\u0001') === b.join('\u0001') && a.length === b.length;
  if (a instanceof Float32Array) return b instanceof Float32Array && a.length === b.length && a.every((x, i) => x === b[i]);
  if (typeof a === 'bigint' || typeof b === 'bigint') return BigInt(a as bigint) === BigInt(b as bigint);
  return typeof a === typeof b && (a === b || (typeof a === 'number' && Object.is(a, b)));
}

describe('PostgreSQL target: every MariaDB type round-trips exactly', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  let model: SourceTable;
  let binlog: BinlogSource;
  let reader: SnapshotReader;
  const targets: PostgresTarget[] = [];

  /** The source model of table types.<table> as the pipeline reads it: information_schema and its parsed CREATE TABLE. */
  const sourceModel = async (table: string): Promise<SourceTable> => {
    const loader = new InformationSchemaLoader(source.url);
    const schema = (await loader.loadDatabase('types')).get(table) as TableSchema;
    await loader.close();
    const [created] = await source.query<Array<Record<string, string>>>(`SHOW CREATE TABLE types.${table}`);
    const createSql = created!['Create Table']!;
    return { schema, definition: parseDdl(createSql, { defaultDatabase: 'types' }) as CreateTableAst, createSql };
  };

  before(async () => {
    [source, db] = await Promise.all([startMariaDb({ serverId: 61, extraArgs: ['--default-time-zone=+00:00'] }), createPgDatabase()]);
    await source.query('CREATE DATABASE types');
    await source.query(`CREATE TABLE types.t (id INT PRIMARY KEY, ${TYPE_COLUMNS.map((c) => `${c.name} ${c.ddl}`).join(', ')},
      c_tabs VARCHAR(40), c_gen BIGINT AS (c_int + 1) VIRTUAL, UNIQUE KEY u_char (c_char, id), KEY k_text (c_text(20))) DEFAULT CHARSET=utf8mb4`);
    model = await sourceModel('t');
    binlog = new BinlogSource({ url: source.url, serverId: 4343, start: { kind: 'now' }, filter: (d) => d === 'types' });
    await binlog.next().catch(() => null);
    reader = new SnapshotReader(source.url, 'mariadb', 1);
  });
  after(async () => {
    for (const t of targets) await t.close().catch(() => undefined);
    await binlog?.close();
    await reader?.close();
    await Promise.all([source?.stop(), db?.drop()]);
  });

  const writeRow = async (i: number, values: number): Promise<void> => {
    await source.query(`INSERT INTO types.t (id, ${TYPE_COLUMNS.map((c) => c.name).join(', ')}, c_tabs) VALUES (${i + 1}, ${TYPE_COLUMNS.map((c) => c.values[values]).join(', ')}, 'a\\tb\\nc\\\\d\\re')`);
  };

  /** The rows of `schema`.`table` on PostgreSQL, decoded to cells. */
  const pgRows = async (schema: string, table = 't', escapesBytea = true): Promise<Map<number, Row>> => {
    const cols = model.schema.columns;
    const res = await db.query(`SELECT ${cols.map((c) => `"${c.name}"`).join(', ')} FROM "${schema}"."${table}" ORDER BY id`);
    return new Map(res.map((r) => {
      const row: Row = {};
      for (const c of cols) {
        const text = r[c.name] ?? null;
        // The column made bytea (see above) holds the text's UTF-8 bytes.
        row[c.name] = escapesBytea && c.name === 'c_escapes' && text !== null ? Buffer.from(text.slice(2), 'hex').toString('utf8') : cellFromPgText(c, text);
      }
      return [Number(row.id), row];
    }));
  };

  const compare = (expected: Row[], actual: Map<number, Row>, what: string, only?: (name: string) => boolean): void => {
    assert.equal(actual.size, expected.length, `${what}: row count`);
    for (const e of expected) {
      const a = actual.get(Number(e.id));
      assert.ok(a, `${what}: row ${String(e.id)} missing`);
      for (const c of model.schema.columns) {
        if (only && !only(c.name)) continue;
        if (!(c.name in e)) continue;
        assert.ok(sameCell(e[c.name]!, a[c.name]!, c.json === true || c.dataType === 'json'),
          `${what}: row ${String(e.id)} column ${c.name} (${c.sqlType}): source ${show(e[c.name]!)} != PostgreSQL ${show(a[c.name]!)}`);
      }
    }
  };

  it('snapshot chunk (COPY) and stream apply (INSERT … ON CONFLICT) keep every value', async () => {
    for (let i = 0; i < 3; i++) await writeRow(i, i);
    await source.query('INSERT INTO types.t (id) VALUES (4)');
    const inserted = await collectChanges(binlog, 4);
    const snap = await reader.readChunk(model.schema, { lo: null, hi: null });
    assert.equal(snap.rows.length, 4);
    const snapRows = asRows(snap);

    // Snapshot path: COPY.
    const viaCopy = new PostgresTarget({ pipeline: 'copy', url: db.url, targetDatabase: 'copy', logger: quiet });
    targets.push(viaCopy);
    await viaCopy.open();
    await viaCopy.ensureTable(model);
    // PostgreSQL text cannot hold NUL characters (c_escapes has one): refused with a fix, which is to make it bytea.
    await assert.rejects(viaCopy.applySnapshotChunk({ database: 'types', table: 't', schema: model.schema, columns: snap.columns, rows: snap.rows, index: 0, position: snap.position }),
      (e: unknown) => e instanceof SluiceError && e.code === 'TARGET_WRITE_FAILED' && /c_escapes/.test(e.message) && /bytea/.test(e.fix));
    await db.query(`ALTER TABLE copy.t ALTER COLUMN c_escapes TYPE bytea USING convert_to(c_escapes, 'UTF8')`);
    await viaCopy.prepareSnapshot();
    await viaCopy.applySnapshotChunk({ database: 'types', table: 't', schema: model.schema, columns: snap.columns, rows: snap.rows, index: 0, position: snap.position });
    compare(snapRows, await pgRows('copy'), 'COPY of snapshot rows');

    // Stream path: the binlog's row images, applied with INSERT … ON CONFLICT.
    const viaStream = new PostgresTarget({ pipeline: 'stream', url: db.url, targetDatabase: 'stream', logger: quiet });
    targets.push(viaStream);
    await viaStream.open();
    await viaStream.ensureTable(model);
    await db.query(`ALTER TABLE stream.t ALTER COLUMN c_escapes TYPE bytea USING convert_to(c_escapes, 'UTF8')`);
    await viaStream.apply({ changes: inserted.changes, checkpoint: { pipeline: 'stream', position: inserted.transactions.at(-1)!.position, epoch: viaStream.epoch } });
    compare(snapRows, await pgRows('stream'), 'stream inserts');
    // The binlog's cells themselves equal what PostgreSQL holds.
    compare(inserted.changes.map((c) => c.after!), await pgRows('stream'), 'binlog cells');

    // Updates (every column to another edge value) and their re-snapshot.
    for (let i = 0; i < 3; i++) {
      const j = (i + 1) % 3;
      await source.query(`UPDATE types.t SET ${TYPE_COLUMNS.map((c) => `${c.name} = ${c.values[j]}`).join(', ')} WHERE id = ${i + 1}`);
    }
    await source.query(`UPDATE types.t SET ${TYPE_COLUMNS.map((c) => `${c.name} = ${c.values[0]}`).join(', ')} WHERE id = 4`);
    const updated = await collectChanges(binlog, 4);
    await viaStream.apply({ changes: updated.changes, checkpoint: { pipeline: 'stream', position: updated.transactions.at(-1)!.position, epoch: viaStream.epoch } });
    const snap2 = await reader.readChunk(model.schema, { lo: null, hi: null });
    const snap2Rows = asRows(snap2);
    compare(snap2Rows, await pgRows('stream'), 'stream updates');
    await viaCopy.applySnapshotChunk({ database: 'types', table: 't', schema: model.schema, columns: snap2.columns, rows: snap2.rows, index: 1, position: snap2.position });
    compare(snap2Rows, await pgRows('copy'), 'COPY over existing rows (ON CONFLICT fallback)');

    await source.query('DELETE FROM types.t WHERE id IN (1, 4)');
    const deleted = await collectChanges(binlog, 2);
    await viaStream.apply({ changes: deleted.changes, checkpoint: { pipeline: 'stream', position: deleted.transactions.at(-1)!.position, epoch: viaStream.epoch } });
    compare(snap2Rows.filter((r) => r.id !== 1 && r.id !== 4), await pgRows('stream'), 'stream deletes');
  });

  it('source COPY text (the snapshot fast path) writes exactly what the typed path writes, for every type', async () => {
    // A copy of the table without NUL characters (text cannot hold them: the fast path leaves such rows to the typed path).
    const names = ['id', ...TYPE_COLUMNS.map((c) => c.name), 'c_tabs'];
    await source.query('CREATE TABLE types.f LIKE types.t');
    for (let i = 0; i < 3; i++) {
      await source.query(`INSERT INTO types.f (${names.join(', ')}) VALUES (${i + 1}, ${TYPE_COLUMNS.map((c) => c.values[i]).join(', ')}, 'a\\tb\\nc\\\\d\\re')`);
    }
    await source.query('INSERT INTO types.f (id) VALUES (4)');
    await source.query('UPDATE types.f SET c_escapes = REPLACE(c_escapes, CHAR(0), \'\')');
    const fModel = await sourceModel('f');
    const fSchema = fModel.schema;

    const text = await reader.readChunkText(fSchema, { lo: null, hi: null }, 'pg-copy');
    assert.ok(text && text.format === 'pg-copy', 'the source prints the chunk as COPY text');
    assert.equal(text.rows, 4);
    const typed = await reader.readChunk(fSchema, { lo: null, hi: null });

    const fast = new PostgresTarget({ pipeline: 'fast', url: db.url, targetDatabase: 'fast', logger: quiet });
    const slow = new PostgresTarget({ pipeline: 'slow', url: db.url, targetDatabase: 'slow', logger: quiet });
    targets.push(fast, slow);
    for (const t of [fast, slow]) {
      await t.open();
      await t.ensureTable(fModel);
      await t.prepareSnapshot();
    }
    await fast.applySnapshotChunk({ database: 'types', table: 'f', schema: fSchema, columns: text.columns.map((c) => c.name), rows: [], sourceText: text, index: 0, position: text.position });
    await slow.applySnapshotChunk({ database: 'types', table: 'f', schema: fSchema, columns: typed.columns, rows: typed.rows, index: 0, position: typed.position });
    compare(asRows(typed), await pgRows('fast', 'f', false), 'COPY of the source\'s text');
    // And the very same PostgreSQL values as the typed path (jsonb compared as documents by PostgreSQL itself).
    const diff = await db.query('SELECT count(*)::text AS n FROM ((TABLE fast.f EXCEPT ALL TABLE slow.f) UNION ALL (TABLE slow.f EXCEPT ALL TABLE fast.f)) d');
    assert.equal(diff[0]!['n'], '0', 'fast and typed paths wrote the same rows');
    const done = await fast.snapshotChunksDone();
    assert.deepEqual(done.map((d) => d.rows), [4], 'the progress row counts the text\'s rows');

    // The same text over existing rows: the unique violation goes through the staging table (ON CONFLICT).
    await fast.applySnapshotChunk({ database: 'types', table: 'f', schema: fSchema, columns: text.columns.map((c) => c.name), rows: [], sourceText: text, index: 1, position: text.position });
    compare(asRows(typed), await pgRows('fast', 'f', false), 'COPY text over existing rows');

    // A target column of another type than the text was printed for: declined (nothing written), not refused.
    await db.query(`ALTER TABLE slow.f ALTER COLUMN c_escapes TYPE bytea USING convert_to(c_escapes, 'UTF8')`);
    await assert.rejects(slow.applySnapshotChunk({ database: 'types', table: 'f', schema: fSchema, columns: [], rows: [], sourceText: text, index: 2, position: text.position }),
      (e: unknown) => isSourceTextDeclined(e) && e.details['refused'] === false);
    // A value PostgreSQL rejects in the text (here: a year PostgreSQL refuses): declined, rolled back, the typed path says why.
    const bad = { ...text, data: Buffer.from(text.data.toString('utf8').replace('1000-01-01\t', '0000-01-01\t')) };
    await assert.rejects(fast.applySnapshotChunk({ database: 'types', table: 'f', schema: fSchema, columns: [], rows: [], sourceText: bad, index: 3, position: text.position }),
      (e: unknown) => isSourceTextDeclined(e) && e.details['refused'] === false);
    assert.deepEqual((await fast.snapshotChunksDone()).map((d) => d.index).sort(), [0, 1], 'the declined chunks wrote nothing');

    // A NUL character is printed as the escape \000 (three digits: the digits after it stay digits), which PostgreSQL
    // rejects: the text is declined (nothing written) and the typed path refuses the value with its fix.
    await source.query("CREATE TABLE types.n (id INT PRIMARY KEY, s VARCHAR(20)) DEFAULT CHARSET=utf8mb4");
    await source.query("INSERT INTO types.n VALUES (1, 'ok'), (2, CONCAT('a', CHAR(0), '12'))");
    const nModel = await sourceModel('n');
    const nSchema = nModel.schema;
    const nText = await reader.readChunkText(nSchema, { lo: null, hi: null }, 'pg-copy');
    assert.equal(nText?.data.toString('utf8'), '1\tok\n2\ta\\00012\n');
    await fast.ensureTable(nModel);
    await assert.rejects(fast.applySnapshotChunk({ database: 'types', table: 'n', schema: nSchema, columns: [], rows: [], sourceText: nText!, index: 0, position: nText!.position }),
      (e: unknown) => isSourceTextDeclined(e) && e.details['refused'] === false);
    assert.deepEqual(await db.query('SELECT count(*)::text AS n FROM fast.n'), [{ n: '0' }], 'the declined chunk wrote nothing');
    const nTyped = await reader.readChunk(nSchema, { lo: null, hi: null });
    await assert.rejects(fast.applySnapshotChunk({ database: 'types', table: 'n', schema: nSchema, columns: nTyped.columns, rows: nTyped.rows, index: 0, position: nTyped.position }),
      (e: unknown) => e instanceof SluiceError && e.code === 'TARGET_WRITE_FAILED' && /bytea/.test(e.fix));

    // A chunk's text larger than one value may hold (group_concat_max_len) is read row by row: the same lines.
    const small = new SnapshotReader(source.url, 'mariadb', 1, undefined, 64);
    try {
      const parts = await small.readChunkText(fSchema, { lo: null, hi: null }, 'pg-copy');
      assert.equal(parts?.rows, 4);
      assert.equal(parts?.data.toString('hex'), text.data.toString('hex'), 'row by row: the same text');
    } finally {
      await small.close();
    }

    // Values only the typed path may refuse make the source print no text: a zero day.
    await source.query('CREATE TABLE types.z (id INT PRIMARY KEY, d DATE, dt DATETIME(2))');
    await source.query("INSERT INTO types.z VALUES (1, '2020-01-01', '0000-00-00 00:00:00.00'), (2, NULL, NULL)");
    const zLoader = new InformationSchemaLoader(source.url);
    const zSchema = (await zLoader.loadDatabase('types')).get('z') as TableSchema;
    await zLoader.close();
    const zText = await reader.readChunkText(zSchema, { lo: null, hi: null }, 'pg-copy');
    assert.equal(zText?.data.toString('utf8'), '1\t2020-01-01\t-infinity\n2\t\\N\t\\N\n');
    await source.query("INSERT INTO types.z VALUES (3, '2020-00-15', NULL)");
    assert.equal(await reader.readChunkText(zSchema, { lo: null, hi: null }, 'pg-copy'), null, 'a date with a zero month');
  });
});
