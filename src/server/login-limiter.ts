/**
 * Password guessing limits, for logins and for password changes (which check the current password):
 *
 * - per client address and user name: at most `max` failures per `windowMs` (default 5 per minute);
 * - per user name, from any address: at most `accountMax` failures per `accountWindowMs` (default 20 per 15 min),
 *   so that changing addresses (or a spoofed X-Forwarded-For) does not allow unlimited guessing.
 *
 * A lockout is bounded: it ends at most one window after the oldest counted failure. There is no limit per address
 * over all user names: behind a proxy every client may share one address, and one attacker must not lock out every
 * user. Failures only count; a correct password clears the address's counter for that user.
 */
export interface LoginLimits { max?: number; windowMs?: number; accountMax?: number; accountWindowMs?: number }

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly max: number;
  private readonly windowMs: number;
  private readonly accountMax: number;
  private readonly accountWindowMs: number;

  constructor(limits: LoginLimits = {}) {
    this.max = limits.max ?? 5;
    this.windowMs = limits.windowMs ?? 60_000;
    this.accountMax = limits.accountMax ?? 20;
    this.accountWindowMs = limits.accountWindowMs ?? 15 * 60_000;
  }

  /** Seconds until another attempt is allowed, or 0. */
  retryAfter(ip: string, username: string): number {
    const wait = (key: string, max: number, windowMs: number): number => {
      const list = this.recent(key, windowMs);
      if (list.length < max) return 0;
      return Math.max(1, Math.ceil((list[list.length - max]! + windowMs - Date.now()) / 1000));
    };
    return Math.max(wait(addrKey(ip, username), this.max, this.windowMs), wait(userKey(username), this.accountMax, this.accountWindowMs));
  }

  fail(ip: string, username: string): void {
    for (const [key, windowMs] of [[addrKey(ip, username), this.windowMs], [userKey(username), this.accountWindowMs]] as const) {
      const list = this.recent(key, windowMs);
      list.push(Date.now());
      this.failures.set(key, list);
    }
    if (this.failures.size > 20_000) for (const k of [...this.failures.keys()].slice(0, 10_000)) this.failures.delete(k);
  }

  succeed(ip: string, username: string): void {
    this.failures.delete(addrKey(ip, username));
  }

  private recent(key: string, windowMs: number): number[] {
    const cutoff = Date.now() - windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }
}

const addrKey = (ip: string, username: string): string => `a\0${ip}\0${username}`;
const userKey = (username: string): string => `u\0${username}`;
