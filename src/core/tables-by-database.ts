/**
 * Table names grouped by database, each name once, in first-seen order. Linear: a pipeline may hold 10,000 tables
 * in one database (copying a growing array per table was quadratic in time and garbage).
 */
export function tablesByDatabase(tables: Iterable<{ database: string; table: string }>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const t of tables) {
    const id = `${t.database}\0${t.table}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const names = out.get(t.database);
    if (names) names.push(t.table);
    else out.set(t.database, [t.table]);
  }
  return out;
}
