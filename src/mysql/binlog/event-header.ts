import { TruncatedEventError } from '../../errors.js';
import { EVENT_HEADER_LENGTH } from './event-types.js';
import type { EventHeader } from './events.js';

/** Flag set in the FORMAT_DESCRIPTION header while the server has the file open. */
export const LOG_EVENT_BINLOG_IN_USE_F = 0x1;

/** Parse the 19-byte v4 common header at `offset`. */
export function parseEventHeader(buf: Buffer, offset = 0, end = buf.length): EventHeader {
  if (offset < 0 || offset + EVENT_HEADER_LENGTH > end || end > buf.length) {
    throw new TruncatedEventError('an event header', { offset, have: Math.max(0, end - offset), need: EVENT_HEADER_LENGTH });
  }
  return {
    timestamp: buf.readUInt32LE(offset),
    type: buf[offset + 4]!,
    serverId: buf.readUInt32LE(offset + 5),
    eventSize: buf.readUInt32LE(offset + 9),
    nextPosition: buf.readUInt32LE(offset + 13),
    flags: buf.readUInt16LE(offset + 17),
  };
}
