import { CorruptEventError, SluiceError, TruncatedEventError } from '../../errors.js';
import type { Flavor } from '../../core/types.js';
import type { ColumnDef } from '../values/column-type.js';
import type { ColumnResolver } from './column-resolver.js';
import { EVENT_HEADER_LENGTH, EventType, eventTypeName } from './event-types.js';
import type { BinlogEvent, EventBody, EventHeader, FormatDescriptionEvent, TableMapEvent } from './events.js';
import { parseEventHeader } from './event-header.js';
import { ChecksumAlg, CHECKSUM_LENGTH, checksumMatches, verifyEventChecksum } from './checksum.js';
import { decodeFormatDescription, isMariaDbVersion } from './format-description.js';
import { decodeQuery } from './query-event.js';
import { decodeTableMap } from './table-map.js';
import { decodeRows, peekRowsTableId, rowsKind } from './rows-event.js';
import { decodeMysqlGtid, decodePreviousGtids, decodeTaggedGtid } from './mysql-gtid.js';
import { decodeBinlogCheckpoint, decodeMariadbGtid, decodeMariadbGtidList } from './mariadb-events.js';
import {
  decodeHeartbeat, decodeHeartbeatV2, decodeIncident, decodeIntvar, decodeRand, decodeRotate, decodeUserVar,
  decodeXaPrepare, decodeXid,
} from './misc-events.js';
import { decodeTransactionPayload } from './transaction-payload.js';
import { encryptedBinlog, unknownTable } from './binlog-errors.js';

export interface BinlogDecoderOptions {
  /** Supplies names/details the TABLE_MAP lacks (schema history). */
  columnResolver?: ColumnResolver;
  /** Verify CRC32 checksums (default true). */
  verifyChecksum?: boolean;
  /** Flavor until a FORMAT_DESCRIPTION tells (its server version). */
  flavor?: Flavor;
}

interface TableEntry {
  event: TableMapEvent;
  /** Columns as the TABLE_MAP itself gave them (input to the resolver). */
  fromMap: ColumnDef[];
  /** The event body's bytes: an identical TABLE_MAP reuses this entry (and its decode plans). */
  raw: Buffer;
  /** `resolveEpoch` when the columns were resolved. */
  epoch: number;
}

/** Table ids MySQL uses for the dummy rows event that only ends a statement. */
const DUMMY_TABLE_IDS = new Set([0xffffff, 0xffffffffffff]);

/** Post-header lengths used when no FORMAT_DESCRIPTION has been seen (MySQL 5.x+/MariaDB defaults). */
function defaultPostHeaderLength(type: number): number {
  switch (type) {
    case EventType.QUERY: case EventType.MARIADB_QUERY_COMPRESSED: return 13;
    case EventType.TABLE_MAP: return 8;
    default: return rowsKind(type)?.v2 ? 10 : 8;
  }
}

/**
 * Stateful binlog event decoder: remembers the current FORMAT_DESCRIPTION (checksum algorithm,
 * post-header lengths, flavor) and the TABLE_MAP of every table id, and turns one event's bytes
 * into a typed BinlogEvent. Throws only SluiceError subclasses.
 */
export class BinlogDecoder {
  private readonly resolver: ColumnResolver | undefined;
  private readonly verify: boolean;
  private currentFlavor: Flavor;
  private fde: FormatDescriptionEvent | null = null;
  /** Checksum algorithm in force; null before the first FORMAT_DESCRIPTION (then detected per event). */
  private alg: number | null = null;
  private readonly tables = new Map<number, TableEntry>();
  /** Bumped when schemas may have changed (DDL): cached TABLE_MAP resolutions are redone. */
  private resolveEpoch = 0;

  constructor(opts: BinlogDecoderOptions = {}) {
    this.resolver = opts.columnResolver;
    this.verify = opts.verifyChecksum ?? true;
    this.currentFlavor = opts.flavor ?? 'mysql';
  }

  /** 0 = none, 1 = CRC32 (as the last FORMAT_DESCRIPTION said); null before one was seen. */
  get checksumAlgorithm(): number | null {
    return this.alg;
  }

  get flavor(): Flavor {
    return this.currentFlavor;
  }

  /** The last FORMAT_DESCRIPTION seen. */
  get formatDescription(): FormatDescriptionEvent | null {
    return this.fde;
  }

  tableMap(tableId: number): TableMapEvent | undefined {
    return this.tables.get(tableId)?.event;
  }

  /** Forget all table maps (e.g. after a reconnect). */
  clearTableMaps(): void {
    this.tables.clear();
  }

  /** Schemas may have changed (a DDL was applied): resolve TABLE_MAPs again even when their bytes repeat. */
  invalidateResolved(): void {
    this.resolveEpoch++;
  }

  /** Re-run the column resolver on a cached TABLE_MAP (after the schema was loaded). */
  reresolve(tableId: number): void {
    const e = this.tables.get(tableId);
    if (!e || !this.resolver) return;
    e.event.columns = this.resolveColumns(e.event, e.fromMap);
    e.epoch = this.resolveEpoch;
  }

  /**
   * Decode one complete event (header + body [+ checksum]) in buf[offset, offset+length).
   * `position` (the event's offset in its file) only enriches error messages.
   */
  decode(buf: Buffer, offset = 0, length = buf.length - offset, position?: number): BinlogEvent {
    if (offset < 0 || length < 0 || offset + length > buf.length) {
      throw new TruncatedEventError('an event (slice outside the buffer)', { offset, length, position });
    }
    return this.decodeOne(buf, offset, length, position, true);
  }

  private decodeOne(buf: Buffer, offset: number, length: number, position: number | undefined, outer: boolean): BinlogEvent {
    const header = parseEventHeader(buf, offset, offset + length);
    if (header.eventSize < EVENT_HEADER_LENGTH) {
      throw new CorruptEventError(`event size ${header.eventSize} is smaller than its header`, { offset, position, type: header.type });
    }
    if (header.eventSize > length) {
      throw new TruncatedEventError(`an event of type ${eventTypeName(header.type)} (${header.eventSize} bytes, ${length} present)`, { offset, position });
    }
    if (header.eventSize < length) {
      throw new CorruptEventError(`event size field says ${header.eventSize} bytes but the event has ${length}`, { offset, position, type: header.type });
    }
    const start = offset + EVENT_HEADER_LENGTH;
    const eventEnd = offset + length;
    try {
      let body: EventBody;
      if (header.type === EventType.FORMAT_DESCRIPTION) {
        const fde = decodeFormatDescription(buf, start, eventEnd);
        if (outer && fde.checksumAlgorithm === ChecksumAlg.CRC32 && this.verify) verifyEventChecksum(buf, offset, length, position);
        if (outer) {
          this.fde = fde;
          this.alg = fde.checksumAlgorithm === ChecksumAlg.CRC32 ? ChecksumAlg.CRC32 : ChecksumAlg.OFF;
          this.currentFlavor = isMariaDbVersion(fde.serverVersion) ? 'mariadb' : 'mysql';
        }
        body = fde;
      } else {
        let hasChecksum = false;
        if (outer) {
          hasChecksum = this.alg === null ? checksumMatches(buf, offset, length) : this.alg === ChecksumAlg.CRC32;
          if (hasChecksum) {
            if (length < EVENT_HEADER_LENGTH + CHECKSUM_LENGTH) throw new TruncatedEventError('an event checksum', { offset, position });
            if (this.verify) verifyEventChecksum(buf, offset, length, position);
          }
        }
        body = this.decodeBody(header, buf, start, hasChecksum ? eventEnd - CHECKSUM_LENGTH : eventEnd, position);
      }
      return Object.assign(body, { header });
    } catch (err) {
      if (err instanceof SluiceError) throw err;
      throw new CorruptEventError(`${eventTypeName(header.type)} event could not be decoded (${(err as Error)?.message ?? String(err)})`,
        { offset, position, type: header.type, internal: true });
    }
  }

  private postHeaderLength(type: number): number {
    const ph = this.fde?.postHeaderLengths;
    if (ph && type >= 1 && type <= ph.length) return ph[type - 1]!;
    return defaultPostHeaderLength(type);
  }

  private decodeBody(h: EventHeader, buf: Buffer, start: number, end: number, position: number | undefined): EventBody {
    const T = EventType;
    switch (h.type) {
      case T.ROTATE: return decodeRotate(buf, start, end, h.timestamp);
      case T.QUERY: return decodeQuery(buf, start, end, this.postHeaderLength(T.QUERY), false);
      case T.MARIADB_QUERY_COMPRESSED: return decodeQuery(buf, start, end, this.postHeaderLength(T.MARIADB_QUERY_COMPRESSED), true);
      case T.XID: return decodeXid(buf, start, end);
      case T.TABLE_MAP: return this.tableMapEvent(buf, start, end);
      case T.GTID: return decodeMysqlGtid(buf, start, end, false);
      case T.ANONYMOUS_GTID: return decodeMysqlGtid(buf, start, end, true);
      case T.GTID_TAGGED: return decodeTaggedGtid(buf, start, end);
      case T.PREVIOUS_GTIDS: return decodePreviousGtids(buf, start, end);
      case T.ROWS_QUERY: {
        // one length byte (truncated to 255, ignored), then the full statement
        if (end <= start) throw new TruncatedEventError('a ROWS_QUERY event', { offset: start });
        return { kind: 'rows_query', sql: buf.toString('utf8', start + 1, end) };
      }
      case T.MARIADB_ANNOTATE_ROWS: return { kind: 'rows_query', sql: buf.toString('utf8', start, end) };
      case T.HEARTBEAT: return decodeHeartbeat(buf, start, end, h.nextPosition);
      case T.HEARTBEAT_V2: return decodeHeartbeatV2(buf, start, end);
      case T.XA_PREPARE: return decodeXaPrepare(buf, start, end);
      case T.INTVAR: return decodeIntvar(buf, start, end);
      case T.RAND: return decodeRand(buf, start, end);
      case T.USER_VAR: return decodeUserVar(buf, start, end);
      case T.INCIDENT: return decodeIncident(buf, start, end);
      case T.STOP: return { kind: 'stop' };
      case T.TRANSACTION_PAYLOAD: return this.payloadEvent(buf, start, end, position);
      case T.MARIADB_GTID: return decodeMariadbGtid(buf, start, end, h.serverId);
      case T.MARIADB_GTID_LIST: return decodeMariadbGtidList(buf, start, end);
      case T.MARIADB_BINLOG_CHECKPOINT: return decodeBinlogCheckpoint(buf, start, end);
      case T.MARIADB_START_ENCRYPTION: throw encryptedBinlog();
      default: {
        const kind = rowsKind(h.type);
        if (kind) return this.rowsEvent(h.type, kind, buf, start, end);
        return { kind: 'skipped', reason: `event type ${h.type} (${eventTypeName(h.type)}) is not used` };
      }
    }
  }

  private tableMapEvent(buf: Buffer, start: number, end: number): TableMapEvent {
    const idLen = this.postHeaderLength(EventType.TABLE_MAP) === 6 ? 4 : 6;
    // Every transaction repeats its TABLE_MAPs: an identical one reuses the decoded, resolved columns
    // (same array, so the row decoder's plan cache hits too).
    if (end - start >= idLen) {
      const prev = this.tables.get(idLen === 4 ? buf.readUInt32LE(start) : buf.readUIntLE(start, 6));
      if (prev && prev.epoch === this.resolveEpoch && prev.raw.length === end - start && buf.subarray(start, end).equals(prev.raw)) {
        return { ...prev.event };
      }
    }
    const ev = decodeTableMap(buf, start, end, idLen);
    const fromMap = ev.columns;
    if (this.resolver) ev.columns = this.resolveColumns(ev, fromMap);
    this.tables.set(ev.tableId, { event: ev, fromMap, raw: Buffer.from(buf.subarray(start, end)), epoch: this.resolveEpoch });
    return ev;
  }

  private resolveColumns(ev: TableMapEvent, fromMap: ColumnDef[]): ColumnDef[] {
    const resolved = this.resolver?.resolve(ev.database, ev.table, fromMap, ev.hasNames) ?? null;
    if (resolved && resolved.length === fromMap.length) return resolved;
    return fromMap;
  }

  private rowsEvent(type: number, kind: NonNullable<ReturnType<typeof rowsKind>>, buf: Buffer, start: number, end: number): EventBody {
    const idLen = this.postHeaderLength(type) === 6 ? 4 : 6;
    const tableId = peekRowsTableId(buf, start, end, idLen);
    const entry = this.tables.get(tableId);
    if (!entry) {
      if (DUMMY_TABLE_IDS.has(tableId)) {
        const flags = buf.readUInt16LE(start + idLen);
        return { kind: 'rows', op: kind.op, tableId, database: '', table: '', flags, rows: [], statementEnd: (flags & 1) !== 0 };
      }
      throw unknownTable(tableId, type);
    }
    return decodeRows(buf, start, end, kind, idLen, entry.event);
  }

  private payloadEvent(buf: Buffer, start: number, end: number, position: number | undefined): EventBody {
    const p = decodeTransactionPayload(buf, start, end);
    const events: BinlogEvent[] = [];
    const data = p.data;
    let off = 0;
    while (off < data.length) {
      if (data.length - off < EVENT_HEADER_LENGTH) throw new TruncatedEventError('an event inside a TRANSACTION_PAYLOAD', { offset: off, position });
      const size = data.readUInt32LE(off + 9);
      if (size < EVENT_HEADER_LENGTH || off + size > data.length) {
        throw new CorruptEventError(`inner event size ${size} does not fit the TRANSACTION_PAYLOAD`, { offset: off, position });
      }
      if (data[off + 4] === EventType.TRANSACTION_PAYLOAD || data[off + 4] === EventType.FORMAT_DESCRIPTION) {
        throw new CorruptEventError('nested TRANSACTION_PAYLOAD or FORMAT_DESCRIPTION inside a TRANSACTION_PAYLOAD', { offset: off, position });
      }
      events.push(this.decodeOne(data, off, size, position, false));
      off += size;
    }
    return { kind: 'transaction_payload', compressionType: p.compressionType, uncompressedSize: p.uncompressedSize, events };
  }
}
