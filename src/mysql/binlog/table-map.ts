import { ByteReader } from './byte-reader.js';
import type { TableMapEvent } from './events.js';
import { ColumnType, type ColumnDef } from '../values/column-type.js';
import { parseColumnMeta } from '../values/column-meta.js';
import { CorruptEventError } from '../../errors.js';

/** TABLE_MAP optional metadata field types (binlog_row_metadata). */
export const OptionalMeta = {
  SIGNEDNESS: 1, DEFAULT_CHARSET: 2, COLUMN_CHARSET: 3, COLUMN_NAME: 4, SET_STR_VALUE: 5, ENUM_STR_VALUE: 6,
  GEOMETRY_TYPE: 7, SIMPLE_PRIMARY_KEY: 8, PRIMARY_KEY_WITH_PREFIX: 9, ENUM_AND_SET_DEFAULT_CHARSET: 10,
  ENUM_AND_SET_COLUMN_CHARSET: 11, COLUMN_VISIBILITY: 12,
} as const;

const NUMERIC = new Set<number>([ColumnType.TINY, ColumnType.SHORT, ColumnType.INT24, ColumnType.LONG, ColumnType.LONGLONG,
  ColumnType.NEWDECIMAL, ColumnType.DECIMAL, ColumnType.FLOAT, ColumnType.DOUBLE]);
const CHARACTER = new Set<number>([ColumnType.STRING, ColumnType.VAR_STRING, ColumnType.VARCHAR, ColumnType.BLOB,
  ColumnType.TINY_BLOB, ColumnType.MEDIUM_BLOB, ColumnType.LONG_BLOB, ColumnType.VECTOR]);
const ENUM_SET = new Set<number>([ColumnType.ENUM, ColumnType.SET]);

/** Columns (indexes) that a per-kind optional metadata list refers to, in order. */
function indexesOf(columns: readonly ColumnDef[], kinds: Set<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < columns.length; i++) if (kinds.has(columns[i]!.type)) out.push(i);
  return out;
}

function bitSet(bits: Buffer, i: number): boolean {
  // optional metadata bitmaps are MSB-first
  return ((bits[i >> 3] ?? 0) & (0x80 >> (i & 7))) !== 0;
}

function readStrList(r: ByteReader): string[] {
  const n = r.lenencNum();
  if (n > r.remaining) throw new CorruptEventError('string list longer than its field', { offset: r.pos });
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(r.lenencStr());
  return out;
}

/** Apply a DEFAULT_CHARSET-style field: default collation, then (index, collation) overrides. */
function applyDefaultCharset(r: ByteReader, columns: ColumnDef[], which: number[]): void {
  const def = r.lenencNum();
  for (const i of which) columns[i]!.collation = def;
  while (r.remaining > 0) {
    const k = r.lenencNum();
    const coll = r.lenencNum();
    const col = which[k];
    if (col === undefined) throw new CorruptEventError(`charset override for column ${k} of ${which.length}`, { offset: r.pos });
    columns[col]!.collation = coll;
  }
}

/** Parse optional metadata TLVs in [start, end) into the columns. */
function applyOptionalMetadata(buf: Buffer, start: number, end: number, columns: ColumnDef[], ev: TableMapEvent): void {
  const r = new ByteReader(buf, start, end);
  while (r.remaining > 0) {
    const type = r.u8();
    const len = r.lenencNum();
    r.ensure(len, 'a TABLE_MAP optional metadata field');
    const f = new ByteReader(buf, r.pos, r.pos + len);
    r.skip(len);
    switch (type) {
      case OptionalMeta.SIGNEDNESS: {
        const bits = f.rest();
        indexesOf(columns, NUMERIC).forEach((col, k) => { columns[col]!.unsigned = bitSet(bits, k); });
        ev.hasSignedness = true;
        break;
      }
      case OptionalMeta.DEFAULT_CHARSET: applyDefaultCharset(f, columns, indexesOf(columns, CHARACTER)); break;
      case OptionalMeta.ENUM_AND_SET_DEFAULT_CHARSET: applyDefaultCharset(f, columns, indexesOf(columns, ENUM_SET)); break;
      case OptionalMeta.COLUMN_CHARSET:
      case OptionalMeta.ENUM_AND_SET_COLUMN_CHARSET: {
        const which = indexesOf(columns, type === OptionalMeta.COLUMN_CHARSET ? CHARACTER : ENUM_SET);
        for (const col of which) { if (f.remaining === 0) break; columns[col]!.collation = f.lenencNum(); }
        break;
      }
      case OptionalMeta.COLUMN_NAME: {
        for (const c of columns) { if (f.remaining === 0) break; c.name = f.lenencStr(); }
        ev.hasNames = true;
        break;
      }
      case OptionalMeta.SET_STR_VALUE:
      case OptionalMeta.ENUM_STR_VALUE: {
        const which = indexesOf(columns, new Set([type === OptionalMeta.SET_STR_VALUE ? ColumnType.SET : ColumnType.ENUM]));
        for (const col of which) { if (f.remaining === 0) break; columns[col]!.enumValues = readStrList(f); }
        break;
      }
      case OptionalMeta.GEOMETRY_TYPE: {
        for (const col of indexesOf(columns, new Set([ColumnType.GEOMETRY]))) { if (f.remaining === 0) break; columns[col]!.geometryType = f.lenencNum(); }
        break;
      }
      case OptionalMeta.SIMPLE_PRIMARY_KEY: {
        const pk: number[] = [];
        while (f.remaining > 0) pk.push(f.lenencNum());
        ev.primaryKey = pk;
        break;
      }
      case OptionalMeta.PRIMARY_KEY_WITH_PREFIX: {
        const pk: number[] = [];
        while (f.remaining > 0) { pk.push(f.lenencNum()); f.lenencNum(); }
        ev.primaryKey = pk;
        break;
      }
      case OptionalMeta.COLUMN_VISIBILITY: {
        const bits = f.rest();
        columns.forEach((c, i) => { c.visible = bitSet(bits, i); });
        break;
      }
      default: break; // unknown (e.g. MySQL 9 VECTOR_DIMENSIONALITY): skipped
    }
  }
  if (ev.primaryKey?.some((i) => i >= columns.length)) throw new CorruptEventError('primary key column index out of range', { offset: start });
}

/**
 * Decode a TABLE_MAP body in [start, end). `tableIdLength` is 6 (or 4 for very old servers).
 * Columns are named `@1…` unless the optional metadata names them.
 */
export function decodeTableMap(buf: Buffer, start: number, end: number, tableIdLength: number): TableMapEvent {
  const r = new ByteReader(buf, start, end);
  const tableId = tableIdLength === 4 ? r.u32() : r.u48();
  r.skip(2); // flags
  const dbLen = r.u8();
  const database = r.str(dbLen);
  r.skip(1);
  const tLen = r.u8();
  const table = r.str(tLen);
  r.skip(1);
  const n = r.lenencNum();
  if (n === 0 || n > r.remaining) throw new CorruptEventError(`TABLE_MAP column count ${n}`, { offset: r.pos });
  const rawTypes = r.bytes(n);
  const metaLen = r.lenencNum();
  const meta = r.bytes(metaLen);
  const nullBits = r.bytes((n + 7) >> 3);
  const parsed = parseColumnMeta(rawTypes, meta);
  if (parsed.types.length !== n || parsed.metas.length !== n) throw new CorruptEventError('column metadata does not match the column count', { offset: start });
  const columns: ColumnDef[] = new Array<ColumnDef>(n);
  for (let i = 0; i < n; i++) {
    columns[i] = {
      name: `@${i + 1}`,
      type: parsed.types[i]!,
      meta: parsed.metas[i]!,
      nullable: (nullBits[i >> 3]! & (1 << (i & 7))) !== 0,
      unsigned: false,
      collation: null,
    };
  }
  const ev: TableMapEvent = { kind: 'table_map', tableId, database, table, columns, hasNames: false, hasSignedness: false };
  if (r.remaining > 0) applyOptionalMetadata(buf, r.pos, end, columns, ev);
  return ev;
}
