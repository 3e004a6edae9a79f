import { SluiceError, isSluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import { redactUrl } from '../log.js';
import { BinlogDecoder } from '../mysql/binlog/decoder.js';
import type { BinlogEvent } from '../mysql/binlog/events.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { SchemaHistory } from '../mysql/schema/schema-history.js';
import { TransactionAssembler } from './transaction-assembler.js';
import type { Flavor, Position, SourceMessage } from '../core/types.js';
import { EventPositionTracker } from './event-position.js';

export type StartSpec =
  | { kind: 'now' }
  | { kind: 'earliest' }
  | { kind: 'file'; file: string; pos: number }
  | { kind: 'gtid'; gtidSet: string }
  | { kind: 'position'; position: Position };

export interface BinlogSourceOptions {
  url: string;
  /** Replica server id; a random one in [1e6, 4e9) when absent. */
  serverId?: number;
  start: StartSpec;
  filter?: (db: string, table: string) => boolean;
  maxChangesPerPart?: number;
  heartbeatSeconds?: number;
  /** Bytes of raw events buffered from the socket before it is paused. */
  maxBufferedBytes?: number;
  logger?: Logger;
  /** Reconnect policy; retries forever by default. */
  reconnect?: { baseDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /** Schema history to use (shared with other components, or persisted); one is created otherwise. */
  schemaHistory?: SchemaHistory;
  /** Close the schema history with the source (default true). */
  closeSchemaHistory?: boolean;
}

/** Errors that a reconnect can cure. */
function isTransient(err: unknown): boolean {
  if (!isSluiceError(err)) {
    const e = err as { code?: string; fatal?: boolean } | null;
    const code = e?.code;
    // mysql2 marks errors that killed the connection `fatal` (incl. "Can't add new command when connection is in closed state").
    return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'PROTOCOL_CONNECTION_LOST' || code === 'ETIMEDOUT' || code === 'EPIPE'
      || (e?.fatal === true && code === undefined);
  }
  if (err.code === 'CONNECTION_LOST' || err.code === 'CONNECTION_FAILED') return true;
  // A query on a side connection (the schema loader's information_schema reads) that failed because the
  // server went away is wrapped as SERVER_ERROR: look at its cause.
  return err.code === 'SERVER_ERROR' && err.cause !== undefined && err.cause !== err && isTransient(err.cause);
}

/**
 * The ordered stream of a source's transactions, read from its binlog: a replication session,
 * the event decoder, the schema history and the transaction assembler, with reconnects.
 *
 * Delivery guarantee to the consumer: every transaction exactly once, in order. After a dropped
 * connection the stream resumes at the end of the last complete transaction; parts of a large
 * transaction that were already delivered are not delivered again.
 */
export class BinlogSource implements AsyncIterable<SourceMessage> {
  private session: ReplicationSession | null = null;
  private decoder: BinlogDecoder | null = null;
  private assembler: TransactionAssembler | null = null;
  private tracker = new EventPositionTracker();
  private pending: SourceMessage[] = [];
  private closed = false;
  private resume: StartSpec;
  /** Parts of the current (incomplete) transaction already delivered: skip them after a reconnect. */
  private deliveredParts = 0;
  private skipParts = 0;
  /** Set when handling an event failed part-way: resume from before that event, not from the assembler's position. */
  private resumeOverride: Position | null = null;
  private readonly serverId: number;
  private readonly schema: SchemaHistory;
  private seeded = false;
  private readonly log: Logger | undefined;
  private flavorValue: Flavor | null = null;
  /** Number of reconnects so far. */
  reconnects = 0;
  /** Bytes of binlog events received so far (all sessions). */
  bytesRead = 0;
  /** Warnings from the preflight (e.g. binlog_row_image not FULL). */
  warnings: string[] = [];

  /** Aborted by close(): cuts a connect in progress. */
  private readonly connectAbort = new AbortController();
  private connecting: Promise<void> | null = null;

  constructor(private readonly opts: BinlogSourceOptions) {
    this.resume = opts.start;
    this.serverId = opts.serverId ?? 1_000_000 + Math.floor(Math.random() * 3_000_000_000);
    this.schema = opts.schemaHistory ?? new SchemaHistory({ url: opts.url });
    this.log = opts.logger;
  }

  get flavor(): Flavor | null {
    return this.flavorValue;
  }

  /** Resume point: the end of the last transaction delivered whole. */
  get position(): Position | null {
    return this.assembler?.position ?? null;
  }

  [Symbol.asyncIterator](): AsyncIterator<SourceMessage> {
    return {
      next: async () => {
        const m = await this.next();
        return m === null ? { done: true, value: undefined } : { done: false, value: m };
      },
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /** The next message, or null once closed. */
  async next(): Promise<SourceMessage | null> {
    let attempt = 0;
    while (!this.closed) {
      const m = this.pending.shift();
      if (m !== undefined) {
        this.noteDelivered(m);
        return m;
      }
      try {
        if (this.session === null) {
          // close() aborts a connect in progress (and waits for it to end: a connect that registered as a
          // replica late would drop the next reader that uses the same server id).
          this.connecting = this.connect();
          try {
            await this.connecting;
          } finally {
            this.connecting = null;
          }
        }
        if (this.session === null) return null; // closed while connecting
        const raw = await this.session.next();
        if (raw === null) {
          if (this.closed) return null;
          throw new SluiceError('CONNECTION_LOST', 'the source ended the binlog stream', 'retrying automatically');
        }
        attempt = 0;
        this.bytesRead += raw.length;
        await this.handle(raw);
      } catch (err) {
        if (this.closed) return null;
        if (!isTransient(err)) throw err;
        attempt++;
        const max = this.opts.reconnect?.maxAttempts ?? Infinity;
        if (attempt > max) throw err;
        await this.dropSession();
        const base = this.opts.reconnect?.baseDelayMs ?? 250;
        const cap = this.opts.reconnect?.maxDelayMs ?? 10_000;
        const delay = Math.min(cap, base * 2 ** Math.min(attempt - 1, 10)) * (0.75 + Math.random() * 0.5);
        this.log?.warn({ attempt, delayMs: Math.round(delay), err: describe(err) }, 'binlog connection lost; reconnecting');
        await sleep(delay);
        this.reconnects++;
      }
    }
    return null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connectAbort.abort();
    await this.connecting?.catch(() => undefined);
    await this.dropSession();
    if (this.opts.closeSchemaHistory ?? true) await this.schema.close();
  }

  private noteDelivered(m: SourceMessage): void {
    if (m.kind === 'transaction') this.deliveredParts = m.last ? 0 : m.part + 1;
  }

  private async dropSession(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await s.close();
    // Anything not yet delivered is re-read after the reconnect.
    this.pending = [];
    // Only when a session was streaming: after a failed connect attempt the assembler is still the one
    // of the previous session, and the resume point computed then (possibly an override) must stand.
    if (s && this.assembler) {
      const p = this.resumeOverride ?? this.assembler.position;
      this.resumeOverride = null;
      this.resume = { kind: 'position', position: p };
      this.skipParts = this.deliveredParts;
    }
  }

  private async connect(): Promise<void> {
    const start = this.resume;
    const sessionStart =
      start.kind === 'position'
        ? start.position.gtidSet && this.flavorValue === 'mysql'
          ? { kind: 'gtid' as const, gtidSet: start.position.gtidSet }
          : { kind: 'file' as const, file: start.position.file, pos: start.position.pos }
        : start;
    this.log?.info({ source: redactUrl(this.opts.url), start: sessionStart, serverId: this.serverId }, 'opening binlog stream');
    const session = await ReplicationSession.open({
      url: this.opts.url,
      serverId: this.serverId,
      start: sessionStart,
      heartbeatSeconds: this.opts.heartbeatSeconds ?? 5,
      maxBufferedBytes: this.opts.maxBufferedBytes,
      signal: this.connectAbort.signal,
    });
    if (this.closed) {
      // close() ran while we were connecting: do not leave this socket open.
      session.close();
      return;
    }
    this.session = session;
    this.warnings = session.warnings.map((w) => w.describe());
    for (const w of this.warnings) this.log?.warn({ warning: w }, 'source preflight warning');
    this.flavorValue = session.flavor;
    const startPos: Position =
      start.kind === 'position'
        ? start.position
        : { file: session.startPosition.file, pos: session.startPosition.pos, gtidSet: session.startPosition.gtidSet };
    // Started at "now": the schema model is read at this position, before any later DDL can be met.
    if (start.kind === 'now' && !this.seeded) {
      await this.schema.seed(startPos, this.opts.filter);
      this.seeded = true;
    }
    this.decoder = new BinlogDecoder({ columnResolver: this.schema, flavor: session.flavor });
    this.assembler = new TransactionAssembler({
      flavor: session.flavor,
      startPosition: startPos,
      maxChangesPerPart: this.opts.maxChangesPerPart,
      filter: this.opts.filter,
    });
    this.tracker = new EventPositionTracker(startPos.file, startPos.pos);
  }

  private async handle(raw: Buffer): Promise<void> {
    const decoder = this.decoder!;
    const ev: BinlogEvent = decoder.decode(raw);
    const eventPos = this.tracker.observe(ev);
    if (ev.kind === 'table_map') await this.ensureSchema(ev.tableId, ev.database, ev.table, ev.hasNames);
    // `pending` is empty here (next() only reads when it is). If applying a DDL fails (e.g. the schema
    // reload cannot reach the server), the assembler has already moved past this event: resume from
    // before it so that its messages are produced again rather than lost.
    const before = this.assembler!.position;
    const msgs = this.assembler!.push(ev, eventPos);
    for (const m of msgs) {
      if (m.kind === 'ddl') {
        try {
          await this.schema.applyDdl(m);
          this.decoder!.invalidateResolved();
        } catch (err) {
          this.resumeOverride = before;
          throw err;
        }
      }
      if (m.kind === 'transaction' && this.skipParts > 0) {
        if (m.part < this.skipParts) {
          if (m.last) this.skipParts = 0;
          continue;
        }
        this.skipParts = 0;
      }
      this.pending.push(m);
    }
  }

  private async ensureSchema(tableId: number, db: string, table: string, hasNames: boolean): Promise<void> {
    if (this.opts.filter && !this.opts.filter(db, table)) return;
    const pos = this.assembler!.position;
    if (await this.schema.ensureLoaded(db, table, pos, hasNames)) this.decoder!.reresolve(tableId);
  }
}

function describe(err: unknown): string {
  if (isSluiceError(err)) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
