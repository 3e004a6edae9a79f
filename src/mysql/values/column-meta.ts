import { CorruptEventError, TruncatedEventError } from '../../errors.js';
import { ColumnType as T } from './column-type.js';

/**
 * Parse the per-column metadata block of a TABLE_MAP event.
 * `types` are the raw column type bytes; `meta` is the metadata block (after its length prefix).
 * Returns for each column the real type (STRING columns that are ENUM/SET become ENUM/SET;
 * CHAR lengths over 255 are decoded) and one metadata number as documented on ColumnDef.meta.
 *
 * Metadata sizes: FLOAT/DOUBLE/BLOB/GEOMETRY/JSON/VECTOR 1 byte; VARCHAR/VAR_STRING 2 (LE max length);
 * NEWDECIMAL 2 (precision, scale → precision << 8 | scale); BIT 2 (bits % 8, bytes → total bits);
 * TIMESTAMP2/DATETIME2/TIME2 1 (fsp); STRING 2 (real type, length — with the CHAR > 255 encoding);
 * everything else 0.
 */
export function parseColumnMeta(types: Buffer, meta: Buffer): { types: number[]; metas: number[] } {
  const n = types.length;
  const outTypes = new Array<number>(n);
  const outMetas = new Array<number>(n);
  let p = 0;
  const need = (k: number, col: number): void => {
    if (p + k > meta.length) throw new TruncatedEventError('TABLE_MAP column metadata', { column: col, offset: p, need: k, have: meta.length - p });
  };
  for (let i = 0; i < n; i++) {
    let type = types[i]!;
    let m = 0;
    switch (type) {
      case T.FLOAT: case T.DOUBLE: case T.BLOB: case T.TINY_BLOB: case T.MEDIUM_BLOB: case T.LONG_BLOB:
      case T.GEOMETRY: case T.JSON: case T.VECTOR:
      case T.TIMESTAMP2: case T.DATETIME2: case T.TIME2:
        need(1, i);
        m = meta[p++]!;
        break;
      case T.VARCHAR: case T.VAR_STRING:
        need(2, i);
        m = meta.readUInt16LE(p);
        p += 2;
        break;
      case T.NEWDECIMAL:
        need(2, i);
        m = (meta[p]! << 8) | meta[p + 1]!;
        p += 2;
        break;
      case T.BIT:
        need(2, i);
        m = meta[p + 1]! * 8 + meta[p]!;
        p += 2;
        break;
      case T.STRING: case T.ENUM: case T.SET: {
        need(2, i);
        const b0 = meta[p]!, b1 = meta[p + 1]!;
        p += 2;
        if ((b0 & 0x30) !== 0x30) {
          // CHAR longer than 255 bytes: two bits of the length are stored (inverted) in the type byte.
          m = b1 | (((b0 & 0x30) ^ 0x30) << 4);
          type = b0 | 0x30;
        } else {
          m = b1;
          type = b0;
        }
        if (type !== T.STRING && type !== T.ENUM && type !== T.SET) {
          throw new CorruptEventError(`TABLE_MAP column ${i + 1}: string column with real type ${type}`, { column: i });
        }
        break;
      }
      default:
        break;
    }
    outTypes[i] = type;
    outMetas[i] = m;
  }
  return { types: outTypes, metas: outMetas };
}
