/**
 * One binlog reader per source, shared by every pipeline of that source (`sluice run`, and each `sluice serve` node).
 *
 * Each subscriber has a resume position and a table filter. The hub hands each subscriber the messages after its
 * own position, with the changes its filter selects; a transaction that holds nothing for a subscriber reaches it
 * as a heartbeat, so its checkpoint still moves. Pipelines come and go independently, at their own positions:
 * - a subscriber joins *attached* when the reader can serve it from where it is (its position is not behind the
 *   reader's, nor inside a transaction the reader has begun to hand out); otherwise, while the reader runs for
 *   other subscribers and the hub can have a server id for it (`catchUpIds`), the joiner gets a *catch-up reader*
 *   of its own (catch-up-reader.ts) that reads from its position and hands it over to the shared reader at a
 *   transaction boundary once it has reached it — the others never wait; without one (no other subscriber, a
 *   silent reader, no id to be had) the reader restarts from the earliest position its subscribers need — the
 *   others see the unfinished transaction withdrawn (a rolled-back part) and skip what they already had, by position;
 * - backpressure: the reader waits while a subscriber's queue is full — but a subscriber that takes nothing for
 *   `parkAfterMs` (ten times that inside a transaction) while another one waits for messages (a re-snapshot, a
 *   stuck target) is *parked*: it keeps what it has queued, gets nothing more, and rejoins (as a late joiner, from
 *   its own position) once it has taken everything — so one pipeline never stalls the others;
 * - the reader stops when the last subscriber leaves (`onIdle`); restarts are serialized, so the hub never has two
 *   connections (the source would drop one of them: same server id).
 */
import { SluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import { classifyStatement } from '../mysql/schema/ddl.js';
import { SchemaHistory, comparePositions } from '../mysql/schema/schema-history.js';
import { BinlogSource } from '../source/binlog-source.js';
import type { TableFilter } from '../source/table-filter.js';
import type { Position, SourceMessage } from '../core/types.js';
import { CatchUpReader, type CatchUpIds } from './catch-up-reader.js';

const QUEUE_LIMIT = 64;
/** A reader that handed out nothing for this long (the source sends a heartbeat every second) is restarted by the next subscriber. */
const SILENT_READER_MS = 5000;
const PARK_AFTER_MS = 2000;
const IN_TXN_PARK_FACTOR = 10;
/** How long a joiner waits for a catch-up reader's server id (a cluster lease) before restarting the reader instead. */
const CATCH_UP_ID_MS = 3000;

export interface SubscribeOptions {
  name: string;
  start: Position;
  filter: TableFilter;
  /** The subscriber's schema history (seeded at its snapshot); merged into the hub's. */
  history: SchemaHistory;
}

/** What a pipeline reads its binlog through when it shares the reader of its source (a SourceHub, or SourceReaders' handle). */
export interface SharedReader {
  /** The replica server id the reader registers with (for error messages). */
  readonly serverId: number;
  subscribe(opts: SubscribeOptions): Promise<Subscription>;
}

export interface SourceHubOptions {
  /** Messages queued per subscriber before the reader waits (default 64). */
  queueLimit?: number;
  /**
   * A subscriber whose full queue held the reader this long (ten times as long inside a transaction) without taking
   * a message, while another subscriber waited, is parked (default 2000 ms).
   */
  parkAfterMs?: number;
  /** Row changes per part of a large transaction (BinlogSource's default otherwise). */
  maxChangesPerPart?: number;
  /** The last subscriber left and the reader stopped. */
  onIdle?(hub: SourceHub): void;
  /**
   * Server ids for private catch-up readers (a joiner behind the shared reader reads on its own until it reaches
   * it); without, such a joiner restarts the shared reader from its position.
   */
  catchUpIds?: CatchUpIds;
}

const posKey = (p: Position): string => `${p.file}:${p.pos}`;

export class Subscription {
  readonly queue: SourceMessage[] = [];
  waiter: { resolve: (m: SourceMessage | null) => void; reject: (e: unknown) => void } | null = null;
  error: unknown = null;
  closed = false;
  /** Parts of an unfinished transaction were handed out (a reader restart must retract them). */
  inTxn = false;
  /** Offered messages by the reader (false while joining, and while parked). */
  attached = false;
  /** When this subscriber last took a message (or joined). */
  takenAt = Date.now();
  /** The private reader it reads through until it has caught up with the shared one. */
  catchUp: CatchUpReader | null = null;
  /** The transaction whose first part this subscriber was offered (a later part of another one means it missed a beginning). */
  private openTxn: string | null = null;

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
    this.takenAt = Date.now();
    if (m !== undefined) {
      this.catchUp?.drained();
      this.hub.drained();
      return Promise.resolve(m);
    }
    if (this.error !== null) return Promise.reject(this.error);
    if (this.closed) return Promise.resolve(null);
    // Parked and caught up with what it had: join the reader again, from this position.
    if (!this.attached && this.catchUp === null) this.hub.rejoin(this);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.resolve(null);
    this.waiter = null;
    await this.hub.unsubscribe(this);
  }

  /** Whether the reader must wait for this subscriber. */
  get full(): boolean {
    return this.attached && this.error === null && this.queue.length >= this.hub.queueLimit;
  }

  /** The shared reader's message: queued if this subscriber is attached (see `accept`). */
  offer(m: SourceMessage): void {
    if (this.attached) this.accept(m);
  }

  /** Queue `m` if it is past this subscriber's position, reduced to what its filter selects. */
  accept(m: SourceMessage): void {
    if (this.closed || this.error !== null) return;
    let out: SourceMessage | null = null;
    if (m.kind === 'transaction') {
      if (comparePositions(m.startPosition, this.position) < 0) return;
      const key = posKey(m.startPosition);
      if (m.part === 0) this.openTxn = key;
      else if (this.openTxn !== key) {
        // Never expected (a joiner inside a transaction restarts the reader): refuse rather than hand out half of one.
        this.fail(new SluiceError('CONNECTION_LOST', `the shared binlog reader joined pipeline ${this.name} inside the transaction at ${key}`,
          'nothing to do: the pipeline restarts from its checkpoint', { position: m.startPosition }));
        return;
      }
      if (m.last) this.openTxn = null;
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
    } else if (m.kind === 'heartbeat') {
      // An idle source's heartbeats carry the position the subscriber already has: they still say "nothing new
      // until now" (its lag and its stream watchdog depend on them). Only those of a reader behind it are dropped.
      if (comparePositions(m.position, this.position) < 0) return;
      this.position = m.position;
      out = m;
    } else {
      if (comparePositions(m.position, this.position) <= 0) return;
      this.position = m.position;
      if (m.kind === 'ddl' && !ddlConcerns(m.sql, m.database, this.filter)) out = { kind: 'heartbeat', position: m.position, time: m.commitTime };
      else out = m;
    }
    if (out === null) return;
    // A heartbeat after a heartbeat not yet taken replaces it (an idle subscriber's queue never fills with them).
    const tail = this.queue.length > 0 ? this.queue[this.queue.length - 1]! : null;
    if (out.kind === 'heartbeat' && tail?.kind === 'heartbeat') this.queue[this.queue.length - 1] = out;
    else this.push(out);
  }

  /** The reader restarts mid-transaction (or leaves this subscriber behind): the parts already handed out are withdrawn (re-read later). */
  retract(): void {
    this.openTxn = null;
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
    if (this.error !== null) return;
    this.error = err;
    const c = this.catchUp;
    this.catchUp = null;
    void c?.close();
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

export class SourceHub implements SharedReader {
  readonly history: SchemaHistory;
  readonly queueLimit: number;
  private readonly parkAfterMs: number;
  private readonly subs = new Set<Subscription>();
  private source: BinlogSource | null = null;
  /** Where the current reader started (a subscriber needing an earlier position restarts it). */
  private readerStart: Position | null = null;
  private loop: Promise<void> | null = null;
  /** Resume point of the last complete message the reader handed out. */
  private lastPos: Position | null = null;
  /** Start of the transaction the reader is handing out in parts (null between transactions). */
  private txnStart: Position | null = null;
  private generation = 0;
  private space: (() => void) | null = null;
  /** Bytes and reconnects of readers already stopped. */
  private pastBytes = 0;
  private pastReconnects = 0;
  /** When the reader last handed out a message. */
  private lastMessageAt = 0;
  /** Joins, rejoins and stops, one at a time (never two readers at once). */
  private serial: Promise<void> = Promise.resolve();
  private closed = false;
  /** Times the reader was (re)started: for tests and logs. */
  starts = 0;
  /** Subscribers parked so far. */
  parks = 0;
  /** Catch-up readers started so far, and those that handed their subscriber over. */
  catchUps = 0;
  handOvers = 0;
  private readonly catchingUp = new Set<CatchUpReader>();

  constructor(private readonly url: string, readonly serverId: number, private readonly log: Logger, private readonly opts: SourceHubOptions = {}) {
    this.history = new SchemaHistory({ url });
    this.queueLimit = opts.queueLimit ?? QUEUE_LIMIT;
    this.parkAfterMs = opts.parkAfterMs ?? PARK_AFTER_MS;
  }

  /** Binlog bytes received by this hub's readers. */
  get bytesRead(): number {
    let n = this.pastBytes + (this.source?.bytesRead ?? 0);
    for (const c of this.catchingUp) n += c.bytesRead;
    return n;
  }

  /** Catch-up readers open now. */
  get catchUpReaders(): number {
    return this.catchingUp.size;
  }

  get reconnects(): number {
    return this.pastReconnects + (this.source?.reconnects ?? 0);
  }

  /** Subscribers (joined or parked). */
  get size(): number {
    return this.subs.size;
  }

  /** Subscribe from `start`; the reader is (re)started as needed. */
  async subscribe(opts: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new SluiceError('CONNECTION_LOST', `the shared binlog reader of ${opts.name}'s source was closed`, 'nothing to do: the pipeline restarts');
    this.history.merge(opts.history.toJSON());
    const sub = new Subscription(this, opts.name, opts.start, opts.filter);
    this.subs.add(sub);
    try {
      await this.attach(sub);
    } catch (err) {
      await sub.close().catch(() => undefined);
      throw err;
    }
    return sub;
  }

  async unsubscribe(sub: Subscription): Promise<void> {
    if (!this.subs.delete(sub)) return;
    const c = sub.catchUp;
    sub.catchUp = null;
    if (c) await c.close();
    this.drained();
    if (this.subs.size > 0) return;
    await this.exclusive(async () => {
      if (this.subs.size > 0) return; // someone joined meanwhile
      await this.stopReader();
    });
    if (this.subs.size === 0) this.opts.onIdle?.(this);
  }

  /** A parked subscriber took everything it had: attach it again (in the background; a failure fails it). */
  rejoin(sub: Subscription): void {
    this.attach(sub).catch((err: unknown) => sub.fail(err));
  }

  /** A subscriber took a message: the reader may go on. */
  drained(): void {
    const s = this.space;
    if (s && ![...this.subs].some((x) => x.full)) {
      this.space = null;
      s();
    }
  }

  private exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.serial.then(fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /**
   * Let the reader offer messages to `sub`: at once when the reader can still serve its position, else by
   * restarting the reader from the earliest position of its subscribers. Decided and done without a message
   * offered in between, so the subscriber neither misses nor repeats one.
   */
  private attach(sub: Subscription): Promise<void> {
    return this.exclusive(async () => {
      if (sub.closed || sub.attached || sub.catchUp !== null || !this.subs.has(sub)) return;
      if (this.canServe(sub.position)) {
        sub.attached = true;
        return;
      }
      if (await this.startCatchUp(sub)) return;
      if (this.source !== null && this.silent()) this.log.warn({ silentMs: Date.now() - this.lastMessageAt }, 'shared binlog reader silent: restarting it');
      sub.attached = true;
      await this.restart();
    });
  }

  /**
   * A private reader for `sub` when the shared one runs for others (they must not wait for a re-read); false when
   * there is none to be had (no ids, nobody else, a silent reader, no free id): the caller restarts the reader.
   */
  private async startCatchUp(sub: Subscription): Promise<boolean> {
    const ids = this.opts.catchUpIds;
    if (!ids || this.source === null || this.silent()) return false;
    if (![...this.subs].some((s) => s !== sub && s.attached && !s.closed && s.error === null)) return false;
    let reader: CatchUpReader | null = null;
    let id;
    try {
      // Joins wait for this (they are serialized): a store that does not answer must not hold them up.
      const asked = ids((err) => { sub.fail(err); void reader?.close(); });
      let timer: NodeJS.Timeout | null = null;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SluiceError('CONNECTION_LOST', `no server id for a catch-up reader within ${CATCH_UP_ID_MS} ms`,
          'nothing to do: the joiner restarts the shared reader instead')), CATCH_UP_ID_MS);
      });
      try {
        id = await Promise.race([asked, late]);
      } catch (err) {
        void asked.then((x) => x.release()).catch(() => undefined); // if it comes after all, give it back
        throw err;
      } finally {
        if (timer) clearTimeout(timer);
      }
    } catch (err) {
      this.log.warn({ subscriber: sub.name, err }, 'no server id for a catch-up reader: the shared reader restarts from the joiner\'s position instead');
      return false;
    }
    if (sub.closed || sub.error !== null || !this.subs.has(sub)) {
      await id.release().catch(() => undefined);
      return true;
    }
    reader = new CatchUpReader(this, sub, { url: this.url, id, logger: this.log, ...(this.opts.maxChangesPerPart !== undefined ? { maxChangesPerPart: this.opts.maxChangesPerPart } : {}) });
    sub.catchUp = reader;
    this.catchingUp.add(reader);
    this.catchUps++;
    const r = reader;
    void r.done.finally(() => {
      this.catchingUp.delete(r);
      this.pastBytes += r.bytesRead;
    });
    return true;
  }

  /**
   * A catch-up reader gave `sub` everything up to its position, at a transaction boundary: attach it to the shared
   * reader now if that one has handed out nothing at or after that position yet (see catch-up-reader.ts). When the
   * shared reader is gone or silent, `sub` joins it the ordinary way (a restart from its position, which is near the
   * end of the binlog by then, unless the shared reader serves it).
   */
  handOver(sub: Subscription): boolean {
    if (sub.closed || sub.error !== null || !this.subs.has(sub)) return false; // gone: its catch-up reader stops
    if (this.canServe(sub.position)) {
      sub.catchUp = null;
      sub.attached = true;
      sub.takenAt = Date.now();
      this.handOvers++;
      return true;
    }
    if (this.source === null || this.silent()) {
      sub.catchUp = null;
      this.handOvers++;
      this.rejoin(sub);
      return true;
    }
    return false;
  }

  /** Whether the running reader has not yet handed out anything a subscriber at `position` needs. */
  private canServe(position: Position): boolean {
    if (this.source === null || this.silent()) return false;
    if (this.txnStart !== null) return comparePositions(position, this.txnStart) > 0;
    const at = this.lastPos ?? this.readerStart;
    return at !== null && comparePositions(position, at) >= 0;
  }

  /** A subscriber restarting after a stall finds the reader silent: restart it too (its connection may hang). */
  private silent(): boolean {
    return this.space === null && Date.now() - this.lastMessageAt > SILENT_READER_MS;
  }

  private earliest(): Position | null {
    const positions = [...this.subs].filter((s) => s.attached && !s.closed).map((s) => s.position).sort(comparePositions);
    return positions[0] ?? null;
  }

  private async stopReader(): Promise<void> {
    this.generation++;
    const src = this.source;
    this.source = null;
    this.readerStart = null;
    this.txnStart = null;
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

  /** Only inside `exclusive`. */
  private async restart(): Promise<void> {
    await this.stopReader();
    // (A subscriber on a catch-up reader keeps its transaction: that reader goes on.)
    for (const s of this.subs) if (s.catchUp === null) s.retract();
    const from = this.earliest();
    if (from === null || this.closed) return;
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
      ...(this.opts.maxChangesPerPart !== undefined ? { maxChangesPerPart: this.opts.maxChangesPerPart } : {}),
    });
    this.source = source;
    this.readerStart = from;
    this.lastMessageAt = Date.now();
    this.starts++;
    this.log.info({ position: from, serverId: this.serverId, subscribers: [...this.subs].filter((s) => s.attached).map((s) => s.name) }, 'shared binlog reader started');
    this.loop = this.pump(source, gen);
  }

  private async pump(source: BinlogSource, gen: number): Promise<void> {
    try {
      while (gen === this.generation) {
        const m = await source.next();
        if (m === null || gen !== this.generation) return;
        this.lastMessageAt = Date.now();
        for (const s of this.subs) s.offer(m);
        // A heartbeat inside a transaction carries the position before it: the transaction is still open.
        if (m.kind === 'heartbeat') this.lastPos = m.position;
        else if (m.kind !== 'transaction' || m.last) {
          this.lastPos = m.position;
          this.txnStart = null;
        } else {
          this.txnStart = m.startPosition;
        }
        await this.waitForRoom(gen);
      }
    } catch (err) {
      if (gen !== this.generation) return;
      // Every subscriber restarts from its own checkpoint; the reader starts again on the next subscribe.
      for (const s of this.subs) s.fail(err);
      this.subs.clear();
      this.generation++;
      this.source = null;
      this.readerStart = null;
      this.txnStart = null;
      this.pastBytes += source.bytesRead;
      this.pastReconnects += source.reconnects;
      await source.close().catch(() => undefined);
      this.opts.onIdle?.(this);
    }
  }

  /**
   * Backpressure: wait while a subscriber's queue is full. One that keeps the reader waiting longer than
   * `parkAfterMs` while another attached subscriber has room is parked.
   */
  private async waitForRoom(gen: number): Promise<void> {
    while (gen === this.generation && [...this.subs].some((s) => s.full)) {
      let timer: NodeJS.Timeout | null = null;
      const room = await new Promise<boolean>((resolve) => {
        this.space = () => resolve(true);
        timer = setTimeout(() => resolve(false), this.parkAfterMs);
        timer.unref();
      });
      if (timer) clearTimeout(timer);
      this.space = null;
      if (room || gen !== this.generation) continue;
      // Inside a transaction a subscriber is given longer: parking it withdraws the parts it has (a slow target
      // applying a large transaction part by part must not be parked over and over).
      const now = Date.now();
      const full = [...this.subs].filter((s) => s.full && now - s.takenAt >= this.parkAfterMs * (s.inTxn ? IN_TXN_PARK_FACTOR : 1));
      const waiting = [...this.subs].some((s) => s.attached && s.error === null && !s.full);
      if (!waiting || full.length === 0) continue; // nobody else to serve (plain backpressure), or not yet
      for (const s of full) {
        s.attached = false;
        s.retract();
        this.parks++;
        this.log.info({ subscriber: s.name, position: s.position, queued: s.queue.length }, 'a pipeline is not taking binlog messages: the shared reader goes on without it; it rejoins from its position when it has caught up');
      }
    }
  }

  /** Stop the reader for good; subscribers still there get a (transient) error and restart. */
  async close(): Promise<void> {
    this.closed = true;
    const err = new SluiceError('CONNECTION_LOST', 'the shared binlog reader was closed', 'nothing to do: the pipeline restarts');
    for (const s of this.subs) s.fail(err);
    this.subs.clear();
    await Promise.all([...this.catchingUp].map((c) => c.close()));
    await this.exclusive(() => this.stopReader());
    await this.history.close();
  }
}
