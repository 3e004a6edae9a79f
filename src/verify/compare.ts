/**
 * The per-row decision of `sluice verify` (pure; see docs/architecture.md "Verify").
 *
 * One round reads the same rows three times: the source (S1, at position P1), the target once its
 * checkpoint is ≥ P1 (T, at checkpoint Pt, so P1 ≤ Pt), and the source again (S2, at P2 ≥ Pt). The target
 * at Pt must equal the source at Pt. A row whose source value is the same at P1 and P2 (it did not change
 * in between, barring a change and its exact undo inside the window — hence several confirming rounds) and
 * whose target value differs is a real difference; a row whose target equals either source read is equal;
 * a row that changed on the source in the window and matches neither read is unsettled (checked again).
 */
import type { ColumnDifference, DifferenceKind } from '../core/verify-result.js';

export type { ColumnDifference, DifferenceKind };

/** Rows keyed by their key's SQL literal tuple; the value is the row's column literals (or, for a table without key, its count). */
export type RowSet = Map<string, string[]>;

export interface RowDifference {
  kind: DifferenceKind;
  /** Column literals on the source (absent for an extra row). */
  source?: string[];
  /** Column literals on the target (absent for a missing row). */
  target?: string[];
}

export interface RoundResult {
  equal: number;
  confirmed: Map<string, RowDifference>;
  unsettled: Set<string>;
}

function same(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Classify every key seen in any of the three reads (or only `keys`, when given). */
export function classifyRound(s1: RowSet, t: RowSet, s2: RowSet, keys?: Iterable<string>): RoundResult {
  const all = keys ? new Set(keys) : new Set([...s1.keys(), ...t.keys(), ...s2.keys()]);
  const out: RoundResult = { equal: 0, confirmed: new Map(), unsettled: new Set() };
  for (const k of all) {
    const a = s1.get(k), b = t.get(k), c = s2.get(k);
    if (same(b, a) || same(b, c)) {
      out.equal++;
    } else if (same(a, c)) {
      if (a === undefined) out.confirmed.set(k, { kind: 'extra', target: b! });
      else if (b === undefined) out.confirmed.set(k, { kind: 'missing', source: a });
      else out.confirmed.set(k, { kind: 'different', source: a, target: b });
    } else {
      out.unsettled.add(k);
    }
  }
  return out;
}

/** The columns in which a 'different' row differs, with both literals. */
export function describeDifference(columns: readonly string[], d: RowDifference): { columns: ColumnDifference[] } {
  if (d.kind !== 'different' || !d.source || !d.target) return { columns: [] };
  const out: ColumnDifference[] = [];
  for (let i = 0; i < columns.length; i++) {
    if (d.source[i] !== d.target[i]) out.push({ column: columns[i]!, source: d.source[i] ?? '', target: d.target[i] ?? '' });
  }
  return { columns: out };
}
