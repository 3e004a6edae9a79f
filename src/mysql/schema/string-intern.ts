/**
 * One copy of the short strings that schemas repeat in every table (column names, types, charsets, collations).
 * mysql2 makes a new string for every value of every row: with 10,000 tables `id`, `int(11)` and
 * `utf8mb4_general_ci` each existed tens of thousands of times in the schema model. Bounded: past
 * MAX_ENTRIES distinct strings the table starts over (correctness never depends on it; only memory).
 */
const MAX_ENTRIES = 50_000;
/** Longer strings are rarely shared (enum lists, comments): kept as they are. */
const MAX_LENGTH = 256;

const table = new Map<string, string>();

export function intern<T extends string | null>(s: T): T {
  if (s === null || s.length > MAX_LENGTH) return s;
  const known = table.get(s);
  if (known !== undefined) return known as T;
  if (table.size >= MAX_ENTRIES) table.clear();
  table.set(s, s);
  return s;
}
