/**
 * The optional verify schedule of `sluice serve` (`--verify-every 24h`, SLUICE_VERIFY_EVERY): every pipeline that
 * streams is verified (all its tables, no repair) when its last verify is older than the period — or it was never
 * verified. "Last verify" is the newest `checkedAt` of its tables in the store, so a restart neither repeats a run
 * nor forgets one. A run already in progress (started by hand) is left alone; drift found opens the `drift` alert.
 */
import { SluiceError } from '../errors.js';

export interface VerifyScheduleDeps {
  names(): string[] | Promise<string[]>;
  /** Verify needs a streaming pipeline. */
  isStreaming(name: string): boolean | Promise<boolean>;
  isRunning(name: string): boolean;
  /** Newest check of any of the pipeline's tables (ms since the epoch), null when never verified. */
  lastCheckedAt(name: string): number | null | Promise<number | null>;
  start(name: string): void | Promise<void>;
}

/** `24h`, `90m`, `3600s`, `1d` or plain seconds → milliseconds (at least one minute). */
export function parseVerifyEvery(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[(m?.[2] ?? '').toLowerCase()];
  const ms = m && unit !== undefined ? Number(m[1]) * unit * 1000 : NaN;
  if (!Number.isFinite(ms) || ms < 60_000) {
    throw new SluiceError('BAD_ARGUMENT', `invalid verify period '${text}'`, 'give a period of at least one minute, e.g. --verify-every 24h (units s, m, h, d)');
  }
  return ms;
}

export class VerifySchedule {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: VerifyScheduleDeps, private readonly everyMs: number, private readonly onError: (pipeline: string, err: unknown) => void) {}

  /** Look every `checkMs` (default one minute) for pipelines due. */
  start(checkMs = 60_000): void {
    if (this.timer) return;
    this.timer = setInterval(() => { this.tick().catch((err: unknown) => this.onError('*', err)); }, checkMs);
    this.timer.unref();
  }

  /** Start the runs that are due now; returns the pipelines started. */
  async tick(now = Date.now()): Promise<string[]> {
    const started: string[] = [];
    for (const name of await this.deps.names()) {
      if (!(await this.deps.isStreaming(name)) || this.deps.isRunning(name)) continue;
      const last = await this.deps.lastCheckedAt(name);
      if (last !== null && now - last < this.everyMs) continue;
      try {
        await this.deps.start(name);
        started.push(name);
      } catch (err) {
        this.onError(name, err);
      }
    }
    return started;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
