/**
 * A private binlog reader for one subscriber of a SourceHub that joins behind the shared reader: it reads from the
 * subscriber's own position with a server id of its own, while the shared reader goes on for the others, and hands
 * the subscriber over to the shared reader once it has caught up.
 *
 * The hand-over happens only at a transaction boundary of the private stream (after the last part of a
 * transaction, after a DDL, or at a heartbeat outside a transaction), at the subscriber's position P — the resume
 * point of the last message it was given. It is decided and done synchronously (no message of either reader in
 * between), and only when the shared reader has not yet handed out anything at or after P (`SourceHub.canServe`:
 * its last complete position is not past P and any transaction it is in the middle of started before P). From then
 * on the shared reader offers the subscriber its messages, which drop everything before P by position: the
 * transactions between the shared reader's position and P (the private reader gave them already) are not given
 * twice, and nothing after P is missed. The private reader then closes and gives its server id back.
 *
 * Schema: the private reader decodes with its own copy of the hub's schema history (its cursor follows the old
 * positions). Whatever it learns (a DDL, a table read on first sight) is merged into the hub's history before the
 * subscriber gets the message, so the history a pipeline checkpoints with (the hub's) holds every version its
 * stream went through.
 */
import type { Logger } from '../log.js';
import { SchemaHistory } from '../mysql/schema/schema-history.js';
import { BinlogSource } from '../source/binlog-source.js';
import type { TableFilter } from '../source/table-filter.js';
import type { Position, SourceMessage } from '../core/types.js';

/** A server id held for a private reader until released. */
export interface ReaderIdLease {
  readonly serverId: number;
  /** Give the id back (the reader is closed). */
  release(): Promise<void>;
}

/**
 * Server ids for catch-up readers: distinct from the shared readers' and from each other's. `onLost` is called when
 * the id can no longer be counted on (a cluster lease that ran out): the reader using it must stop at once.
 */
export type CatchUpIds = (onLost: (err: unknown) => void) => Promise<ReaderIdLease>;

/** What the catch-up reader needs of its subscriber (a SourceHub Subscription). */
export interface CatchUpSubscriber {
  readonly name: string;
  readonly position: Position;
  readonly filter: TableFilter;
  readonly closed: boolean;
  readonly error: unknown;
  readonly queue: readonly SourceMessage[];
  /** Queue `m` (past the subscriber's position, filtered) whether or not it is attached to the shared reader. */
  accept(m: SourceMessage): void;
  fail(err: unknown): void;
}

/** What the catch-up reader needs of its hub. */
export interface CatchUpHost {
  readonly history: SchemaHistory;
  readonly queueLimit: number;
  /** Attach `sub` to the shared reader at its position now if the shared reader can still serve it (true: done). */
  handOver(sub: CatchUpSubscriber): boolean;
}

export interface CatchUpOptions {
  url: string;
  id: ReaderIdLease;
  logger: Logger;
  maxChangesPerPart?: number;
}

export class CatchUpReader {
  private readonly source: BinlogSource;
  private readonly history: SchemaHistory;
  private stopped = false;
  private space: (() => void) | null = null;
  private released: Promise<void> | null = null;
  /** The hub history's view of this reader's history (merged up to this revision). */
  private mergedRevision: number;
  private readonly startedAt = Date.now();
  /** Settles once the reader is closed and its id given back. */
  readonly done: Promise<void>;
  /** Whether it handed its subscriber over to the shared reader. */
  handedOver = false;

  constructor(private readonly host: CatchUpHost, private readonly sub: CatchUpSubscriber, private readonly opts: CatchUpOptions) {
    const start = sub.position;
    this.history = SchemaHistory.fromJSON(host.history.toJSON(), { url: opts.url });
    this.history.setPosition(start);
    this.mergedRevision = this.history.revision;
    this.source = new BinlogSource({
      url: opts.url,
      serverId: opts.id.serverId,
      start: { kind: 'position', position: start },
      filter: sub.filter,
      logger: opts.logger,
      schemaHistory: this.history,
      heartbeatSeconds: 1,
      reconnect: { maxAttempts: 5 },
      ...(opts.maxChangesPerPart !== undefined ? { maxChangesPerPart: opts.maxChangesPerPart } : {}),
    });
    opts.logger.info({ subscriber: sub.name, position: start, serverId: opts.id.serverId }, 'catch-up reader started: the pipeline joins behind the shared reader and reads on its own until it reaches it');
    this.done = this.run();
  }

  /** Binlog bytes this reader received. */
  get bytesRead(): number {
    return this.source.bytesRead;
  }

  /** The subscriber took a message. */
  drained(): void {
    const s = this.space;
    if (s && this.sub.queue.length < this.host.queueLimit) {
      this.space = null;
      s();
    }
  }

  /** Stop (the subscriber left, failed, or the id was lost); resolves once closed and the id given back. */
  async close(): Promise<void> {
    this.stopped = true;
    const s = this.space;
    this.space = null;
    s?.();
    await this.source.close().catch(() => undefined);
    // Do not hang on a read that hangs: its connection is closed; the id is given back either way.
    await Promise.race([this.done, new Promise<void>((r) => setTimeout(r, 2000).unref())]);
    await this.releaseId();
  }

  private releaseId(): Promise<void> {
    this.released ??= this.opts.id.release().catch(() => undefined);
    return this.released;
  }

  private get over(): boolean {
    return this.stopped || this.sub.closed || this.sub.error !== null;
  }

  private async run(): Promise<void> {
    let inTxn = false;
    let messages = 0;
    try {
      while (!this.over) {
        const m = await this.source.next();
        if (m === null || this.over) return;
        messages++;
        // What this reader learnt of the schema is the hub's too before the pipeline sees the message.
        if (this.history.revision !== this.mergedRevision) {
          // Only the tables changed since the last merge (a pipeline over many tables meets them one by one).
          const changed = this.history.changesSince(this.mergedRevision);
          this.mergedRevision = this.history.revision;
          if (changed) this.host.history.merge({ format: 1, cursor: null, tables: changed.tables, ...(changed.databases ? { databases: changed.databases } : {}) });
        }
        this.sub.accept(m);
        // A heartbeat inside a transaction carries the position before it: not a boundary.
        if (m.kind === 'transaction') inTxn = !m.last;
        if (!inTxn && this.host.handOver(this.sub)) {
          this.handedOver = true;
          this.opts.logger.info({ subscriber: this.sub.name, position: this.sub.position, messages, bytes: this.source.bytesRead, ms: Date.now() - this.startedAt },
            'catch-up reader reached the shared reader: the pipeline reads through it from here');
          return;
        }
        await this.room();
      }
    } catch (err) {
      if (!this.over) this.sub.fail(err);
    } finally {
      this.stopped = true;
      await this.source.close().catch(() => undefined);
      await this.releaseId();
    }
  }

  /** Backpressure: wait while the subscriber's queue is full (nobody else depends on this reader). */
  private async room(): Promise<void> {
    while (!this.over && this.sub.queue.length >= this.host.queueLimit) {
      await new Promise<void>((resolve) => { this.space = resolve; });
    }
  }
}
