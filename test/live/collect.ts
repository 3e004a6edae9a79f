// Test helper: pull row changes / DDL from a BinlogSource with a deadline.
import type { BinlogSource } from '../../src/source/binlog-source.js';
import type { DdlMessage, RowChange, TransactionMessage } from '../../src/core/types.js';

export interface Collected {
  changes: RowChange[];
  ddl: DdlMessage[];
  transactions: TransactionMessage[];
}

/** Reads until `n` row changes arrived (or `until` says so); fails after `timeoutMs`. */
export async function collectChanges(source: BinlogSource, n: number, timeoutMs = 30_000, until?: (c: Collected) => boolean): Promise<Collected> {
  const out: Collected = { changes: [], ddl: [], transactions: [] };
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms with ${out.changes.length}/${n} changes`)), Math.max(1, deadline - Date.now()));
  });
  try {
    while (out.changes.length < n && !(until?.(out) ?? false)) {
      const m = await Promise.race([source.next(), timeout]);
      if (m === null) throw new Error('source closed early');
      if (m.kind === 'transaction') {
        out.transactions.push(m);
        out.changes.push(...m.changes);
      } else if (m.kind === 'ddl') out.ddl.push(m);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}
