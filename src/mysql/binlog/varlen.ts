import { ByteReader } from './byte-reader.js';
import { CorruptEventError } from '../../errors.js';

/**
 * Variable-length integers of MySQL's serialization library (GTID_TAGGED events, tagged GTID sets):
 * the number of trailing one bits in the first byte + 1 is the byte count; the value follows
 * (for 9 bytes the 8 following bytes hold the whole value).
 */
export function readVarlenUnsigned(r: ByteReader): bigint {
  const first = r.u8();
  let n = 1;
  while (n <= 8 && (first >> (n - 1) & 1) === 1) n++;
  if (n === 1) return BigInt(first >> 1);
  const rest = r.bytes(n - 1);
  let tail = 0n;
  for (let i = rest.length - 1; i >= 0; i--) tail = (tail << 8n) | BigInt(rest[i]!);
  if (n === 9) return tail;
  return (tail << BigInt(8 - n)) | BigInt(first >> n);
}

/** Zig-zag signed variant (sign in the lowest bit). */
export function readVarlenSigned(r: ByteReader): bigint {
  const u = readVarlenUnsigned(r);
  const mag = u >> 1n;
  return (u & 1n) === 1n ? -mag - 1n : mag;
}

/** Unsigned varlen that must fit in a safe JS number. */
export function readVarlenNumber(r: ByteReader): number {
  const v = readVarlenUnsigned(r);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptEventError('serialized integer too large', { offset: r.pos });
  return Number(v);
}
