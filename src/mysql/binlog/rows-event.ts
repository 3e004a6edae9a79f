import { ByteReader } from './byte-reader.js';
import { EventType } from './event-types.js';
import type { JsonDiffText, RowsEvent, RowsOp, TableMapEvent } from './events.js';
import { ColumnType, BINARY_COLLATION, type ColumnDef } from '../values/column-type.js';
import { decodeRowImage } from '../values/row-image.js';
import { CorruptEventError } from '../../errors.js';
import { mariadbUncompress } from './mariadb-compression.js';
import { applyPartialJson, parseJsonDiffs } from './partial-json.js';

/** Rows event flag: last rows event of the statement. */
export const STMT_END_F = 0x1;
/** value_options bit of PARTIAL_UPDATE_ROWS: JSON columns may be diffs. */
const PARTIAL_JSON_UPDATES = 1;

export interface RowsKind { op: RowsOp; v2: boolean; compressed: boolean; partial: boolean }

/** What a rows event type code means, or undefined when it is not a rows event. */
export function rowsKind(type: number): RowsKind | undefined {
  switch (type) {
    case EventType.WRITE_ROWS_V1: return { op: 'insert', v2: false, compressed: false, partial: false };
    case EventType.UPDATE_ROWS_V1: return { op: 'update', v2: false, compressed: false, partial: false };
    case EventType.DELETE_ROWS_V1: return { op: 'delete', v2: false, compressed: false, partial: false };
    case EventType.WRITE_ROWS_V2: return { op: 'insert', v2: true, compressed: false, partial: false };
    case EventType.UPDATE_ROWS_V2: return { op: 'update', v2: true, compressed: false, partial: false };
    case EventType.DELETE_ROWS_V2: return { op: 'delete', v2: true, compressed: false, partial: false };
    case EventType.PARTIAL_UPDATE_ROWS: return { op: 'update', v2: true, compressed: false, partial: true };
    case EventType.MARIADB_WRITE_ROWS_COMPRESSED_V1: return { op: 'insert', v2: false, compressed: true, partial: false };
    case EventType.MARIADB_UPDATE_ROWS_COMPRESSED_V1: return { op: 'update', v2: false, compressed: true, partial: false };
    case EventType.MARIADB_DELETE_ROWS_COMPRESSED_V1: return { op: 'delete', v2: false, compressed: true, partial: false };
    case EventType.MARIADB_WRITE_ROWS_COMPRESSED: return { op: 'insert', v2: true, compressed: true, partial: false };
    case EventType.MARIADB_UPDATE_ROWS_COMPRESSED: return { op: 'update', v2: true, compressed: true, partial: false };
    case EventType.MARIADB_DELETE_ROWS_COMPRESSED: return { op: 'delete', v2: true, compressed: true, partial: false };
    default: return undefined;
  }
}

/** Table id and flags at the start of a rows event (to look up the TABLE_MAP first). */
export function peekRowsTableId(buf: Buffer, start: number, end: number, tableIdLength: number): number {
  const r = new ByteReader(buf, start, end);
  return tableIdLength === 4 ? r.u32() : r.u48();
}

function countBits(bits: Buffer, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) if ((bits[i >> 3]! & (1 << (i & 7))) !== 0) c++;
  return c;
}

/** The after-image columns of a partial update: JSON columns stored as diffs are read as raw bytes. */
function partialColumns(columns: readonly ColumnDef[], partialBits: Buffer): { cols: ColumnDef[]; partialIdx: number[] } {
  const cols = columns.slice();
  const partialIdx: number[] = [];
  let j = 0;
  for (let i = 0; i < columns.length; i++) {
    const c = columns[i]!;
    if (c.type !== ColumnType.JSON) continue;
    if (((partialBits[j >> 3] ?? 0) & (1 << (j & 7))) !== 0) {
      cols[i] = { ...c, type: ColumnType.BLOB, meta: 4, collation: BINARY_COLLATION, charset: 'binary' };
      partialIdx.push(i);
    }
    j++;
  }
  return { cols, partialIdx };
}

/**
 * Decode a rows event body in [start, end) with the TABLE_MAP it refers to.
 * Row images are decoded by decodeRowImage straight from the event bytes (no copy),
 * except MariaDB compressed events, whose rows data is inflated first.
 */
export function decodeRows(buf: Buffer, start: number, end: number, kind: RowsKind, tableIdLength: number, map: TableMapEvent): RowsEvent {
  const r = new ByteReader(buf, start, end);
  const tableId = tableIdLength === 4 ? r.u32() : r.u48();
  const flags = r.u16();
  if (kind.v2) {
    const extraLen = r.u16();
    if (extraLen < 2) throw new CorruptEventError(`rows event extra-data length ${extraLen} < 2`, { offset: r.pos });
    r.skip(extraLen - 2);
  }
  const width = r.lenencNum();
  const columns = map.columns;
  if (width !== columns.length) {
    throw new CorruptEventError(`rows event has ${width} columns but the TABLE_MAP of ${map.database}.${map.table} has ${columns.length}`, { offset: start, tableId });
  }
  const bitmapLen = (width + 7) >> 3;
  const present = r.bytes(bitmapLen);
  const presentAfter = kind.op === 'update' ? r.bytes(bitmapLen) : present;

  let data = buf, pos = r.pos, dataEnd = end;
  if (kind.compressed) {
    data = mariadbUncompress(buf, r.pos, end);
    pos = 0;
    dataEnd = data.length;
  }
  const jsonCount = kind.partial ? columns.reduce((n, c) => n + (c.type === ColumnType.JSON ? 1 : 0), 0) : 0;
  const rows: RowsEvent['rows'] = [];
  const step = (from: number, next: number): void => {
    if (next < from || next > dataEnd) throw new CorruptEventError('row image outside the event', { offset: from });
  };
  if (countBits(present, width) === 0 && countBits(presentAfter, width) === 0 && pos < dataEnd) {
    throw new CorruptEventError('rows event with empty column bitmaps but row data', { offset: pos });
  }
  while (pos < dataEnd) {
    const rowStart = pos;
    if (kind.op === 'insert') {
      const a = decodeRowImage(data, pos, dataEnd, columns, present);
      step(pos, a.next); pos = a.next;
      rows.push({ before: null, after: a.row });
    } else if (kind.op === 'delete') {
      const b = decodeRowImage(data, pos, dataEnd, columns, present);
      step(pos, b.next); pos = b.next;
      rows.push({ before: b.row, after: null });
    } else {
      const b = decodeRowImage(data, pos, dataEnd, columns, present);
      step(pos, b.next); pos = b.next;
      let afterCols: readonly ColumnDef[] = columns;
      let partialIdx: number[] = [];
      if (kind.partial) {
        const vr = new ByteReader(data, pos, dataEnd);
        const options = vr.lenencNum();
        if ((options & PARTIAL_JSON_UPDATES) !== 0) {
          const bits = vr.bytes((jsonCount + 7) >> 3);
          ({ cols: afterCols, partialIdx } = partialColumns(columns, bits));
        }
        pos = vr.pos;
      }
      const a = decodeRowImage(data, pos, dataEnd, afterCols, presentAfter);
      step(pos, a.next); pos = a.next;
      let unapplied: Record<string, JsonDiffText[]> | undefined;
      for (const i of partialIdx) {
        const name = columns[i]!.name;
        const diff = a.row[name];
        if (diff === undefined || diff === null) continue; // absent or NULL: nothing to apply
        if (!Buffer.isBuffer(diff)) throw new CorruptEventError('partial JSON value is not raw bytes', { offset: pos });
        const applied = applyPartialJson(b.row[name], diff);
        if (applied) {
          a.row[name] = applied;
        } else {
          delete a.row[name];
          (unapplied ??= {})[name] = parseJsonDiffs(diff);
        }
      }
      rows.push(unapplied ? { before: b.row, after: a.row, partialJson: unapplied } : { before: b.row, after: a.row });
    }
    if (pos <= rowStart) throw new CorruptEventError('row of zero length', { offset: pos });
  }
  const ev: RowsEvent = {
    kind: 'rows', op: kind.op, tableId, database: map.database, table: map.table, flags, rows,
    statementEnd: (flags & STMT_END_F) !== 0,
  };
  if (kind.partial) ev.partial = true;
  return ev;
}
