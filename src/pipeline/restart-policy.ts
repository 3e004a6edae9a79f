/** Which failures a pipeline restarts from (transient) and how it waits and logs them. */
import { isSluiceError } from '../errors.js';

export function isTransient(err: unknown): boolean {
  if (isSluiceError(err)) return err.code === 'CONNECTION_LOST' || err.code === 'CONNECTION_FAILED' || err.code === 'TRANSACTION_ABORTED' || err.code === 'STREAM_STALLED' || err.code === 'TARGET_READ_ONLY';
  const code = (err as { code?: string } | null)?.code;
  return code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'PROTOCOL_CONNECTION_LOST' || code === 'ETIMEDOUT' || code === 'EPIPE';
}

export function describe(err: unknown): string {
  if (isSluiceError(err)) return err.describe();
  return err instanceof Error ? err.message : String(err);
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
