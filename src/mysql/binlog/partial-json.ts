import { ByteReader } from './byte-reader.js';
import type { Cell } from '../values/cell.js';
import { CorruptEventError, SluiceError } from '../../errors.js';

/** One logical JSON diff of a PARTIAL_UPDATE_ROWS after image. */
export interface JsonDiff {
  op: 'replace' | 'insert' | 'remove';
  /** JSON path, e.g. `$.a[1]`. */
  path: string;
  /** New value in MySQL binary JSON format (absent for remove). */
  value?: Buffer;
}

const OPS = ['replace', 'insert', 'remove'] as const;

/** Parse a binary JSON diff vector (4-byte length already stripped): op, lenenc path, [lenenc value]. */
export function parseJsonDiffs(buf: Buffer): JsonDiff[] {
  const r = new ByteReader(buf);
  const out: JsonDiff[] = [];
  while (r.remaining > 0) {
    const code = r.u8();
    const op = OPS[code];
    if (op === undefined) throw new CorruptEventError(`unknown JSON diff operation ${code}`, { offset: r.pos - 1 });
    const path = r.lenencStr();
    const d: JsonDiff = { op, path };
    if (op !== 'remove') d.value = r.lenencBytes();
    out.push(d);
  }
  return out;
}

/**
 * Build the after value of a JSON column stored as diffs: apply them to the before value.
 * TODO(values): call the JSON diff applier of src/mysql/values/json-diff.ts once it exists.
 */
export function applyPartialJson(before: Cell | undefined, diffBytes: Buffer, column: string): Cell {
  const diffs = parseJsonDiffs(diffBytes);
  void before;
  throw new SluiceError('UNSUPPORTED_COLUMN_TYPE',
    `partial JSON update of column ${column} (${diffs.length} diffs) cannot be applied yet`,
    'set binlog_row_value_options="" on the source so that JSON updates are logged in full', { column });
}
