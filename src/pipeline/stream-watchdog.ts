/**
 * Notices a stream that makes no progress: no message from the source for `timeoutMs` (the source sends
 * a heartbeat every second when idle), or a target write that has not finished after `timeoutMs` (the
 * source's heartbeats keep coming meanwhile, so they alone prove nothing). It then calls `onStall` once
 * (which cuts whatever hangs) and keeps the typed error for the stream loop to end with. Work that
 * legitimately takes long without messages (a re-copy of tables) runs `suspended`.
 */
import { SluiceError } from '../errors.js';

export class StreamWatchdog {
  /** Set once a stall was detected. */
  stalled: SluiceError | null = null;
  private last = Date.now();
  private suspendedDepth = 0;
  /** Target writes in flight: id → start time. */
  private readonly writeStarts = new Map<number, number>();
  private nextWrite = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number, private readonly onStall: (idleMs: number) => void) {
    this.timer = setInterval(() => this.tick(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    this.timer.unref();
  }

  progress(): void {
    this.last = Date.now();
  }

  /** Watch a target write: it counts as stalled once it runs longer than the timeout. */
  track<T>(write: Promise<T>): Promise<T> {
    const id = this.nextWrite++;
    this.writeStarts.set(id, Date.now());
    const done = (): void => {
      this.writeStarts.delete(id);
      this.last = Date.now();
    };
    write.then(done, done);
    return write;
  }

  /** Throws the stall error once one was detected. */
  check(): void {
    if (this.stalled) throw this.stalled;
  }

  async suspended<T>(work: () => Promise<T>): Promise<T> {
    this.suspendedDepth++;
    try {
      return await work();
    } finally {
      this.suspendedDepth--;
      this.last = Date.now();
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.stalled || this.suspendedDepth > 0) return;
    const now = Date.now();
    const idle = now - this.last;
    const oldestWrite = Math.min(now, ...this.writeStarts.values());
    const writing = now - oldestWrite;
    if (idle < this.timeoutMs && writing < this.timeoutMs) return;
    const what = writing >= this.timeoutMs
      ? `a write to the target has not finished after ${Math.round(writing / 1000)} s`
      : `no message from the source (not even a heartbeat) for ${Math.round(idle / 1000)} s`;
    this.stalled = new SluiceError('STREAM_STALLED',
      `the stream made no progress: ${what}`,
      'it is restarted from the checkpoint automatically; if it happens again, look for a connection that hangs without being reset (network, proxy, firewall) '
        + 'between Sluice and the source or the target, or for long lock waits on the target',
      { idleSeconds: Math.round(Math.max(idle, writing) / 1000) });
    this.onStall(Math.max(idle, writing));
  }
}
