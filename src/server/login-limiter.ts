/** Login rate limiting: at most `max` failures per `windowMs` per client IP + user name. */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly max = 5, private readonly windowMs = 60_000) {}

  /** Seconds until another attempt is allowed, or 0. */
  retryAfter(ip: string, username: string): number {
    const list = this.recent(`${ip}\0${username}`);
    if (list.length < this.max) return 0;
    return Math.max(1, Math.ceil((list[0]! + this.windowMs - Date.now()) / 1000));
  }

  fail(ip: string, username: string): void {
    const key = `${ip}\0${username}`;
    const list = this.recent(key);
    list.push(Date.now());
    this.failures.set(key, list);
    if (this.failures.size > 10_000) for (const k of [...this.failures.keys()].slice(0, 5000)) this.failures.delete(k);
  }

  succeed(ip: string, username: string): void {
    this.failures.delete(`${ip}\0${username}`);
  }

  private recent(key: string): number[] {
    const cutoff = Date.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }
}
