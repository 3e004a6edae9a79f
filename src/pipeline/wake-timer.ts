/**
 * The stream loop's wait for "the next message, or the batch deadline, or stop": one armed timer reused by
 * every wait until it fires, and one abort listener for the whole loop — instead of a timer and an abort
 * listener per message, which cost several percent of the CPU at tens of thousands of messages a second.
 *
 * A wait may end early, at an earlier deadline armed before (the caller checks its own deadline), never late.
 * Only promises that settle soon are raced (the armed timer, the message): a race against a promise that
 * stays pending would keep one reaction per wait alive for as long as it stays pending.
 */
export class WakeTimer<T> {
  private armed: Promise<T> | null = null;
  private armedAt = Infinity;
  private handle: NodeJS.Timeout | null = null;
  private fire: (() => void) | null = null;
  private stopped = false;
  private readonly onAbort = (): void => {
    this.stopped = true;
    this.fire?.();
  };

  constructor(private readonly value: T, private readonly signal: AbortSignal) {
    if (signal.aborted) this.stopped = true;
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** `p`'s outcome, or `value` once `at` (epoch ms) has passed or the signal aborted. */
  race<U>(p: Promise<U>, at: number): Promise<U | T> {
    return Promise.race([p, this.until(at)]);
  }

  private until(at: number): Promise<T> {
    if (this.stopped) return Promise.resolve(this.value);
    if (this.armed === null || at < this.armedAt) {
      this.fire?.(); // an earlier deadline: wake the waits on the old one now (early is allowed)
      this.armedAt = at;
      this.armed = new Promise<T>((resolve) => {
        const fire = (): void => {
          if (this.handle !== null) clearTimeout(this.handle);
          this.handle = null;
          if (this.fire === fire) {
            this.fire = null;
            this.armed = null;
            this.armedAt = Infinity;
          }
          resolve(this.value);
        };
        this.fire = fire;
        this.handle = setTimeout(fire, Math.max(0, at - Date.now()));
      });
    }
    return this.armed;
  }

  close(): void {
    this.stopped = true;
    this.fire?.();
    this.signal.removeEventListener('abort', this.onAbort);
  }
}
