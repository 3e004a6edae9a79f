// Polls until a check returns a truthy value (returned) or the time is up. A check that throws counts as
// "not yet" (e.g. a table the pipeline has not created); the last error is named in the timeout message.
export async function waitFor<T>(what: string, fn: () => Promise<T | null | false | undefined> | T | null | false | undefined,
  timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
