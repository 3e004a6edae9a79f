/** Payloads of the replication commands we send ourselves: COM_REGISTER_SLAVE, COM_BINLOG_DUMP, COM_BINLOG_DUMP_GTID. */

export const COM_REGISTER_SLAVE = 0x15;
export const COM_BINLOG_DUMP = 0x12;
export const COM_BINLOG_DUMP_GTID = 0x1e;

/** COM_BINLOG_DUMP flag: return EOF instead of waiting at the end of the log. */
export const BINLOG_DUMP_NON_BLOCK = 0x01;
/** MariaDB COM_BINLOG_DUMP flag: also send ANNOTATE_ROWS events (the SQL text of row events). */
export const BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02;
/** COM_BINLOG_DUMP_GTID flag: the GTID set data follows. */
export const BINLOG_THROUGH_GTID = 0x04;

function shortString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8').subarray(0, 255);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

export function registerSlavePayload(o: { serverId: number; hostname: string; user: string; password: string; port: number }): Buffer {
  const tail = Buffer.alloc(2 + 4 + 4);
  tail.writeUInt16LE(o.port & 0xffff, 0);
  tail.writeUInt32LE(0, 2); // replication rank (ignored)
  tail.writeUInt32LE(0, 6); // master id (ignored)
  const id = Buffer.alloc(5);
  id[0] = COM_REGISTER_SLAVE;
  id.writeUInt32LE(o.serverId >>> 0, 1);
  return Buffer.concat([id, shortString(o.hostname), shortString(o.user), shortString(o.password), tail]);
}

export function binlogDumpPayload(o: { serverId: number; file: string; pos: number; flags: number }): Buffer {
  const head = Buffer.alloc(11);
  head[0] = COM_BINLOG_DUMP;
  head.writeUInt32LE(o.pos >>> 0, 1);
  head.writeUInt16LE(o.flags, 5);
  head.writeUInt32LE(o.serverId >>> 0, 7);
  return Buffer.concat([head, Buffer.from(o.file, 'utf8')]);
}

export function binlogDumpGtidPayload(o: { serverId: number; file: string; pos: number; flags: number; gtidData: Buffer }): Buffer {
  const file = Buffer.from(o.file, 'utf8');
  const head = Buffer.alloc(1 + 2 + 4 + 4);
  head[0] = COM_BINLOG_DUMP_GTID;
  head.writeUInt16LE(o.flags | BINLOG_THROUGH_GTID, 1);
  head.writeUInt32LE(o.serverId >>> 0, 3);
  head.writeUInt32LE(file.length, 7);
  const pos = Buffer.alloc(8 + 4);
  pos.writeBigUInt64LE(BigInt(o.pos), 0);
  pos.writeUInt32LE(o.gtidData.length, 8);
  return Buffer.concat([head, file, pos, o.gtidData]);
}
