import { ByteReader } from './byte-reader.js';
import type { MysqlGtidEvent, PreviousGtidsEvent } from './events.js';
import { CorruptEventError } from '../../errors.js';
import { readVarlenNumber, readVarlenSigned, readVarlenUnsigned } from './varlen.js';

/** UUID text (8-4-4-4-12) from 16 bytes. */
export function uuidText(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const LOGICAL_TIMESTAMP_TYPECODE = 2;
const HIGH_BIT_56 = 1n << 55n;

/** GTID (33) / ANONYMOUS_GTID (34) body in [start, end). */
export function decodeMysqlGtid(buf: Buffer, start: number, end: number, anonymous: boolean): MysqlGtidEvent {
  const r = new ByteReader(buf, start, end);
  r.u8(); // commit flags
  const sid = uuidText(r.bytes(16));
  const gno = r.u64();
  const ev: MysqlGtidEvent = { kind: 'gtid', flavor: 'mysql', anonymous, gtid: anonymous ? null : `${sid}:${gno}`, sid, gno };
  if (r.remaining >= 17 && buf[r.pos] === LOGICAL_TIMESTAMP_TYPECODE) {
    r.u8();
    ev.lastCommitted = r.u64();
    ev.sequenceNumber = r.u64();
  }
  if (r.remaining >= 7) {
    const lo = r.u32(), hi = r.u24();
    let ts = (BigInt(hi) << 32n) | BigInt(lo);
    if ((ts & HIGH_BIT_56) !== 0n) {
      ts &= ~HIGH_BIT_56;
      const lo2 = r.u32(), hi2 = r.u24();
      ev.originalCommitTimestamp = (BigInt(hi2) << 32n) | BigInt(lo2);
    } else {
      ev.originalCommitTimestamp = ts;
    }
    ev.immediateCommitTimestamp = ts;
    if (r.remaining > 0) {
      const len = r.lenenc();
      if (len !== null) ev.transactionLength = BigInt(len);
    }
  }
  return ev;
}

/** GTID_TAGGED (42): a mysql::serialization message (varlen integers, field ids). */
export function decodeTaggedGtid(buf: Buffer, start: number, end: number): MysqlGtidEvent {
  const r = new ByteReader(buf, start, end);
  readVarlenUnsigned(r); // serialization format version
  const size = readVarlenNumber(r);
  const msgEnd = Math.min(end, start + size);
  if (size < 2 || start + size > end) throw new CorruptEventError(`GTID_TAGGED message size ${size} does not fit the event`, { offset: start });
  r.end = msgEnd;
  readVarlenUnsigned(r); // last non-ignorable field id
  const uuid = Buffer.alloc(16);
  let gno = 0n, tag = '';
  const ev: MysqlGtidEvent = { kind: 'gtid', flavor: 'mysql', anonymous: false, gtid: null, sid: '', gno: 0n };
  let haveOriginal = false;
  while (r.remaining > 0) {
    const id = readVarlenNumber(r);
    switch (id) {
      case 0: readVarlenUnsigned(r); break; // gtid flags
      case 1: for (let i = 0; i < 16; i++) uuid[i] = Number(readVarlenUnsigned(r) & 0xffn); break;
      case 2: gno = readVarlenSigned(r); break;
      case 3: { const n = readVarlenNumber(r); tag = r.str(n); break; }
      case 4: ev.lastCommitted = readVarlenSigned(r); break;
      case 5: ev.sequenceNumber = readVarlenSigned(r); break;
      case 6: ev.immediateCommitTimestamp = readVarlenUnsigned(r); break;
      case 7: ev.originalCommitTimestamp = readVarlenUnsigned(r); haveOriginal = true; break;
      case 8: ev.transactionLength = readVarlenUnsigned(r); break;
      case 9: case 10: case 11: readVarlenUnsigned(r); break; // server versions, commit group ticket
      default: r.pos = r.end; break; // a newer field: its size is unknown, stop
    }
  }
  if (!haveOriginal && ev.immediateCommitTimestamp !== undefined) ev.originalCommitTimestamp = ev.immediateCommitTimestamp;
  ev.sid = uuidText(uuid);
  ev.gno = gno;
  if (tag) ev.tag = tag;
  ev.gtid = tag ? `${ev.sid}:${tag}:${gno}` : `${ev.sid}:${gno}`;
  return ev;
}

const TAGGED_FORMAT = 1;

/** PREVIOUS_GTIDS (35), untagged or tagged encoding, as MySQL GTID set text. */
export function decodePreviousGtids(buf: Buffer, start: number, end: number): PreviousGtidsEvent {
  const r = new ByteReader(buf, start, end);
  const head = r.u64();
  const tagged = Number(head >> 56n) === TAGGED_FORMAT;
  const nSids = Number(tagged ? (head >> 8n) & 0xffffffffffffn : head & 0xffffffffffffffn);
  if (nSids * 24 > r.remaining) throw new CorruptEventError(`PREVIOUS_GTIDS claims ${nSids} UUIDs`, { offset: start });
  // Group intervals by UUID: "uuid:1-5:tag:1-3" as MySQL prints tagged sets.
  const byUuid = new Map<string, string[]>();
  for (let i = 0; i < nSids; i++) {
    const sid = uuidText(r.bytes(16));
    let tag = '';
    if (tagged) tag = r.str(readVarlenNumber(r));
    const nIntervals = Number(r.u64());
    if (nIntervals * 16 > r.remaining) throw new CorruptEventError(`PREVIOUS_GTIDS claims ${nIntervals} intervals`, { offset: r.pos });
    const parts: string[] = [];
    for (let k = 0; k < nIntervals; k++) {
      const a = r.u64(), b = r.u64() - 1n;
      parts.push(a === b ? `${a}` : `${a}-${b}`);
    }
    const list = byUuid.get(sid) ?? [];
    list.push(tag ? `${tag}:${parts.join(':')}` : parts.join(':'));
    byUuid.set(sid, list);
  }
  const gtidSet = [...byUuid].map(([sid, l]) => `${sid}:${l.join(':')}`).join(',');
  return { kind: 'previous_gtids', gtidSet };
}
