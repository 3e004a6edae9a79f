import { decompress } from 'fzstd';
import { ByteReader } from './byte-reader.js';
import { readTlvFields } from './misc-events.js';
import { CorruptEventError } from '../../errors.js';

export const PayloadCompression = { ZSTD: 0, NONE: 255 } as const;
const FIELD_PAYLOAD_SIZE = 1, FIELD_COMPRESSION_TYPE = 2, FIELD_UNCOMPRESSED_SIZE = 3;
/** Largest transaction payload we inflate in memory. */
const MAX_PAYLOAD = 1 << 30;

export interface TransactionPayload {
  compressionType: number;
  uncompressedSize: number;
  /** The inner events, back to back, without checksums. */
  data: Buffer;
}

/** TRANSACTION_PAYLOAD (40) body in [start, end): header fields, then the (zstd) payload. */
export function decodeTransactionPayload(buf: Buffer, start: number, end: number): TransactionPayload {
  const r = new ByteReader(buf, start, end);
  let compressionType: number = PayloadCompression.NONE, uncompressedSize = -1, payloadSize = -1;
  readTlvFields(r, (type, v) => {
    if (type === FIELD_PAYLOAD_SIZE) payloadSize = v.lenencNum();
    else if (type === FIELD_COMPRESSION_TYPE) compressionType = v.lenencNum();
    else if (type === FIELD_UNCOMPRESSED_SIZE) uncompressedSize = v.lenencNum();
  });
  const payload = r.rest();
  if (payloadSize >= 0 && payloadSize !== payload.length) {
    throw new CorruptEventError(`TRANSACTION_PAYLOAD says ${payloadSize} payload bytes, has ${payload.length}`, { offset: start });
  }
  if (compressionType === PayloadCompression.NONE) return { compressionType, uncompressedSize: payload.length, data: payload };
  if (compressionType !== PayloadCompression.ZSTD) throw new CorruptEventError(`unknown TRANSACTION_PAYLOAD compression ${compressionType}`, { offset: start });
  if (uncompressedSize < 0 || uncompressedSize > MAX_PAYLOAD) throw new CorruptEventError(`TRANSACTION_PAYLOAD uncompressed size ${uncompressedSize}`, { offset: start });
  let out: Uint8Array;
  try {
    out = decompress(payload, new Uint8Array(uncompressedSize));
  } catch (err) {
    throw new CorruptEventError(`TRANSACTION_PAYLOAD does not decompress: ${(err as Error).message}`, { offset: start });
  }
  if (out.length !== uncompressedSize) {
    throw new CorruptEventError(`TRANSACTION_PAYLOAD decompresses to ${out.length} bytes, header says ${uncompressedSize}`, { offset: start });
  }
  return { compressionType, uncompressedSize, data: Buffer.from(out.buffer, out.byteOffset, out.length) };
}
