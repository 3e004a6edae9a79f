// The column catalogue for the live type round-trip tests: every MariaDB type, with the SQL that
// makes the server print a value as text (the oracle) and the function that prints our decoded
// value the same way.
import { JsonText, TimestampValue, type Cell } from '../../src/core/cell.js';

export interface TypeColumn {
  name: string;
  ddl: string;
  /** SQL expression printing the column as the server sees it. */
  oracle?: string;
  /** Our value printed like the oracle. */
  print?: (v: Cell) => string | null;
  /** Edge values (SQL literals) for successive rows; NULL is added automatically when nullable. */
  values: string[];
}

const text = (v: Cell): string | null => (v === null ? null : typeof v === 'string' ? v : `<${typeof v}:${String(v)}>`);
const num = (v: Cell): string | null => (v === null ? null : typeof v === 'number' || typeof v === 'bigint' ? v.toString() : `<${typeof v}>`);
const hex = (v: Cell): string | null => (v === null ? null : Buffer.isBuffer(v) ? v.toString('hex').toUpperCase() : `<not a buffer: ${String(v)}>`);
const ts = (v: Cell): string | null => (v === null ? null : v instanceof TimestampValue ? v.toSQL() : `<not a timestamp: ${String(v)}>`);
const set = (v: Cell): string | null => (v === null ? null : Array.isArray(v) ? v.join(',') : `<not a set: ${String(v)}>`);
const json = (v: Cell): string | null => (v === null ? null : v instanceof JsonText ? JSON.stringify(JSON.parse(v.text)) : `<not a JsonText: ${typeof v}>`);
const f32 = (v: Cell): string | null => (v === null ? null : typeof v === 'number' ? String(Math.fround(v)) : '<not a number>');
const f64 = (v: Cell): string | null => (v === null ? null : typeof v === 'number' ? String(v) : '<not a number>');

export const TYPE_COLUMNS: TypeColumn[] = [
  { name: 'c_tinyint', ddl: 'TINYINT', print: num, values: ['-128', '127', '0'] },
  { name: 'c_tinyint_u', ddl: 'TINYINT UNSIGNED', print: num, values: ['0', '255', '1'] },
  { name: 'c_smallint', ddl: 'SMALLINT', print: num, values: ['-32768', '32767', '0'] },
  { name: 'c_smallint_u', ddl: 'SMALLINT UNSIGNED', print: num, values: ['0', '65535', '7'] },
  { name: 'c_mediumint', ddl: 'MEDIUMINT', print: num, values: ['-8388608', '8388607', '-1'] },
  { name: 'c_mediumint_u', ddl: 'MEDIUMINT UNSIGNED', print: num, values: ['0', '16777215', '5'] },
  { name: 'c_int', ddl: 'INT', print: num, values: ['-2147483648', '2147483647', '-7'] },
  { name: 'c_int_u', ddl: 'INT UNSIGNED', print: num, values: ['0', '4294967295', '3000000000'] },
  { name: 'c_bigint', ddl: 'BIGINT', print: num, values: ['-9223372036854775808', '9223372036854775807', '9007199254740993'] },
  { name: 'c_bigint_u', ddl: 'BIGINT UNSIGNED', print: num, values: ['0', '18446744073709551615', '9007199254740992'] },
  { name: 'c_float', ddl: 'FLOAT', oracle: 'CAST(c_float AS DOUBLE)', print: f32, values: ['-3.4e38', '1.17549435e-38', '3.14159'] },
  { name: 'c_double', ddl: 'DOUBLE', oracle: 'c_double', print: f64, values: ['-1.7976931348623157e308', '2.2250738585072014e-308', '0.1'] },
  { name: 'c_dec_10_2', ddl: 'DECIMAL(10,2)', print: text, values: ['-99999999.99', '99999999.99', '-0.01'] },
  { name: 'c_dec_65_30', ddl: 'DECIMAL(65,30)', print: text, values: ['-99999999999999999999999999999999999.999999999999999999999999999999', '12345678901234567890.123456789012345678901234567890', '0.000000000000000000000000000001'] },
  { name: 'c_dec_u', ddl: 'DECIMAL(20,0) UNSIGNED', print: text, values: ['0', '99999999999999999999', '18446744073709551616'] },
  { name: 'c_dec_5_5', ddl: 'DECIMAL(5,5)', print: text, values: ['-0.99999', '0.00001', '0'] },
  { name: 'c_bit1', ddl: 'BIT(1)', oracle: 'CAST(c_bit1 + 0 AS CHAR)', print: num, values: ["b'0'", "b'1'", "b'1'"] },
  { name: 'c_bit13', ddl: 'BIT(13)', oracle: 'CAST(c_bit13 + 0 AS CHAR)', print: num, values: ["b'0'", "b'1111111111111'", "b'1010101010101'"] },
  { name: 'c_bit64', ddl: 'BIT(64)', oracle: 'CAST(c_bit64 + 0 AS CHAR)', print: num, values: ["b'0'", '18446744073709551615', '9007199254740993'] },
  { name: 'c_year', ddl: 'YEAR', print: num, values: ['1901', '2155', '0'] },
  { name: 'c_date', ddl: 'DATE', print: text, values: ["'1000-01-01'", "'9999-12-31'", "'0000-00-00'"] },
  { name: 'c_time', ddl: 'TIME', print: text, values: ["'-838:59:59'", "'838:59:59'", "'00:00:00'"] },
  { name: 'c_time6', ddl: 'TIME(6)', print: text, values: ["'-838:59:59.000000'", "'-00:00:00.000001'", "'12:34:56.789012'"] },
  { name: 'c_time3', ddl: 'TIME(3)', print: text, values: ["'-01:00:00.5'", "'23:59:59.999'", "'-00:00:01.001'"] },
  { name: 'c_datetime', ddl: 'DATETIME', print: text, values: ["'1000-01-01 00:00:00'", "'9999-12-31 23:59:59'", "'0000-00-00 00:00:00'"] },
  { name: 'c_datetime1', ddl: 'DATETIME(1)', print: text, values: ["'2024-02-29 12:00:00.1'", "'1999-12-31 23:59:59.9'", "'2000-01-01 00:00:00.0'"] },
  { name: 'c_datetime6', ddl: 'DATETIME(6)', print: text, values: ["'1000-01-01 00:00:00.000001'", "'9999-12-31 23:59:59.999999'", "'2024-06-01 01:02:03.456789'"] },
  { name: 'c_timestamp', ddl: 'TIMESTAMP NULL', print: ts, values: ["'1970-01-01 00:00:01'", "'2038-01-19 03:14:07'", "'0000-00-00 00:00:00'"] },
  { name: 'c_timestamp4', ddl: 'TIMESTAMP(4) NULL', print: ts, values: ["'1970-01-01 00:00:01.0001'", "'2038-01-19 03:14:07.9999'", "'2024-03-10 02:30:00.5'"] },
  { name: 'c_char', ddl: 'CHAR(10) CHARACTER SET utf8mb4', print: text, values: ["''", "'😀emoji'", "'abc'"] },
  { name: 'c_char255', ddl: 'CHAR(255) CHARACTER SET utf8mb4', print: text, values: ["REPEAT('é', 255)", "'x'", "''"] },
  { name: 'c_varchar', ddl: 'VARCHAR(300) CHARACTER SET utf8mb4', print: text, values: ["''", "REPEAT('😀', 300)", "'héllo wörld'"] },
  { name: 'c_varchar_latin1', ddl: 'VARCHAR(50) CHARACTER SET latin1', print: text, values: ["'café'", "'€ sign'", "''"] },
  { name: 'c_text', ddl: 'TEXT CHARACTER SET utf8mb4', print: text, values: ["''", "REPEAT('ab😀', 5000)", "'line1\\nline2'"] },
  // Backslash, TAB, CR, LF, NUL, Ctrl-Z, quotes and separators (LOAD DATA's escapes), and the texts "\N" and "NULL".
  { name: 'c_escapes', ddl: 'VARCHAR(100) CHARACTER SET utf8mb4', print: text, values: ["'b\\\\s\\tt\\rr\\nn\\0z\\Z,q\\'d\"e\\\\'", "'\\\\N'", "'NULL'"] },
  { name: 'c_tinytext', ddl: 'TINYTEXT', print: text, values: ["''", "REPEAT('z', 255)", "'t'"] },
  { name: 'c_mediumtext', ddl: 'MEDIUMTEXT', print: text, values: ["REPEAT('m', 70000)", "''", "'mm'"] },
  { name: 'c_binary', ddl: 'BINARY(4)', oracle: 'HEX(c_binary)', print: hex, values: ["X'00000000'", "X'FFFFFFFF'", "X'01'"] },
  { name: 'c_varbinary', ddl: 'VARBINARY(300)', oracle: 'HEX(c_varbinary)', print: hex, values: ["X''", "REPEAT(X'FF00', 150)", "X'DEADBEEF'"] },
  { name: 'c_blob', ddl: 'BLOB', oracle: 'HEX(c_blob)', print: hex, values: ["X''", "REPEAT(X'00FF', 30000)", "X'0102'"] },
  { name: 'c_longblob', ddl: 'LONGBLOB', oracle: 'HEX(c_longblob)', print: hex, values: ["REPEAT(X'AB', 100000)", "X''", "X'FE'"] },
  { name: 'c_enum', ddl: "ENUM('a','b''q','ñü')", print: text, values: ["'a'", "'ñü'", "'b''q'"] },
  { name: 'c_set', ddl: "SET('x','y','z')", print: set, values: ["''", "'x,y,z'", "'z'"] },
  { name: 'c_set64', ddl: `SET(${Array.from({ length: 64 }, (_, i) => `'m${i}'`).join(',')})`, print: set, values: ["'m0,m63'", "'m7'", "''"] },
  { name: 'c_json', ddl: 'JSON', print: json, values: [`'{"a":1,"b":[true,null,"x"],"c":{"d":1.5}}'`, "'[]'", `'"😀"'`] },
  { name: 'c_geometry', ddl: 'GEOMETRY', oracle: 'HEX(c_geometry)', print: hex, values: ["ST_GeomFromText('POINT(1 2)')", "ST_GeomFromText('LINESTRING(0 0,1 1,2 2)')", "ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))')"] },
  { name: 'c_uuid', ddl: 'UUID', print: text, values: ["'00000000-0000-0000-0000-000000000000'", "'123e4567-e89b-12d3-a456-426614174000'", "'ffffffff-ffff-ffff-ffff-ffffffffffff'"] },
  { name: 'c_inet4', ddl: 'INET4', print: text, values: ["'0.0.0.0'", "'255.255.255.255'", "'192.168.1.10'"] },
  { name: 'c_inet6', ddl: 'INET6', print: text, values: ["'::'", "'2001:db8::ff00:42:8329'", "'::ffff:192.0.2.1'"] },
];

/** The oracle expression for a column (default: its text form). */
export function oracleOf(c: TypeColumn): string {
  return c.oracle ?? `CAST(${c.name} AS CHAR)`;
}
