import { ByteReader } from './byte-reader.js';
import { ChecksumAlg, CHECKSUM_LENGTH } from './checksum.js';
import type { FormatDescriptionEvent } from './events.js';
import { CorruptEventError } from '../../errors.js';

const SERVER_VERSION_LENGTH = 50;

/** Leading "major.minor.patch" of a server version string. */
export function splitServerVersion(version: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) return [0, 0, 0];
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function isMariaDbVersion(version: string): boolean {
  return version.includes('MariaDB');
}

/** Servers before MySQL 5.6.1 / MariaDB 5.3 write no checksum-algorithm byte in the FDE. */
export function versionHasChecksumAlg(version: string): boolean {
  const [a, b, c] = splitServerVersion(version);
  const n = a * 10000 + b * 100 + c;
  return isMariaDbVersion(version) ? n >= 50300 : n >= 50601;
}

/**
 * Decode a FORMAT_DESCRIPTION body in [start, end) where `end` is the end of the whole event
 * (the FDE carries its own algorithm byte and, when it has one, 4 checksum bytes).
 */
export function decodeFormatDescription(buf: Buffer, start: number, end: number): FormatDescriptionEvent {
  const r = new ByteReader(buf, start, end);
  const binlogVersion = r.u16();
  const rawVersion = r.bytes(SERVER_VERSION_LENGTH);
  const nul = rawVersion.indexOf(0);
  const serverVersion = rawVersion.toString('latin1', 0, nul < 0 ? rawVersion.length : nul);
  const createTimestamp = r.u32();
  const headerLength = r.u8();
  if (headerLength < 19) throw new CorruptEventError(`FORMAT_DESCRIPTION header length ${headerLength} < 19`, { offset: start });
  let checksumAlgorithm: number = ChecksumAlg.OFF;
  let phEnd = end;
  if (versionHasChecksumAlg(serverVersion)) {
    if (end - r.pos < 1 + CHECKSUM_LENGTH) throw new CorruptEventError('FORMAT_DESCRIPTION too short for its checksum algorithm', { offset: start });
    checksumAlgorithm = buf[end - CHECKSUM_LENGTH - 1]!;
    phEnd = end - CHECKSUM_LENGTH - 1;
  }
  const postHeaderLengths = Buffer.from(buf.subarray(r.pos, phEnd));
  return { kind: 'format_description', binlogVersion, serverVersion, createTimestamp, headerLength, postHeaderLengths, checksumAlgorithm };
}
