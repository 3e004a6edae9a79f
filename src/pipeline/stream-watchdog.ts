/**
 * Notices a stream that makes no progress: no message from the source (the source sends a heartbeat
 * every second when idle) and no write finished on the target for `timeoutMs`. It then calls `onStall`
 * once (which cuts whatever hangs) and keeps the typed error for the stream loop to end with.
 * Work that legitimately takes long without messages (a re-copy of tables) runs `suspended`.
 */
import { SluiceError } from '../errors.js';

export class StreamWatchdog {
  /** Set once a stall was detected. */
  stalled: SluiceError | null = null;
  private last = Date.now();
  private suspendedDepth = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number, private readonly onStall: (idleMs: number) => void) {
    this.timer = setInterval(() => this.tick(), Math.min(1000, Math.max(50, timeoutMs / 4)));
    this.timer.unref();
  }

  progress(): void {
    this.last = Date.now();
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
    const idle = Date.now() - this.last;
    if (idle < this.timeoutMs) return;
    this.stalled = new SluiceError('STREAM_STALLED',
      `the stream made no progress for ${Math.round(idle / 1000)} s: no message from the source (not even a heartbeat) and no write finished on the target`,
      'it is restarted from the checkpoint automatically; if it happens again, look for a connection that hangs without being reset (network, proxy, firewall) '
        + 'between Sluice and the source or the target, or for long lock waits on the target',
      { idleSeconds: Math.round(idle / 1000) });
    this.onStall(idle);
  }
}
