import { crc32 } from 'node:zlib';
import { EventType } from './event-types.js';
import { LOG_EVENT_BINLOG_IN_USE_F } from './event-header.js';
import { checksumMismatch } from './binlog-errors.js';

/** Binlog checksum algorithms as the FORMAT_DESCRIPTION event names them. */
export const ChecksumAlg = { OFF: 0, CRC32: 1, UNDEF: 255 } as const;
export const CHECKSUM_LENGTH = 4;

const FLAGS_OFFSET = 17;

/**
 * CRC32 of an event's bytes (header + body, without the trailing 4 checksum bytes).
 * For FORMAT_DESCRIPTION the server computes it with the "binlog in use" flag cleared.
 */
export function computeEventChecksum(buf: Buffer, offset: number, length: number): number {
  const dataEnd = offset + length - CHECKSUM_LENGTH;
  const type = buf[offset + 4];
  const flagsLow = buf[offset + FLAGS_OFFSET]!;
  if (type === EventType.FORMAT_DESCRIPTION && (flagsLow & LOG_EVENT_BINLOG_IN_USE_F) !== 0) {
    let c = crc32(buf.subarray(offset, offset + FLAGS_OFFSET));
    c = crc32(Buffer.of(flagsLow & ~LOG_EVENT_BINLOG_IN_USE_F), c);
    return crc32(buf.subarray(offset + FLAGS_OFFSET + 1, dataEnd), c);
  }
  return crc32(buf.subarray(offset, dataEnd));
}

/** True when the last 4 bytes of the event are its CRC32. */
export function checksumMatches(buf: Buffer, offset: number, length: number): boolean {
  if (length < 19 + CHECKSUM_LENGTH) return false;
  return computeEventChecksum(buf, offset, length) === buf.readUInt32LE(offset + length - CHECKSUM_LENGTH);
}

/** Throw CHECKSUM_MISMATCH (with the position when known) unless the event's CRC32 is right. */
export function verifyEventChecksum(buf: Buffer, offset: number, length: number, position?: number): void {
  const stored = buf.readUInt32LE(offset + length - CHECKSUM_LENGTH);
  const computed = computeEventChecksum(buf, offset, length);
  if (stored !== computed) throw checksumMismatch(position, buf[offset + 4]!, stored, computed);
}
