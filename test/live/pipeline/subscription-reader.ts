// Reads a SourceHub subscription in a test: the ids of the committed rows, in order.
import type { Subscription } from '../../../src/pipeline/source-hub.js';

/** Reads a subscription: the ids of committed rows, in order (parts withdrawn by a rollback are dropped). */
export class Reader {
  readonly ids: number[] = [];
  /** The committed rows (after image, else before), in order. */
  readonly rows: Array<Record<string, unknown>> = [];
  private pending: number[] = [];
  private pendingRows: Array<Record<string, unknown>> = [];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  error: unknown = null;
  readonly done: Promise<void>;

  constructor(readonly sub: Subscription) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        if (this.gate) await this.gate;
        const m = await this.sub.next();
        if (m === null) return;
        if (m.kind !== 'transaction') continue;
        if (m.rolledBack) { this.pending = []; this.pendingRows = []; continue; }
        for (const c of m.changes) {
          const row = (c.after ?? c.before)! as Record<string, unknown>;
          this.pending.push(Number(row['id']));
          this.pendingRows.push(row);
        }
        if (m.last) {
          this.ids.push(...this.pending);
          this.rows.push(...this.pendingRows);
          this.pending = [];
          this.pendingRows = [];
        }
      }
    } catch (err) {
      this.error = err;
    }
  }

  /** Stop taking messages (its queue fills up). */
  pause(): void {
    this.gate = new Promise((r) => { this.open = r; });
  }

  resume(): void {
    this.gate = null;
    this.open?.();
  }
}

