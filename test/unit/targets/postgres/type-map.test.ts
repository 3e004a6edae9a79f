// The MySQL → PostgreSQL type mapping, the cell ↔ text conversions, the COPY text encoding and the DDL
// translation, without a server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaColumn } from '../../../../src/mysql/schema/table-schema.js';
import { JsonText, TimestampValue } from '../../../../src/core/cell.js';
import { cellFromPgText, parsePgArray, pgColumnCheck, pgColumnType, pgIdent, pgKind, pgTargetName, pgText, type PgColumn } from '../../../../src/targets/postgres/type-map.js';
import { copyEscape, copyLine } from '../../../../src/targets/postgres/copy-encoder.js';
import { translateDdl } from '../../../../src/targets/postgres/ddl-translate.js';
import { pgName } from '../../../../src/targets/postgres/table-sql.js';
import { SluiceError } from '../../../../src/errors.js';
import { ddlChange, sourceTable } from '../../../helpers/source-models.js';

function col(sqlType: string, extra: Partial<SchemaColumn> = {}): SchemaColumn {
  const dataType = sqlType.replace(/\(.*$/, '').replace(/ unsigned$/, '').toLowerCase();
  const nums = /\((\d+)(?:,(\d+))?\)/.exec(sqlType);
  return {
    name: 'c', dataType, sqlType, unsigned: / unsigned/.test(sqlType), nullable: true, charset: null, collation: null, collationId: null,
    octetLength: null, numericPrecision: nums ? Number(nums[1]) : null, numericScale: nums?.[2] ? Number(nums[2]) : null,
    datetimePrecision: ['datetime', 'timestamp', 'time'].includes(dataType) && nums ? Number(nums[1]) : null, generated: null, visible: true, ...extra,
  };
}

const pgCol = (c: SchemaColumn): PgColumn => ({ name: c.name, type: pgColumnType(c), kind: pgKind(pgColumnType(c)) });

describe('PostgreSQL type mapping', () => {
  it('maps every MySQL type to a PostgreSQL type that holds its whole range', () => {
    const cases: Array<[string, string, Partial<SchemaColumn>?]> = [
      ['tinyint', 'smallint'], ['tinyint unsigned', 'smallint'], ['smallint unsigned', 'integer'], ['mediumint unsigned', 'integer'],
      ['int', 'integer'], ['int unsigned', 'bigint'], ['bigint', 'bigint'], ['bigint unsigned', 'numeric(20,0)'],
      ['decimal(65,30)', 'numeric(65,30)'], ['float', 'real'], ['double', 'double precision'], ['bit(13)', 'bit(13)'], ['year', 'smallint'],
      ['date', 'date'], ['datetime(3)', 'timestamp(3) without time zone'], ['timestamp(6)', 'timestamp(6) with time zone'], ['time(2)', 'interval(2)'],
      ['varchar(300)', 'varchar(300)', { charset: 'utf8mb4' }], ['char(10)', 'varchar(10)', { charset: 'latin1' }], ['longtext', 'text', { charset: 'utf8mb4' }],
      ['varbinary(10)', 'bytea', { charset: 'binary', collationId: 63 }], ['longblob', 'bytea'], ['geometry', 'bytea'], ['point', 'bytea'],
      ["enum('a','b')", 'text', { enumValues: ['a', 'b'] }], ["set('x','y')", 'text[]', { enumValues: ['x', 'y'] }], ['json', 'jsonb'],
      ['longtext', 'jsonb', { json: true }], ['uuid', 'uuid'], ['inet4', 'inet'], ['inet6', 'inet'], ['vector(3)', 'real[]'],
    ];
    for (const [mysql, expected, extra] of cases) assert.equal(pgColumnType(col(mysql, extra)), expected, mysql);
    assert.throws(() => pgColumnType(col('mystery')), (e: unknown) => e instanceof SluiceError && e.code === 'UNSUPPORTED_COLUMN_TYPE');
  });

  it('ENUM and SET keep to their members (ENUM\'s error value \'\' allowed)', () => {
    assert.equal(pgColumnCheck(col("enum('a','b''c')", { enumValues: ['a', "b'c"] })), `"c" IN ('a', 'b''c', '')`);
    assert.equal(pgColumnCheck(col("set('x','y')", { enumValues: ['x', 'y'] })), `"c" <@ ARRAY['x', 'y']::text[]`);
    assert.equal(pgColumnCheck(col('int')), null);
  });

  it('writes cells as PostgreSQL input text and reads them back to the same cells', () => {
    const cases: Array<[SchemaColumn, unknown, string | null]> = [
      [col('bigint unsigned'), 18446744073709551615n, '18446744073709551615'],
      [col('bit(13)'), 5461, '1010101010101'],
      [col('bit(64)'), 18446744073709551615n, '1'.repeat(64)],
      [col('double'), -0, '-0'],
      [col('date'), '0000-00-00', '-infinity'],
      [col('datetime(1)'), '0000-00-00 00:00:00.0', '-infinity'],
      [col('datetime(1)'), '2000-01-01 00:00:00.0', '2000-01-01 00:00:00.0'],
      [col('timestamp(4)'), new TimestampValue(0, 0, 4), '-infinity'],
      [col('timestamp(4)'), new TimestampValue(2147483647, 999900, 4), '2038-01-19 03:14:07.9999+00'],
      [col('time(3)'), '-838:59:59.000', '-838:59:59.000'],
      [col("set('a b','x,y')", { enumValues: ['a b', 'x,y'] }), ['a b', 'x,y'], '{"a b","x,y"}'],
      [col("set('a')", { enumValues: ['a'] }), [], '{}'],
      [col('blob'), Buffer.from([0, 255]), '\\x00ff'],
      [col('json'), new JsonText('{"a":1}'), '{"a":1}'],
      [col('int'), null, null],
    ];
    for (const [c, cell, text] of cases) {
      assert.equal(pgText(pgCol(c), cell as never), text, c.sqlType);
    }
    // Read back: what PostgreSQL prints → the source's cell.
    assert.equal(cellFromPgText(col('date'), '-infinity'), '0000-00-00');
    assert.equal(cellFromPgText(col('datetime(1)'), '2000-01-01 00:00:00'), '2000-01-01 00:00:00.0');
    assert.equal(cellFromPgText(col('datetime(1)'), '-infinity'), '0000-00-00 00:00:00.0');
    assert.equal(cellFromPgText(col('time(3)'), '-01:00:00.5'), '-01:00:00.500');
    assert.equal(cellFromPgText(col('bigint unsigned'), '18446744073709551615'), 18446744073709551615n);
    assert.equal(cellFromPgText(col('bit(13)'), '1010101010101'), 5461);
    assert.deepEqual(cellFromPgText(col('timestamp(4)'), '2038-01-19 03:14:07.9999+00'), new TimestampValue(2147483647, 999900, 4));
    assert.deepEqual(cellFromPgText(col('timestamp'), '-infinity'), new TimestampValue(0, 0, 0));
    assert.deepEqual(cellFromPgText(col("set('a')"), '{"a b","x,y","q\\"r"}'), ['a b', 'x,y', 'q"r']);
    assert.deepEqual(cellFromPgText(col('blob'), '\\x00ff'), Buffer.from([0, 255]));
    assert.deepEqual(parsePgArray('{a,NULL,""}'), ['a', null, '']);
  });

  it('refuses values PostgreSQL cannot hold exactly, with a fix', () => {
    const refuse = (c: SchemaColumn, v: string): void => assert.throws(() => pgText(pgCol(c), v), (e: unknown) => e instanceof SluiceError && e.code === 'TARGET_WRITE_FAILED' && e.fix.length > 0);
    refuse(col('date'), '2024-00-15');
    refuse(col('varchar(10)', { charset: 'utf8mb4' }), 'a\0b');
  });
});

describe('COPY text encoding', () => {
  it('escapes backslash, tab, newline and carriage return; NULL is \\N', () => {
    assert.equal(copyEscape('a\tb\nc\\d\re'), 'a\\tb\\nc\\\\d\\re');
    const cols: PgColumn[] = [{ name: 'a', type: 'integer', kind: 'int' }, { name: 'b', type: 'text', kind: 'text' }, { name: 'c', type: 'bytea', kind: 'bytea' }];
    assert.equal(copyLine(cols, [1, null, Buffer.from([1])]), '1\t\\N\t\\\\x01\n');
  });
});

describe('PostgreSQL DDL translation', () => {
  const route = (d: string, t: string): { database: string; table: string } => ({ database: `pg_${d}`, table: t });
  const known = new Map([['s.t', sourceTable('s', "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(10), e ENUM('x','y') NOT NULL, KEY ka (a))")]]);

  it('translates column and table changes to PostgreSQL statements', () => {
    assert.deepEqual(translateDdl(ddlChange('s', 'ALTER TABLE t ADD COLUMN b BIGINT UNSIGNED NOT NULL AFTER id, DROP COLUMN a', known), { route }), [
      'ALTER TABLE "pg_s"."t" ADD COLUMN "b" numeric(20,0) DEFAULT \'0\' NOT NULL',
      'ALTER TABLE "pg_s"."t" ALTER COLUMN "b" DROP DEFAULT',
      'ALTER TABLE "pg_s"."t" DROP COLUMN "a"',
    ]);
    assert.deepEqual(translateDdl(ddlChange('s', 'RENAME TABLE t TO u', known), { route }), [
      'ALTER TABLE "pg_s"."t" RENAME TO "u"',
      'ALTER INDEX IF EXISTS "pg_s"."t__ka" RENAME TO "u__ka"',
    ]);
    assert.deepEqual(translateDdl(ddlChange('s', 'TRUNCATE TABLE u', known), { route }), ['TRUNCATE TABLE "pg_s"."u"']);
    const modify = translateDdl(ddlChange('s', "ALTER TABLE u MODIFY e ENUM('x','y','z') NULL", known), { route, currentType: () => 'text' });
    assert.deepEqual(modify, [
      'ALTER TABLE "pg_s"."u" DROP CONSTRAINT IF EXISTS "e__members"',
      'ALTER TABLE "pg_s"."u" ALTER COLUMN "e" DROP NOT NULL',
      `ALTER TABLE "pg_s"."u" ADD CONSTRAINT "e__members" CHECK ("e" IN ('x', 'y', 'z', ''))`,
    ]);
  });

  it('refuses what it cannot translate with DDL_UNSUPPORTED and a fix', () => {
    for (const sql of ['ALTER TABLE u DROP PRIMARY KEY', 'DROP DATABASE s']) {
      assert.throws(() => translateDdl(ddlChange('s', sql, known), { route }), (e: unknown) => e instanceof SluiceError && e.code === 'DDL_UNSUPPORTED' && /docs\/postgres-target.md/.test(e.fix), sql);
    }
    assert.throws(() => translateDdl({ database: 's', sql: 'CREATE VIEW v AS SELECT 1', ast: null, after: [] }, { route }), (e: unknown) => e instanceof SluiceError && e.code === 'DDL_UNSUPPORTED');
  });

  it('keeps names within 63 bytes', () => {
    const long = pgName('x'.repeat(60), 'index_name');
    assert.ok(Buffer.byteLength(long) <= 63);
    assert.notEqual(long, pgName('x'.repeat(60), 'index_namf'));
  });
});

describe('pgTargetName', () => {
  it('keeps names that fit 63 bytes and maps longer ones to distinct names within 63 bytes, idempotently', () => {
    assert.equal(pgTargetName('product'), 'product');
    assert.equal(pgTargetName('x'.repeat(63)), 'x'.repeat(63));
    const a = pgTargetName('д'.repeat(40) + '_а'), b = pgTargetName('д'.repeat(40) + '_б');
    assert.notEqual(a, b);
    for (const n of [a, b, pgTargetName('x'.repeat(64)), pgTargetName('😀'.repeat(20))]) {
      assert.ok(Buffer.byteLength(n) <= 63, n);
      assert.equal(pgTargetName(n), n, 'a name read back from the catalog maps to itself');
      assert.ok(!n.includes('\uFFFD') && Buffer.from(n).toString() === n, 'whole characters only');
    }
    assert.equal(pgIdent('д'.repeat(40) + '_а'), `"${a}"`);
  });
});
