/**
 * LOAD DATA text moved from a source's result set to a target's `LOAD DATA LOCAL INFILE` with one copy of each byte
 * and no object per row: the text is kept as protocol packets ready for the wire (`LoadDataPackets`: segments that
 * start with 4 free header bytes), filled straight from the source's row packets (`readLinePackets`: one text column
 * per row) and written as the "file" of a LOAD DATA LOCAL statement as they are (`loadDataFromPackets`).
 *
 * Through mysql2's own `query` path the same copy cost Sluice per row an array, a Buffer view and a typeCast call,
 * then a concatenation of the chunk, then mysql2's copy of every 1 MiB slice behind a packet header (~3.4 CPU s per
 * 1M rows of the bench table against ~1.5 with this module). The segments are reused (a small free list), so the
 * memory the kernel hands out does not fault in again for every chunk.
 *
 * Both functions run mysql2's own Query command (its handshake, errors, timeouts and result headers as usual) with
 * one step replaced: the row step (`row`: copy the one column's bytes) and the file step (`_streamLocalInfile`:
 * write the segments). They depend on those two names of mysql2's Query (3.x) and fail loudly if they are missing.
 */
import mysql from 'mysql2';
import type { FieldPacket } from 'mysql2/promise';
import { SluiceError } from '../errors.js';

/** Bytes of text per packet (well under the 16 MiB packet limit and any max_allowed_packet). */
export const PACKET_TEXT_BYTES = 1024 * 1024;
const SEGMENT_BYTES = PACKET_TEXT_BYTES + 4;
/** Free segments kept for reuse (each ~1 MiB). */
const POOL_MAX = 16;
const freeSegments: Buffer[] = [];

function takeSegment(): Buffer {
  return freeSegments.pop() ?? Buffer.allocUnsafe(SEGMENT_BYTES);
}

/** Drop the free segments (once a copy is over: the memory goes back to the allocator). */
export function trimPacketPool(): void {
  freeSegments.length = 0;
}

/** Text stored as MySQL protocol packets: each segment is 4 header bytes then up to PACKET_TEXT_BYTES of text. */
export class LoadDataPackets {
  private readonly segments: Buffer[] = [];
  /** Write position in the last segment. */
  private pos = SEGMENT_BYTES;
  /** Bytes of text held. */
  bytes = 0;
  private released = false;

  static from(text: Buffer): LoadDataPackets {
    const p = new LoadDataPackets();
    p.append(text, 0, text.length);
    return p;
  }

  append(src: Buffer, start: number, end: number): void {
    this.bytes += end - start;
    while (start < end) {
      if (this.pos === SEGMENT_BYTES) {
        this.segments.push(takeSegment());
        this.pos = 4;
      }
      const seg = this.segments[this.segments.length - 1]!;
      const n = Math.min(end - start, SEGMENT_BYTES - this.pos);
      src.copy(seg, this.pos, start, start + n); // (cheaper than set(subarray(…)) for the short lines of most rows)
      this.pos += n;
      start += n;
    }
  }

  /** The packets (header bytes still to be written), the last one cut to its length. */
  packets(): Buffer[] {
    if (this.released) throw new SluiceError('INTERNAL', 'LOAD DATA packets used after release', 'report this as a bug');
    const out = this.segments.slice();
    if (out.length > 0) out[out.length - 1] = out[out.length - 1]!.subarray(0, this.pos);
    return out;
  }

  /** The text as one Buffer (a copy; for tests and diagnostics). */
  toBuffer(): Buffer {
    return Buffer.concat(this.packets().map((p) => p.subarray(4)), this.bytes);
  }

  /** Give the segments back for reuse; only once nothing (no socket write) refers to them any more. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const s of this.segments) if (freeSegments.length < POOL_MAX) freeSegments.push(s);
    this.segments.length = 0;
  }
}

/** A mysql2 protocol packet as handed to a command step (a view of the socket's bytes, valid during the call). */
interface WirePacket {
  buffer: Buffer;
  offset: number;
  end: number;
  isEOF(): boolean;
}

/** The parts of mysql2's core connection (the `connection` of a promise connection) used here. */
interface CoreConnection {
  query(cmd: object): unknown;
  writePacket(packet: { buffer: Buffer; length(): number; writeHeader(sequenceId: number): void }): void;
}

type Step = (this: QueryCommand, packet: WirePacket, connection: CoreConnection) => Step | null;

/** mysql2's Query command, with the members this module replaces or calls. */
interface QueryCommand {
  row: Step;
  infileOk: Step;
  _streamLocalInfile: (connection: CoreConnection, path: string) => Step;
}

type CreateQuery = (sql: string, values: undefined, cb: (err: Error | null, rows: unknown, fields?: unknown) => void, config: object) => QueryCommand;

function coreOf(conn: object): CoreConnection {
  const core = (conn as { connection?: CoreConnection }).connection;
  if (!core || typeof core.query !== 'function') throw new SluiceError('INTERNAL', 'not a mysql2 promise connection', 'report this as a bug');
  return core;
}

/** A mysql2 Query command for `sql` whose callback settles the returned promise. */
function command<T>(sql: string): { cmd: QueryCommand; result: Promise<T> } {
  let settle!: (err: Error | null, rows: unknown, fields?: unknown) => void;
  const result = new Promise<T>((resolve, reject) => {
    settle = (err, rows, fields) => (err ? reject(err) : resolve({ rows, fields } as T));
  });
  // mysql2 exports its Query factory (index.js `createQuery`), though its typings do not declare it.
  const createQuery = (mysql as unknown as { createQuery?: CreateQuery }).createQuery;
  if (typeof createQuery !== 'function') throw new SluiceError('INTERNAL', 'this mysql2 version has no createQuery', 'install the mysql2 version in package-lock.json');
  const cmd = createQuery(sql, undefined, settle, {});
  if (typeof cmd.row !== 'function' || typeof cmd._streamLocalInfile !== 'function' || typeof cmd.infileOk !== 'function') {
    throw new SluiceError('INTERNAL', 'this mysql2 version has no Query row / _streamLocalInfile steps', 'install the mysql2 version in package-lock.json');
  }
  return { cmd, result };
}

export interface LinePackets {
  text: LoadDataPackets;
  rows: number;
  /** True when a row's value was NULL (the text is then incomplete). */
  nullRow: boolean;
  fields: FieldPacket[];
}

/**
 * Run `sql`, a SELECT of one text column, on `conn` (a mysql2 promise connection) and append every row's value
 * to one LoadDataPackets, in row order.
 */
export async function readLinePackets(conn: object, sql: string): Promise<LinePackets> {
  const core = coreOf(conn);
  const { cmd, result } = command<{ fields: FieldPacket[] }>(sql);
  const text = new LoadDataPackets();
  let rows = 0;
  let nullRow = false;
  const eofStep = cmd.row;
  cmd.row = function row(packet, connection) {
    if (packet.isEOF()) return eofStep.call(this, packet, connection);
    const b = packet.buffer;
    let at = packet.offset;
    const tag = b[at]!;
    let len: number;
    if (tag < 0xfb) {
      len = tag;
      at += 1;
    } else if (tag === 0xfc) {
      len = b.readUInt16LE(at + 1);
      at += 3;
    } else if (tag === 0xfd) {
      len = b.readUIntLE(at + 1, 3);
      at += 4;
    } else if (tag === 0xfe) {
      len = b.readUInt32LE(at + 1) + b.readUInt32LE(at + 5) * 0x100000000;
      at += 9;
    } else {
      nullRow = true; // 0xfb: NULL
      len = 0;
      at += 1;
    }
    rows++;
    if (!nullRow) text.append(b, at, at + len);
    return row;
  };
  try {
    core.query(cmd);
    const { fields } = await result;
    return { text, rows, nullRow, fields };
  } catch (err) {
    text.release();
    throw err;
  }
}

/** What the server answered a LOAD DATA: the affected rows, the info text (`Records: … Skipped: …`) and warnings. */
export interface LoadDataAnswer {
  affectedRows: number;
  info: string;
  warningStatus: number;
}

/**
 * Run `sql`, a `LOAD DATA LOCAL INFILE` statement, on `conn` (a mysql2 promise connection), sending `text` as the
 * file's contents. The packets are written to the socket as they are (their header bytes filled in).
 */
export async function loadDataFromPackets(conn: object, sql: string, text: LoadDataPackets): Promise<LoadDataAnswer>;
/**
 * The same with `before` (statements, on a connection with multipleStatements) run first in the same round trip:
 * their results, then the LOAD DATA's answer.
 */
export async function loadDataFromPackets(conn: object, sql: string, text: LoadDataPackets, before: string): Promise<{ before: unknown[]; answer: LoadDataAnswer }>;
export async function loadDataFromPackets(conn: object, sql: string, text: LoadDataPackets, before?: string): Promise<LoadDataAnswer | { before: unknown[]; answer: LoadDataAnswer }> {
  const core = coreOf(conn);
  const { cmd, result } = command<{ rows: LoadDataAnswer | unknown[] }>(before === undefined ? sql : `${before}; ${sql}`);
  const packets = text.packets();
  cmd._streamLocalInfile = function streamLocalInfile(connection) {
    for (const buffer of [...packets, Buffer.alloc(4)]) {
      connection.writePacket({
        buffer,
        length: () => buffer.length,
        writeHeader: (seq) => { buffer.writeUIntLE(buffer.length - 4, 0, 3); buffer[3] = seq; },
      });
    }
    return this.infileOk;
  };
  core.query(cmd);
  const { rows } = await result;
  if (before === undefined) return rows as LoadDataAnswer;
  const all = rows as unknown[];
  return { before: all.slice(0, -1), answer: all[all.length - 1] as LoadDataAnswer };
}
