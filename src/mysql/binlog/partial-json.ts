import { JsonText, type Cell } from '../../core/cell.js';
import { applyJsonDiffToText } from '../values/json-diff.js';
import { decodeJsonBinary } from '../values/json-binary.js';
import { ByteReader } from './byte-reader.js';
import type { JsonDiffText } from './events.js';
import { CorruptEventError } from '../../errors.js';

const OPS = ['replace', 'insert', 'remove'] as const;

/** Parse a JSON diff vector (without its length prefix): op byte, lenenc path, [lenenc binary JSON value]. */
export function parseJsonDiffs(buf: Buffer): JsonDiffText[] {
  const r = new ByteReader(buf);
  const out: JsonDiffText[] = [];
  while (r.remaining > 0) {
    const code = r.u8();
    const op = OPS[code];
    if (op === undefined) throw new CorruptEventError(`unknown JSON diff operation ${code}`, { offset: r.pos - 1 });
    const d: JsonDiffText = { op, path: r.lenencStr() };
    if (op !== 'remove') {
      const n = r.lenencNum();
      r.ensure(n, 'a JSON diff value');
      d.value = new JsonText(decodeJsonBinary(buf, r.pos, r.pos + n));
      r.skip(n);
    }
    out.push(d);
  }
  return out;
}

/**
 * The after value of a JSON column that PARTIAL_UPDATE_ROWS stored as diffs (`diffBytes`, without the
 * length prefix): the diffs applied to the before value, or null when there is no before value to apply
 * them to (MINIMAL before image) — then the caller reports the diffs themselves.
 */
export function applyPartialJson(before: Cell | undefined, diffBytes: Buffer): JsonText | null {
  if (!(before instanceof JsonText)) return null;
  return new JsonText(applyJsonDiffToText(before.text, diffBytes));
}
