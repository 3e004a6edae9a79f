/**
 * A replication session: mysql2 connects and authenticates (TLS included) and runs the setup queries,
 * then we take over its socket, register as a replica, ask for a binlog dump and frame the event
 * packets ourselves. The consumer pulls raw events with `next()`; when it is slow the socket is paused,
 * so buffered bytes stay below `maxBufferedBytes` plus one event.
 */
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Connection } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import { abortConnection, connectMysql, resolveTarget, tlsStatus, type TlsStatus } from '../connection.js';
import type { Flavor, Position } from '../../core/types.js';
import { MariadbGtidList } from '../gtid/mariadb-gtid-list.js';
import { MysqlGtidSet } from '../gtid/mysql-gtid-set.js';
import { PacketFramer, framePackets } from './packet-framer.js';
import { PositionTracker, type BinlogCoordinates } from './position-tracker.js';
import {
  BINLOG_SEND_ANNOTATE_ROWS_EVENT, binlogDumpGtidPayload, binlogDumpPayload, registerSlavePayload,
} from './replication-commands.js';
import { connectionLost, mapQueryError, mapServerError, type ErrorContext } from './replication-errors.js';
import {
  currentUser, queryRows, readBinlogStatusOrGrantFix, readServerInfo, versionAtLeast, type BinlogStatus, type ServerInfo,
} from './server-info.js';

export type StartAt =
  | { kind: 'now' }
  | { kind: 'earliest' }
  | { kind: 'file'; file: string; pos: number }
  | { kind: 'gtid'; gtidSet: string };

export interface ReplicationSessionOptions {
  /** mysql://user:password@host:port[?ssl-mode=…] (TLS from the URL's ssl-* parameters) */
  url: string;
  /** Our replica server id: unique among all replicas of the source. */
  serverId: number;
  start: StartAt;
  /** Heartbeat period the server uses when idle (default 15 s; 0 disables). */
  heartbeatSeconds?: number;
  /** Pause the socket when this many event bytes wait for the consumer (default 16 MiB). */
  maxBufferedBytes?: number;
  /** Connect timeout in ms (default 10000). */
  connectTimeoutMs?: number;
  /** Most ms from connecting until the first event (default 20000); then the connection is cut (CONNECTION_LOST). */
  openTimeoutMs?: number;
  /** Aborting cuts the connection being opened (open() then rejects with CONNECTION_LOST, nothing stays registered). */
  signal?: AbortSignal;
  /** Fail with CONNECTION_LOST when nothing arrives for this long while not paused (default 2 × heartbeat + 10 s). */
  idleTimeoutMs?: number;
}

/** What `ReplicationSession.serverStatus` reports. */
export interface ServerStatus extends ServerInfo, BinlogStatus {
  /** Whether the connection was encrypted (TLS from the URL's ssl-* parameters). */
  tls: TlsStatus;
}

/** mysql2's internal (callback) connection: only the parts we touch. */
interface Mysql2BaseConnection {
  stream: Duplex;
  on(event: 'error', listener: (err: unknown) => void): unknown;
}

interface Waiter {
  resolve(event: Buffer | null): void;
  reject(err: unknown): void;
}

const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;

type Phase = 'register' | 'dump' | 'streaming' | 'done';

async function connect(opts: { url: string; connectTimeoutMs?: number }): Promise<Connection> {
  try {
    return await connectMysql(opts.url, {
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  } catch (err) {
    throw mapQueryError(err, 'connecting to the source');
  }
}

export class ReplicationSession {
  readonly flavor: Flavor;
  readonly serverVersion: string;
  /** Events carry a 4-byte CRC32 at their end (the server's binlog_checksum is CRC32). */
  readonly checksumEnabled: boolean;
  /** Where the dump started: file:pos (file is '' for a GTID start until the first ROTATE), plus the GTID set if given. */
  readonly startPosition: Position;
  /** MySQL @@server_uuid ('' on MariaDB). */
  readonly serverUuid: string;
  /** MySQL @@gtid_mode; 'ON' on MariaDB. */
  readonly gtidMode: string;
  /** Non-fatal problems found at preflight (e.g. BINLOG_ROW_IMAGE_NOT_FULL). */
  readonly warnings: SluiceError[];
  readonly serverId: number;
  readonly maxBufferedBytes: number;

  private readonly socket: Duplex;
  private readonly framer = new PacketFramer();
  private readonly tracker: PositionTracker;
  private queue: Buffer[] = [];
  private queueHead = 0;
  private queued = 0;
  private peakQueued = 0;
  private paused = false;
  private phase: Phase = 'register';
  private error: SluiceError | null = null;
  private ended = false;
  private closed = false;
  private waiter: Waiter | null = null;
  private opened: Waiter | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly idleTimeoutMs: number;

  private constructor(
    socket: Duplex,
    info: ServerInfo,
    start: Position,
    warnings: SluiceError[],
    opts: ReplicationSessionOptions,
    private readonly dumpPayload: Buffer,
    private readonly errorContext: ErrorContext,
  ) {
    this.socket = socket;
    this.flavor = info.flavor;
    this.serverVersion = info.serverVersion;
    this.checksumEnabled = info.binlogChecksum === 'CRC32';
    this.serverUuid = info.serverUuid;
    this.gtidMode = info.gtidMode;
    this.startPosition = start;
    this.warnings = warnings;
    this.serverId = opts.serverId;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
    this.tracker = new PositionTracker(start, this.checksumEnabled ? 4 : 0);
    const hb = opts.heartbeatSeconds ?? 15;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? (hb > 0 ? hb * 2000 + 10_000 : 0);
  }

  /** Connect, check the server, resolve the start position and start streaming. */
  static async open(opts: ReplicationSessionOptions): Promise<ReplicationSession> {
    if (!Number.isInteger(opts.serverId) || opts.serverId < 1 || opts.serverId > 0xffffffff) {
      throw new SluiceError('BAD_ARGUMENT', `serverId ${opts.serverId} is not a valid server id`, 'use an integer between 1 and 4294967295, unique among the replicas of the source');
    }
    if (opts.signal?.aborted) throw connectionLost('closed before it was opened');
    const conn = await connect(opts);
    let handedOver = false;
    let session: ReplicationSession | null = null;
    // A connection that hangs after the handshake (no reset: a partition, a stuck proxy) is cut, so that
    // opening fails with CONNECTION_LOST instead of waiting forever; so is one whose opener gave up (signal).
    const openTimeoutMs = opts.openTimeoutMs ?? 20_000;
    let cutBy: string | null = null;
    const cut = (why: string): void => {
      cutBy ??= why;
      if (session) session.close();
      else abortConnection(conn);
    };
    const timer = setTimeout(() => cut(`opening the binlog stream took longer than ${Math.round(openTimeoutMs / 1000)} s`), openTimeoutMs);
    timer.unref();
    const onAbort = (): void => cut('closed while opening');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) cut('closed while opening');
    try {
      const info = await readServerInfo(conn);
      const warnings = checkBinlogSettings(info);
      const user = await currentUser(conn);
      const ctx: ErrorContext = { flavor: info.flavor, user, authenticated: true };
      const status = await readBinlogStatusOrGrantFix(conn, info);
      const start = resolveStart(opts.start, info, status);
      ctx.requested = start.gtidSet !== undefined ? `GTID ${start.gtidSet}` : `${start.file}:${start.pos}`;
      await setupSession(conn, info, opts);

      const gtidStart = opts.start.kind === 'gtid';
      const urlUser = resolveTarget(opts.url).user;
      const dump = gtidStart && info.flavor === 'mysql'
        ? binlogDumpGtidPayload({ serverId: opts.serverId, file: '', pos: 4, flags: 0, gtidData: MysqlGtidSet.parse(start.gtidSet ?? '').encode() })
        : binlogDumpPayload({
          serverId: opts.serverId, file: gtidStart ? '' : start.file, pos: gtidStart ? 4 : start.pos,
          flags: info.flavor === 'mariadb' ? BINLOG_SEND_ANNOTATE_ROWS_EVENT : 0,
        });

      const base = (conn as unknown as { connection: Mysql2BaseConnection }).connection;
      const socket = base.stream;
      // Detach mysql2: from here on we own the bytes on this socket.
      for (const ev of ['data', 'error', 'close', 'end']) socket.removeAllListeners(ev);
      base.on('error', () => { /* mysql2 no longer reads this socket */ });
      handedOver = true;

      session = new ReplicationSession(socket, info, start, warnings, opts, dump, ctx);
      await session.begin(registerSlavePayload({
        serverId: opts.serverId, hostname: hostname().slice(0, 60), user: urlUser, password: '', port: 0,
      }));
      return session;
    } catch (err) {
      if (cutBy !== null) throw connectionLost(cutBy, err);
      throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (!handedOver) conn.destroy();
    }
  }

  /** Current binlog status and settings of a server (one short connection). */
  static async serverStatus(url: string): Promise<ServerStatus> {
    const conn = await connect({ url });
    try {
      const info = await readServerInfo(conn);
      const tls = tlsStatus(conn);
      if (!info.logBin) return { ...info, tls, file: '', pos: 0, oldestFile: '', files: [] };
      return { ...info, tls, ...(await readBinlogStatusOrGrantFix(conn, info)) };
    } finally {
      conn.destroy();
    }
  }

  /** Coordinates after the last event returned by `next()` (from the event headers). */
  get position(): BinlogCoordinates {
    return this.tracker.coordinates;
  }

  /** Event bytes waiting for the consumer. */
  get bufferedBytes(): number {
    return this.queued;
  }

  /** The most event bytes that ever waited for the consumer at once. */
  get peakBufferedBytes(): number {
    return this.peakQueued;
  }

  /** True while the socket is paused for backpressure. */
  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * The next raw event (header + body + checksum, as on disk), or null once the server ended the dump
   * or the session was closed. Rejects with a typed error (CONNECTION_LOST, POSITION_PURGED, …) after
   * all events received before the error were returned.
   */
  next(): Promise<Buffer | null> {
    if (this.queueHead < this.queue.length) {
      const ev = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as Buffer;
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      this.queued -= ev.length;
      this.tracker.observe(ev);
      if (this.paused && this.queued < this.maxBufferedBytes / 2) this.pump();
      return Promise.resolve(ev);
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended || this.closed) return Promise.resolve(null);
    if (this.waiter) return Promise.reject(new SluiceError('INTERNAL', 'next() called again before the previous call settled', 'await each next() before calling it again'));
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  /** Iterate the raw events; leaving the loop early closes the session. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer, void, undefined> {
    try {
      for (;;) {
        const ev = await this.next();
        if (ev === null) return;
        yield ev;
      }
    } finally {
      this.close();
    }
  }

  /** Stop streaming and destroy the socket (idempotent). A pending `next()` resolves to null. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.phase = 'done';
    this.stopIdleTimer();
    this.socket.destroy();
    const w = this.waiter;
    this.waiter = null;
    w?.resolve(null);
    this.opened?.reject(connectionLost('session closed while opening'));
    this.opened = null;
  }

  /** Register as a replica, send the dump command, and wait for the first event (or the error). */
  private begin(register: Buffer): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.opened = { resolve: () => resolve(), reject };
      this.socket.on('data', (chunk: Buffer) => {
        this.touch();
        this.framer.push(chunk);
        this.pump();
      });
      this.socket.on('error', (err: Error) => this.fail(connectionLost(err.message, err)));
      this.socket.on('close', () => this.fail(connectionLost('the server closed the connection')));
      this.socket.on('end', () => this.fail(connectionLost('the server closed the connection')));
      this.socket.write(framePackets(register, 0));
      this.touch();
      this.socket.resume();
    });
  }

  /** Frame and handle packets until input runs out or the queue is over its limit. */
  private pump(): void {
    while (this.phase !== 'done' && (this.phase !== 'streaming' || this.queued <= this.maxBufferedBytes)) {
      const payload = this.framer.next();
      if (!payload) break;
      this.handlePayload(payload);
    }
    if (this.phase === 'done') return;
    if (this.queued > this.maxBufferedBytes) {
      if (!this.paused) {
        this.paused = true;
        this.socket.pause();
        this.stopIdleTimer();
      }
    } else if (this.paused && this.queued < this.maxBufferedBytes / 2) {
      this.paused = false;
      this.socket.resume();
      this.touch();
    }
  }

  private handlePayload(p: Buffer): void {
    const kind = p.length > 0 ? p[0]! : -1;
    if (kind === 0xff) {
      this.fail(parseErrPacket(p, this.errorContext));
      return;
    }
    if (this.phase === 'register') {
      if (kind !== 0x00) {
        this.fail(new SluiceError('SERVER_ERROR', `unexpected reply 0x${kind.toString(16)} to COM_REGISTER_SLAVE`, 'check that the source is a MySQL or MariaDB server'));
        return;
      }
      this.phase = 'dump';
      this.socket.write(framePackets(this.dumpPayload, 0));
      return;
    }
    if (kind === 0xfe && p.length < 9) {
      this.phase = 'done';
      this.ended = true;
      this.stopIdleTimer();
      this.socket.destroy();
      this.settleOpen();
      const w = this.waiter;
      this.waiter = null;
      w?.resolve(null);
      return;
    }
    if (kind !== 0x00) {
      this.fail(new SluiceError('CORRUPT_EVENT', `unexpected packet 0x${kind.toString(16)} in the binlog stream`, 'reconnect; if it repeats, report it with the server version', { length: p.length }));
      return;
    }
    const ev = p.subarray(1);
    this.phase = 'streaming';
    this.settleOpen();
    const w = this.waiter;
    if (w && this.queueHead >= this.queue.length) {
      this.waiter = null;
      this.tracker.observe(ev);
      w.resolve(ev);
      return;
    }
    this.queue.push(ev);
    this.queued += ev.length;
    if (this.queued > this.peakQueued) this.peakQueued = this.queued;
  }

  private settleOpen(): void {
    const o = this.opened;
    this.opened = null;
    o?.resolve(null);
  }

  private fail(err: SluiceError): void {
    if (this.error || this.ended || this.closed) return;
    this.error = err;
    this.phase = 'done';
    this.stopIdleTimer();
    this.socket.destroy();
    if (this.opened) {
      this.opened.reject(err);
      this.opened = null;
      return;
    }
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }

  /** Restart the idle watchdog (data arrived or we resumed). */
  private touch(): void {
    if (this.idleTimeoutMs <= 0 || this.phase === 'done') return;
    this.stopIdleTimer();
    this.idleTimer = setTimeout(() => {
      this.fail(connectionLost(`nothing received for ${Math.round(this.idleTimeoutMs / 1000)} s (no events, no heartbeats)`));
    }, this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }
}

/** ERR packet: 0xff, errno (2), ['#' + sqlstate (5)], message. */
function parseErrPacket(p: Buffer, ctx: ErrorContext): SluiceError {
  const errno = p.length >= 3 ? p.readUInt16LE(1) : 0;
  let off = 3;
  if (p[off] === 0x23) off += 6;
  return mapServerError(errno, p.subarray(off).toString('utf8'), ctx);
}

/** Fatal and non-fatal problems with the server's binlog settings. */
function checkBinlogSettings(info: ServerInfo): SluiceError[] {
  if (!info.logBin) {
    throw new SluiceError('BINLOG_DISABLED', 'the source server does not write a binary log (log_bin is OFF)',
      `start the server with log_bin enabled (e.g. --log-bin=mysql-bin --binlog-format=ROW${info.flavor === 'mysql' ? '' : ' --server-id=1'}) and restart it`,
      { flavor: info.flavor });
  }
  if (info.binlogFormat !== 'ROW') {
    throw new SluiceError('BINLOG_FORMAT_NOT_ROW', `the source writes its binlog in ${info.binlogFormat} format; Sluice needs ROW`,
      "run SET GLOBAL binlog_format = 'ROW' and set binlog_format=ROW in the server's configuration (existing sessions keep the old format until they reconnect)",
      { binlogFormat: info.binlogFormat });
  }
  const warnings: SluiceError[] = [];
  if (info.binlogRowImage && info.binlogRowImage !== 'FULL') {
    warnings.push(new SluiceError('BINLOG_ROW_IMAGE_NOT_FULL',
      `binlog_row_image is ${info.binlogRowImage}: updates and deletes carry only some columns, so their before/after images are partial`,
      "for complete row changes run SET GLOBAL binlog_row_image = 'FULL' and set it in the server's configuration",
      { binlogRowImage: info.binlogRowImage }));
  }
  return warnings;
}

function resolveStart(start: StartAt, info: ServerInfo, status: BinlogStatus): Position {
  switch (start.kind) {
    case 'now':
      return { file: status.file, pos: status.pos };
    case 'earliest':
      return { file: status.oldestFile, pos: 4 };
    case 'file': {
      if (!Number.isInteger(start.pos) || start.pos < 4) {
        throw new SluiceError('BAD_ARGUMENT', `binlog position ${start.pos} is not valid`, 'a binlog position is an integer ≥ 4 (4 is the first event of a file)');
      }
      if (!status.files.some((f) => f.name === start.file)) {
        throw new SluiceError('POSITION_PURGED', `binlog file ${start.file} is not on the source (oldest: ${status.oldestFile}, current: ${status.file})`,
          're-snapshot or start from an available position (see SHOW BINARY LOGS)', { requested: `${start.file}:${start.pos}`, oldestFile: status.oldestFile });
      }
      return { file: start.file, pos: start.pos };
    }
    case 'gtid': {
      if (info.flavor === 'mariadb') {
        return { file: '', pos: 4, gtidSet: MariadbGtidList.parse(start.gtidSet).toString() };
      }
      if (info.gtidMode !== 'ON') {
        throw new SluiceError('BAD_ARGUMENT', `cannot start from a GTID set: the source has gtid_mode=${info.gtidMode}`,
          'enable GTIDs on the source (gtid_mode=ON, enforce_gtid_consistency=ON) or start from a file:pos');
      }
      return { file: '', pos: 4, gtidSet: MysqlGtidSet.parse(start.gtidSet).toString() };
    }
  }
}

/** Session variables the dump thread reads: checksum, heartbeat, MariaDB capability and GTID state. */
async function setupSession(conn: Connection, info: ServerInfo, opts: ReplicationSessionOptions): Promise<void> {
  const stmts = ['SET @master_binlog_checksum = @@global.binlog_checksum'];
  if (info.flavor === 'mysql' && versionAtLeast(info.versionNumbers, 8, 0, 26)) stmts.push('SET @source_binlog_checksum = @@global.binlog_checksum');
  const hb = opts.heartbeatSeconds ?? 15;
  if (hb > 0) stmts.push(`SET @master_heartbeat_period = ${BigInt(Math.round(hb * 1e9))}`);
  if (info.flavor === 'mariadb') {
    stmts.push('SET @mariadb_slave_capability = 4');
    if (opts.start.kind === 'gtid') {
      const state = MariadbGtidList.parse(opts.start.gtidSet).toString();
      stmts.push(`SET @slave_connect_state = '${state}'`);
      stmts.push(`SET @slave_gtid_strict_mode = ${info.gtidStrictMode ? 1 : 0}`);
      stmts.push('SET @slave_gtid_ignore_duplicates = 0');
    }
  } else {
    stmts.push('SET @slave_uuid = UUID()', 'SET @replica_uuid = UUID()');
  }
  for (const sql of stmts) await queryRows(conn, sql);
}
