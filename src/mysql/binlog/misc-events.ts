import { ByteReader } from './byte-reader.js';
import type { HeartbeatEvent, IncidentEvent, IntvarEvent, RandEvent, RotateEvent, UserVarEvent, XaPrepareEvent, XidEvent } from './events.js';
import { CorruptEventError } from '../../errors.js';

/** ROTATE: position, next file name; a fake rotate (start of a dump) has timestamp 0. */
export function decodeRotate(buf: Buffer, start: number, end: number, timestamp: number): RotateEvent {
  const r = new ByteReader(buf, start, end);
  const position = Number(r.u64());
  return { kind: 'rotate', position, nextFile: r.str(r.remaining), fake: timestamp === 0 };
}

export function decodeXid(buf: Buffer, start: number, end: number): XidEvent {
  return { kind: 'xid', xid: new ByteReader(buf, start, end).u64() };
}

export function decodeIntvar(buf: Buffer, start: number, end: number): IntvarEvent {
  const r = new ByteReader(buf, start, end);
  return { kind: 'intvar', varType: r.u8(), value: r.u64() };
}

export function decodeRand(buf: Buffer, start: number, end: number): RandEvent {
  const r = new ByteReader(buf, start, end);
  return { kind: 'rand', seed1: r.u64(), seed2: r.u64() };
}

export function decodeUserVar(buf: Buffer, start: number, end: number): UserVarEvent {
  const r = new ByteReader(buf, start, end);
  const name = r.str(r.u32());
  const isNull = r.u8() !== 0;
  if (isNull) return { kind: 'user_var', name, isNull };
  const valueType = r.u8();
  const charset = r.u32();
  const value = r.copy(r.u32());
  const ev: UserVarEvent = { kind: 'user_var', name, isNull, valueType, charset, value };
  if (r.remaining > 0) ev.flags = r.u8();
  return ev;
}

export function decodeIncident(buf: Buffer, start: number, end: number): IncidentEvent {
  const r = new ByteReader(buf, start, end);
  const incident = r.u16();
  const message = r.remaining > 0 ? r.str(r.u8()) : '';
  return { kind: 'incident', incident, message };
}

/** HEARTBEAT (27): the body is the current file name; the position is the header's next position. */
export function decodeHeartbeat(buf: Buffer, start: number, end: number, nextPosition: number): HeartbeatEvent {
  return { kind: 'heartbeat', file: buf.toString('utf8', start, end), position: nextPosition };
}

/**
 * Iterate type-length-value fields with length-encoded type and length (TRANSACTION_PAYLOAD, HEARTBEAT_V2)
 * until the end mark (type 0). Returns the offset after the end mark.
 */
export function readTlvFields(r: ByteReader, onField: (type: number, value: ByteReader) => void): void {
  while (r.remaining > 0) {
    const type = r.lenencNum();
    if (type === 0) return;
    const len = r.lenencNum();
    r.ensure(len, 'a TLV field');
    onField(type, new ByteReader(r.buf, r.pos, r.pos + len));
    r.skip(len);
  }
}

/** HEARTBEAT_V2 (41): TLV fields 1 = file name, 2 = position. */
export function decodeHeartbeatV2(buf: Buffer, start: number, end: number): HeartbeatEvent {
  const ev: HeartbeatEvent = { kind: 'heartbeat', file: '', position: 0 };
  readTlvFields(new ByteReader(buf, start, end), (type, v) => {
    if (type === 1) ev.file = v.str(v.remaining);
    else if (type === 2) ev.position = v.lenencNum();
  });
  return ev;
}

export function decodeXaPrepare(buf: Buffer, start: number, end: number): XaPrepareEvent {
  const r = new ByteReader(buf, start, end);
  const onePhase = r.u8() !== 0;
  const formatId = r.u32();
  const gl = r.u32(), bl = r.u32();
  if (gl > 64 || bl > 64) throw new CorruptEventError(`XA id lengths ${gl}/${bl} > 64`, { offset: start });
  return { kind: 'xa_prepare', onePhase, formatId, gtrid: r.copy(gl), bqual: r.copy(bl) };
}
