import { inflateSync } from 'node:zlib';
import { CorruptEventError, SluiceError } from '../../errors.js';

/** Largest uncompressed size we accept for one MariaDB compressed field (1 GiB, max_allowed_packet). */
const MAX_UNCOMPRESSED = 1 << 30;

/**
 * Uncompress a MariaDB compressed field (QUERY_COMPRESSED query text, compressed rows data):
 * one header byte 0x80|n (n = 1..4 bytes of big-endian uncompressed length follow), then zlib data.
 */
export function mariadbUncompress(buf: Buffer, start: number, end: number): Buffer {
  if (start >= end) throw new CorruptEventError('empty MariaDB compressed field', { offset: start });
  const head = buf[start]!;
  if ((head & 0xe0) !== 0x80) throw new CorruptEventError(`bad MariaDB compressed header byte 0x${head.toString(16)}`, { offset: start });
  const lenLen = head & 0x07;
  if (lenLen < 1 || lenLen > 4 || start + 1 + lenLen > end) throw new CorruptEventError('bad MariaDB compressed length', { offset: start });
  let len = 0;
  for (let i = 0; i < lenLen; i++) len = len * 256 + buf[start + 1 + i]!;
  if (len > MAX_UNCOMPRESSED) throw new CorruptEventError(`MariaDB compressed field claims ${len} bytes`, { offset: start });
  if (len === 0) return Buffer.alloc(0);
  let out: Buffer;
  try {
    out = inflateSync(buf.subarray(start + 1 + lenLen, end), { maxOutputLength: len });
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    throw new CorruptEventError(`MariaDB compressed field does not inflate: ${(err as Error).message}`, { offset: start });
  }
  if (out.length !== len) throw new CorruptEventError(`MariaDB compressed field inflates to ${out.length} bytes, header says ${len}`, { offset: start });
  return out;
}
