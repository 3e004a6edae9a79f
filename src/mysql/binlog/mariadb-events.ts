import { ByteReader } from './byte-reader.js';
import type { BinlogCheckpointEvent, MariadbGtidEvent, MariadbGtidListEvent } from './events.js';
import { CorruptEventError } from '../../errors.js';

/** MariaDB GTID event flags. */
export const MariadbGtidFlags = {
  STANDALONE: 1, GROUP_COMMIT_ID: 2, TRANSACTIONAL: 4, ALLOW_PARALLEL: 8, WAITED: 16, DDL: 32,
  PREPARED_XA: 64, COMPLETED_XA: 128,
} as const;

/** MariaDB GTID (162) body; `serverId` comes from the event header. */
export function decodeMariadbGtid(buf: Buffer, start: number, end: number, serverId: number): MariadbGtidEvent {
  const r = new ByteReader(buf, start, end);
  const seqNo = r.u64();
  const domainId = r.u32();
  const flags = r.u8();
  const ev: MariadbGtidEvent = {
    kind: 'gtid', flavor: 'mariadb', gtid: `${domainId}-${serverId}-${seqNo}`, domainId, serverId, seqNo,
    standalone: (flags & MariadbGtidFlags.STANDALONE) !== 0,
    xa: (flags & (MariadbGtidFlags.PREPARED_XA | MariadbGtidFlags.COMPLETED_XA)) !== 0,
    flags2: flags,
  };
  if ((flags & MariadbGtidFlags.GROUP_COMMIT_ID) !== 0) ev.commitId = r.u64();
  // XID of XA transactions (format id, gtrid/bqual lengths, data) follows; not needed downstream.
  return ev;
}

/** MariaDB GTID_LIST (163): "domain-server-seq,…". */
export function decodeMariadbGtidList(buf: Buffer, start: number, end: number): MariadbGtidListEvent {
  const r = new ByteReader(buf, start, end);
  const count = r.u32() & 0x0fffffff; // top 4 bits are flags
  if (count * 16 > r.remaining) throw new CorruptEventError(`GTID_LIST claims ${count} entries`, { offset: start });
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    const domain = r.u32(), server = r.u32(), seq = r.u64();
    parts.push(`${domain}-${server}-${seq}`);
  }
  return { kind: 'gtid_list', gtidList: parts.join(',') };
}

/** MariaDB BINLOG_CHECKPOINT (161). */
export function decodeBinlogCheckpoint(buf: Buffer, start: number, end: number): BinlogCheckpointEvent {
  const r = new ByteReader(buf, start, end);
  const n = r.u32();
  return { kind: 'binlog_checkpoint', file: r.str(n) };
}
