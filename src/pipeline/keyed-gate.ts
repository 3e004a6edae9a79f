/**
 * At most `limit` holders per key at once; waiters are let in lowest `order` first. The snapshot uses it to write
 * the chunks of one table one (or a few) at a time, in key order, while chunks are read in parallel.
 */
export class KeyedGate<K> {
  private readonly state = new Map<K, { active: number; waiters: Array<{ order: number; admit: () => void }> }>();

  constructor(private readonly limit: number) {}

  /** Wait for a place under `key`; resolves with the function that gives it back (call it exactly once). */
  async enter(key: K, order: number): Promise<() => void> {
    let s = this.state.get(key);
    if (!s) {
      s = { active: 0, waiters: [] };
      this.state.set(key, s);
    }
    const st = s;
    if (st.active < this.limit) {
      st.active++;
    } else {
      await new Promise<void>((admit) => {
        let i = st.waiters.length;
        while (i > 0 && st.waiters[i - 1]!.order > order) i--;
        st.waiters.splice(i, 0, { order, admit });
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = st.waiters.shift();
      if (next) {
        next.admit(); // the place passes on: active stays
        return;
      }
      st.active--;
      if (st.active === 0) this.state.delete(key);
    };
  }

  /** Run `body` holding a place under `key`. */
  async run<T>(key: K, order: number, body: () => Promise<T>): Promise<T> {
    const leave = await this.enter(key, order);
    try {
      return await body();
    } finally {
      leave();
    }
  }
}
