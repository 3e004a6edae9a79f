import { SluiceError } from '../../errors.js';

/** The CRC32 stored in an event does not match its bytes. */
export function checksumMismatch(position: number | undefined, type: number, stored: number, computed: number): SluiceError {
  const where = position === undefined ? '' : ` at position ${position}`;
  return new SluiceError('CHECKSUM_MISMATCH',
    `binlog event checksum mismatch${where} (event type ${type}: stored CRC32 ${stored.toString(16)}, computed ${computed.toString(16)})`,
    'the binlog bytes were damaged on disk or in transit; restart from the last checkpoint (the stream retries automatically); if it repeats at the same position the binlog file is corrupt: re-snapshot the affected tables or restart from a later position',
    { position, type, stored, computed });
}

/** A rows event refers to a table id that no TABLE_MAP has announced. */
export function unknownTable(tableId: number, type: number): SluiceError {
  return new SluiceError('UNKNOWN_TABLE',
    `rows event (type ${type}) for table id ${tableId} without a preceding TABLE_MAP event: the stream must start at a transaction boundary`,
    'the stream must start at a transaction boundary (a position right after a COMMIT/XID, or a GTID): restart from such a position, not from the middle of a transaction',
    { tableId, type });
}

/** MariaDB START_ENCRYPTION: the rest of the file is encrypted. */
export function encryptedBinlog(): SluiceError {
  return new SluiceError('ENCRYPTED_BINLOG',
    'the binlog file is encrypted (MariaDB START_ENCRYPTION event); encrypted files cannot be decoded from disk',
    'read the binlog through a replication connection (the server decrypts events before sending them) instead of reading the file, or disable encrypt_binlog on the server',
    {});
}

/** The file does not start with the binlog magic bytes. */
export function notABinlogFile(path: string, head: Buffer): SluiceError {
  return new SluiceError('NOT_A_BINLOG_FILE',
    `${path} is not a binlog file (it does not start with the magic bytes fe 62 69 6e; found ${head.toString('hex') || 'nothing'})`,
    'pass a binary log file written by the server (e.g. mysql-bin.000001 from the data directory), not a relay-log index, a text dump or a compressed copy',
    { path });
}
