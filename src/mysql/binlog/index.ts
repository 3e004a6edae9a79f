/** Public face of the binlog event decoder. */
export { BinlogDecoder, type BinlogDecoderOptions } from './decoder.js';
export { readBinlogFile, readBinlogFileSync, type FileEvent, type ReadBinlogFileOptions } from './binlog-file.js';
export { parseEventHeader } from './event-header.js';
export { computeEventChecksum, verifyEventChecksum, checksumMatches, ChecksumAlg } from './checksum.js';
export { EventType, eventTypeName, EVENT_HEADER_LENGTH, BINLOG_MAGIC } from './event-types.js';
export type * from './events.js';
export type { ColumnResolver } from './column-resolver.js';
