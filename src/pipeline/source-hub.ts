/**
 * One binlog reader per source, shared by every pipeline of that source.
 *
 * Each subscriber has a resume position and a table filter. The hub reads from the earliest position any
 * subscriber needs (restarting its reader when a subscriber needs an earlier one) and hands each
 * subscriber the messages after its own position, with the changes its filter selects; a transaction
 * that holds nothing for a subscriber reaches it as a heartbeat, so its checkpoint still moves.
 * Backpressure: the reader waits while any subscriber has a full queue.
 */
import type { Logger } from '../log.js';
import { classifyStatement } from '../mysql/schema/ddl.js';
import { SchemaHistory, comparePositions } from '../mysql/schema/schema-history.js';
import { BinlogSource } from '../source/binlog-source.js';
import type { TableFilter } from '../source/table-filter.js';
import type { Position, SourceMessage } from '../core/types.js';

const QUEUE_LIMIT = 64;
/** A reader that handed out nothing for this long (the source sends a heartbeat every second) is restarted by the next subscriber. */
const SILENT_READER_MS = 5000;

export interface SubscribeOptions {
  name: string;
  start: Position;
  filter: TableFilter;
  /** The subscriber's schema history (seeded at its snapshot); merged into the hub's. */
  history: SchemaHistory;
}

export class Subscription {
  readonly queue: SourceMessage[] = [];
  waiter: { resolve: (m: SourceMessage | null) => void; reject: (e: unknown) => void } | null = null;
  error: unknown = null;
  closed = false;
  /** Parts of an unfinished transaction were handed out (a reader restart must retract them). */
  inTxn = false;

  constructor(readonly hub: SourceHub, readonly name: string, public position: Position, readonly filter: TableFilter) {}

  /** The hub's schema history (use it for checkpoints: it has the DDL versions). */
  get history(): SchemaHistory {
    return this.hub.history;
  }

  /** Bytes the hub's reader received (shared by every subscriber of the source). */
  get bytesRead(): number {
    return this.hub.bytesRead;
  }

  /** Reconnects of the hub's reader. */
  get reconnects(): number {
    return this.hub.reconnects;
  }

  next(): Promise<SourceMessage | null> {
    const m = this.queue.shift();
    if (m !== undefined) {
      this.hub.drained();
      return Promise.resolve(m);
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.resolve(null);
    this.waiter = null;
    await this.hub.unsubscribe(this);
  }

  /** Queue `m` if it is past this subscriber's position, reduced to what its filter selects. */
  offer(m: SourceMessage): void {
    if (this.closed) return;
    let out: SourceMessage | null = null;
    if (m.kind === 'transaction') {
      if (comparePositions(m.startPosition, this.position) < 0) return;
      const changes = m.changes.filter((c) => this.filter(c.database, c.table));
      if (m.last) this.position = m.position;
      const hadParts = this.inTxn;
      this.inTxn = !m.last && (hadParts || changes.length > 0);
      if (hadParts && m.last) {
        out = changes.length === m.changes.length ? m : { ...m, changes }; // ends (or rolls back) what it received
      } else if (changes.length === 0) {
        if (m.last) out = { kind: 'heartbeat', position: m.position, time: m.commitTime };
      } else if (!m.rolledBack) {
        out = changes.length === m.changes.length ? m : { ...m, changes };
      }
    } else {
      if (comparePositions(m.position, this.position) <= 0) return;
      this.position = m.position;
      if (m.kind === 'ddl' && !ddlConcerns(m.sql, m.database, this.filter)) out = { kind: 'heartbeat', position: m.position, time: m.commitTime };
      else out = m;
    }
    if (out === null) return;
    this.push(out);
  }

  /** The reader restarts mid-transaction: the parts already handed out are withdrawn (re-read later). */
  retract(): void {
    if (!this.inTxn) return;
    this.inTxn = false;
    this.push({ kind: 'transaction', position: this.position, startPosition: this.position, commitTime: Date.now(), changes: [], part: 0, last: true, rolledBack: true });
  }

  private push(out: SourceMessage): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(out);
    } else {
      this.queue.push(out);
    }
  }

  fail(err: unknown): void {
    this.error = err;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(err);
  }
}

function ddlConcerns(sql: string, database: string, filter: TableFilter): boolean {
  const c = classifyStatement(sql, database);
  if (c.kind !== 'ddl') return false;
  const tables = [...c.ddl.tables, ...c.ddl.renames.flatMap((r) => [r.from, r.to])];
  if (tables.length === 0) return filter(c.ddl.database ?? database, '*');
  return tables.some((t) => filter(t.database, t.table));
}

export class SourceHub {
  readonly history: SchemaHistory;
  private readonly subs = new Set<Subscription>();
  private source: BinlogSource | null = null;
  /** Where the current reader started (a subscriber needing an earlier position restarts it). */
  private readerStart: Position | null = null;
  private loop: Promise<void> | null = null;
  /** Resume point of the last message the reader handed out. */
  private lastPos: Position | null = null;
  private generation = 0;
  private space: (() => void) | null = null;
  /** Bytes and reconnects of readers already stopped. */
  private pastBytes = 0;
  private pastReconnects = 0;
  /** When the reader last handed out a message. */
  private lastMessageAt = 0;

  constructor(private readonly url: string, readonly serverId: number, private readonly log: Logger) {
    this.history = new SchemaHistory({ url });
  }

  /** Binlog bytes received by this hub's readers. */
  get bytesRead(): number {
    return this.pastBytes + (this.source?.bytesRead ?? 0);
  }

  get reconnects(): number {
    return this.pastReconnects + (this.source?.reconnects ?? 0);
  }

  /** Subscribe from `start`; the reader is (re)started as needed. */
  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    this.history.merge(opts.history.toJSON());
    const sub = new Subscription(this, opts.name, opts.start, opts.filter);
    this.subs.add(sub);
    const at = this.lastPos ?? this.readerStart;
    // A subscriber restarting after a stall finds the reader silent: restart it too (its connection may hang).
    if (this.source === null || at === null || comparePositions(opts.start, at) < 0 || Date.now() - this.lastMessageAt > SILENT_READER_MS) {
      if (this.source !== null && at !== null && comparePositions(opts.start, at) >= 0) this.log.warn({ silentMs: Date.now() - this.lastMessageAt }, 'shared binlog reader silent: restarting it');
      await this.restart(this.earliest());
    }
    return sub;
  }

  async unsubscribe(sub: Subscription): Promise<void> {
    this.subs.delete(sub);
    this.drained();
    if (this.subs.size === 0) await this.stopReader();
  }

  /** A subscriber took a message: the reader may go on. */
  drained(): void {
    const s = this.space;
    if (s && [...this.subs].every((x) => x.queue.length < QUEUE_LIMIT)) {
      this.space = null;
      s();
    }
  }

  private earliest(): Position {
    const positions = [...this.subs].map((s) => s.position).sort(comparePositions);
    return positions[0]!;
  }

  private async stopReader(): Promise<void> {
    this.generation++;
    const src = this.source;
    this.source = null;
    this.readerStart = null;
    const s = this.space;
    this.space = null;
    s?.();
    if (src) {
      this.pastBytes += src.bytesRead;
      this.pastReconnects += src.reconnects;
      await src.close();
    }
    // The old pump ignores whatever it still gets (generation changed); do not hang on a read that hangs.
    const loop = this.loop;
    this.loop = null;
    if (loop) await Promise.race([loop.catch(() => undefined), new Promise<void>((r) => setTimeout(r, 2000).unref())]);
  }

  private async restart(from: Position): Promise<void> {
    await this.stopReader();
    for (const s of this.subs) s.retract();
    const gen = ++this.generation;
    this.lastPos = null;
    this.history.setPosition(from);
    const source = new BinlogSource({
      url: this.url,
      serverId: this.serverId,
      start: { kind: 'position', position: from },
      filter: (db, table) => [...this.subs].some((s) => s.filter(db, table)),
      logger: this.log,
      schemaHistory: this.history,
      heartbeatSeconds: 1,
      reconnect: { maxAttempts: 5 },
      closeSchemaHistory: false,
    });
    this.source = source;
    this.readerStart = from;
    this.lastMessageAt = Date.now();
    this.log.info({ position: from, subscribers: [...this.subs].map((s) => s.name) }, 'shared binlog reader started');
    this.loop = this.pump(source, gen);
  }

  private async pump(source: BinlogSource, gen: number): Promise<void> {
    try {
      while (gen === this.generation) {
        const m = await source.next();
        if (m === null || gen !== this.generation) return;
        this.lastMessageAt = Date.now();
        for (const s of this.subs) s.offer(m);
        if (m.kind !== 'transaction' || m.last) this.lastPos = m.position;
        if ([...this.subs].some((s) => s.queue.length >= QUEUE_LIMIT)) {
          await new Promise<void>((resolve) => { this.space = resolve; });
        }
      }
    } catch (err) {
      if (gen !== this.generation) return;
      // Every subscriber restarts from its own checkpoint; the reader starts again on the next subscribe.
      for (const s of this.subs) s.fail(err);
      this.subs.clear();
      this.generation++;
      this.source = null;
      this.readerStart = null;
      this.pastBytes += source.bytesRead;
      this.pastReconnects += source.reconnects;
      await source.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    for (const s of this.subs) s.closed = true;
    this.subs.clear();
    await this.stopReader();
    await this.history.close();
  }
}
