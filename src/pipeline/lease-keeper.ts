/**
 * Renews a pipeline's claim on the target every third of its lease, on a connection of its own, while
 * the pipeline runs. The target's fence keeps a stale writer out whatever this timer does; the keeper's
 * job is to tell other instances that the owner is alive, and to notice quickly when another instance
 * has taken the pipeline over (a paused process that wakes up), so this one stops and says why.
 */
import { isSluiceError, type SluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Target } from '../targets/target.js';

export class LeaseKeeper {
  /** Set once another instance owns the pipeline (FENCED). */
  lost: SluiceError | null = null;
  private timer: NodeJS.Timeout | null;
  private running: Promise<void> | null = null;

  constructor(private readonly sink: Target, leaseSeconds: number, private readonly log: Logger, private readonly onLost: (err: SluiceError) => void) {
    this.timer = setInterval(() => { this.running ??= this.renew().finally(() => { this.running = null; }); }, Math.max(200, (leaseSeconds * 1000) / 3));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    try {
      await this.sink.renewLease();
    } catch (err) {
      if (isSluiceError(err) && err.code === 'FENCED') {
        if (this.lost) return;
        this.lost = err;
        this.stopTimer();
        this.onLost(err);
        return;
      }
      // The target is unreachable: the pipeline's own writes fail and restart it; nothing to do here.
      this.log.debug({ err: isSluiceError(err) ? err.describe() : String(err) }, 'lease renewal failed');
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async stop(): Promise<void> {
    this.stopTimer();
    // A renewal in flight may hang on a dead connection (or a connect that takes its time): cut it, and
    // do not wait for it — its outcome no longer matters.
    this.sink.interrupt();
    await this.sink.close().catch(() => undefined);
  }
}
