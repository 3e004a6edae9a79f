/** Target table shapes (columns, types, primary key, engine) read once from information_schema and cached. */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import type { ReferencingKey, TargetTable } from './statements.js';
import { tablesByDatabase } from '../../core/tables-by-database.js';
import { intern } from '../../mysql/schema/string-intern.js';

export interface TargetTableInfo extends TargetTable {
  engine: string;
  generated: ReadonlySet<string>;
  /** Column → CHARACTER_SET_NAME (lower case; null for a non-string column). */
  charsets: ReadonlyMap<string, string | null>;
  /** The table has FOREIGN KEY constraints (it is a child). */
  hasForeignKeys: boolean;
  /** Other tables' FOREIGN KEY constraints reference it (it is a parent). */
  referenced: boolean;
}

/** The `generated` of the (many) tables without generated columns: one shared empty set. */
const NO_GENERATED: ReadonlySet<string> = new Set();

/** Engines whose writes commit atomically with the checkpoint. */
const TRANSACTIONAL_ENGINES = new Set(['innodb', 'rocksdb', 'tokudb', 'ndbcluster', 'ndb']);

export class TableShapeCache {
  private readonly cache = new Map<string, TargetTableInfo>();
  /** Foreign keys per target database (read once per database: the query scans all its tables). */
  private readonly fks = new Map<string, ForeignKeyCatalog>();

  private static id(database: string, table: string): string {
    return `${database}\0${table}`;
  }

  get(database: string, table: string): TargetTableInfo | undefined {
    return this.cache.get(TableShapeCache.id(database, table));
  }

  /** Forget one table, or everything (after DDL). The foreign keys are read again either way (a DDL may change them). */
  invalidate(database?: string, table?: string): void {
    if (database === undefined || table === undefined) this.cache.clear();
    else this.cache.delete(TableShapeCache.id(database, table));
    this.fks.clear();
  }

  /**
   * Read the tables of `tables` that are not cached yet, together (500 names per information_schema query), and
   * cache those that exist on a transactional engine; the others are left for `load` to report when written.
   */
  async prefetch(conn: Pick<Connection, 'query'>, tables: ReadonlyArray<{ database: string; table: string }>): Promise<void> {
    const missing = new Map<string, { database: string; table: string }>();
    for (const t of tables) if (!this.get(t.database, t.table)) missing.set(TableShapeCache.id(t.database, t.table), t);
    if (missing.size === 0) return;
    const infos = await readTableInfos(conn, [...missing.values()], this.fks);
    for (const id of missing.keys()) {
      const info = infos.get(id);
      if (info && TRANSACTIONAL_ENGINES.has(info.engine.toLowerCase())) this.cache.set(id, info);
    }
  }

  /**
   * Load every table in `tables` that is not cached yet; a missing or non-transactional table is an error.
   * The tables missing from the cache are read together (see `readTableInfos`): a pipeline over thousands of
   * tables meets many new ones per batch.
   */
  async load(conn: Pick<Connection, 'query'>, tables: ReadonlyArray<{ database: string; table: string }>): Promise<void> {
    const missing = new Map<string, { database: string; table: string }>();
    for (const t of tables) if (!this.get(t.database, t.table)) missing.set(TableShapeCache.id(t.database, t.table), t);
    if (missing.size === 0) return;
    const infos = await readTableInfos(conn, [...missing.values()], this.fks);
    for (const [id, { database, table }] of missing) {
      const info = infos.get(id);
      if (!info) {
        throw new SluiceError('TARGET_WRITE_FAILED', `target table \`${database}\`.\`${table}\` does not exist`,
          'let Sluice create it (initial snapshot or createTableLike), or create it with the source definition; check targetDatabase in the pipeline',
          { database, table });
      }
      if (!TRANSACTIONAL_ENGINES.has(info.engine.toLowerCase())) {
        throw new SluiceError('TARGET_TABLE_INCOMPATIBLE',
          `target table \`${database}\`.\`${table}\` uses the non-transactional engine ${info.engine}: its rows could not be written atomically with the checkpoint`,
          `ALTER TABLE \`${database}\`.\`${table}\` ENGINE=InnoDB`, { database, table, engine: info.engine });
      }
      this.cache.set(id, info);
    }
  }
}

/** Columns in order, DATA_TYPE, primary key and engine of a table, or null when it does not exist. */
export async function readTableInfo(conn: Pick<Connection, 'query'>, database: string, table: string): Promise<TargetTableInfo | null> {
  return (await readTableInfos(conn, [{ database, table }])).get(`${database}\0${table}`) ?? null;
}

/**
 * How many table names one information_schema query asks for. (MariaDB opens only the tables whose name
 * matches an IN list; the foreign-key queries by referenced table cannot be narrowed like that and are read
 * once per database instead — see `readForeignKeys`.)
 */
const NAMES_PER_QUERY = 500;

/** The foreign keys of one target database: which tables have some, which are referenced, and by which keys. */
interface ForeignKeyCatalog {
  children: Set<string>;
  parents: Set<string>;
  /** Referenced table → the keys referencing it (from any database). */
  referencedBy: Map<string, RowDataPacket[]>;
}

/**
 * `readTableInfo` for many tables at once, keyed `database\0table` (tables that do not exist are absent).
 * information_schema compares names case-insensitively: rows are matched back to the names asked for exactly
 * when possible, else ignoring case (as a single-table `=` lookup would). `fkCache` keeps each database's
 * foreign keys between calls.
 */
export async function readTableInfos(conn: Pick<Connection, 'query'>, tables: ReadonlyArray<{ database: string; table: string }>,
  fkCache: Map<string, ForeignKeyCatalog> = new Map()): Promise<Map<string, TargetTableInfo>> {
  const byDb = tablesByDatabase(tables);
  const out = new Map<string, TargetTableInfo>();
  for (const [database, names] of byDb) {
    let fks = fkCache.get(database);
    if (!fks) {
      fks = await readForeignKeys(conn, database);
      fkCache.set(database, fks);
    }
    for (let i = 0; i < names.length; i += NAMES_PER_QUERY) {
      for (const info of await readSome(conn, database, names.slice(i, i + NAMES_PER_QUERY), fks)) out.set(`${database}\0${info.table}`, info);
    }
  }
  return out;
}

async function readForeignKeys(conn: Pick<Connection, 'query'>, database: string): Promise<ForeignKeyCatalog> {
  const [childRows] = await conn.query<RowDataPacket[]>(
    'SELECT DISTINCT TABLE_NAME AS tn FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?', [database]);
  // Keys referencing this database's tables, from any database (one scan of all foreign keys).
  const [refRows] = await conn.query<RowDataPacket[]>(
    'SELECT k.REFERENCED_TABLE_NAME AS tn, k.CONSTRAINT_SCHEMA AS db, k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS n, k.COLUMN_NAME AS c, k.REFERENCED_COLUMN_NAME AS r, rc.UPDATE_RULE AS u ' +
    'FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS rc ON rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND rc.TABLE_NAME = k.TABLE_NAME ' +
    'WHERE k.REFERENCED_TABLE_SCHEMA = ? ORDER BY k.REFERENCED_TABLE_NAME, k.CONSTRAINT_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    [database]);
  // The referencing tables' ON UPDATE CURRENT_TIMESTAMP columns (a move's UPDATE of the children keeps them).
  const childTables = tablesByDatabase(refRows.map((r) => ({ database: String(r['db']), table: String(r['t']) })));
  const stamped = new Map<string, string[]>();
  for (const [db, names] of childTables) {
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND EXTRA LIKE '%on update%' ORDER BY TABLE_NAME, ORDINAL_POSITION",
      [db, names]);
    for (const s of rows) stamped.set(`${db}\0${String(s['t'])}`, [...(stamped.get(`${db}\0${String(s['t'])}`) ?? []), String(s['c'])]);
  }
  for (const r of refRows) r['st'] = stamped.get(`${String(r['db'])}\0${String(r['t'])}`) ?? [];
  const referencedBy = new Map<string, RowDataPacket[]>();
  for (const r of refRows) {
    const list = referencedBy.get(String(r['tn']));
    if (list) list.push(r);
    else referencedBy.set(String(r['tn']), [r]);
  }
  // Names as stored and lower-cased (information_schema matches names without regard to case).
  const both = (names: Iterable<string>): Set<string> => new Set([...names].flatMap((n) => [n, n.toLowerCase()]));
  return { children: both(childRows.map((r) => String(r['tn']))), parents: both(referencedBy.keys()), referencedBy };
}

async function readSome(conn: Pick<Connection, 'query'>, database: string, names: string[], fks: ForeignKeyCatalog): Promise<TargetTableInfo[]> {
  // Rows of a table named `n` in the answer: exact match first, else a case-insensitive one.
  const exact = new Set(names);
  const lower = new Map<string, string[]>();
  for (const n of names) lower.set(n.toLowerCase(), [...(lower.get(n.toLowerCase()) ?? []), n]);
  const asked = (found: unknown): string[] => {
    const f = String(found);
    if (exact.has(f)) return [f];
    return lower.get(f.toLowerCase()) ?? [];
  };
  const group = (rows: RowDataPacket[], col: string): Map<string, RowDataPacket[]> => {
    const m = new Map<string, RowDataPacket[]>();
    for (const r of rows) {
      for (const n of asked(r[col])) {
        const list = m.get(n);
        if (list) list.push(r);
        else m.set(n, [r]);
      }
    }
    return m;
  };
  const [tableRows] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS tn, ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?)', [database, names]);
  const [colRows] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_NAME AS tn, COLUMN_NAME AS name, LOWER(DATA_TYPE) AS type, LOWER(CHARACTER_SET_NAME) AS cs, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) ORDER BY TABLE_NAME, ORDINAL_POSITION',
    [database, names]);
  const [pkRows] = await conn.query<RowDataPacket[]>(
    "SELECT TABLE_NAME AS tn, COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) AND INDEX_NAME = 'PRIMARY' ORDER BY TABLE_NAME, SEQ_IN_INDEX",
    [database, names]);
  const found = group(tableRows, 'tn');
  if (found.size === 0) return [];
  const cols = group(colRows, 'tn'), pks = group(pkRows, 'tn');
  const has = (set: Set<string>, table: string): boolean => set.has(table) || set.has(table.toLowerCase());
  const infos: TargetTableInfo[] = [];
  for (const [table, rows] of found) {
    const refs = fks.referencedBy.get(table) ?? [];
    infos.push(toInfo(database, table, rows[0]!, cols.get(table) ?? [], pks.get(table) ?? [], has(fks.children, table), has(fks.parents, table), refs));
  }
  return infos;
}

function toInfo(database: string, table: string, tableRow: RowDataPacket, cols: RowDataPacket[], pk: RowDataPacket[], hasForeignKeys: boolean, referenced: boolean, refs: RowDataPacket[]): TargetTableInfo {
  const referencedBy = new Map<string, ReferencingKey & { columns: string[]; refColumns: string[] }>();
  for (const r of refs) {
    const id = `${String(r['db'])}\0${String(r['t'])}\0${String(r['n'])}`;
    let k = referencedBy.get(id);
    if (!k) {
      k = { database: String(r['db']), table: String(r['t']), columns: [], refColumns: [], onUpdate: String(r['u']), stamped: r['st'] as string[] };
      referencedBy.set(id, k);
    }
    k.columns.push(String(r['c']));
    k.refColumns.push(String(r['r']));
  }
  const types = new Map<string, string>();
  const charsets = new Map<string, string | null>();
  for (const c of cols) {
    const name = intern(String(c['name']));
    types.set(name, intern(String(c['type'])));
    charsets.set(name, c['cs'] === null || c['cs'] === undefined ? null : intern(String(c['cs'])));
  }
  // Generated columns are computed by the target itself: never written.
  const isGenerated = (c: RowDataPacket): boolean => /(VIRTUAL|STORED) GENERATED|^VIRTUAL$|^PERSISTENT$/i.test(String(c['extra'] ?? ''));
  return {
    database, table,
    columns: cols.filter((c) => !isGenerated(c)).map((c) => intern(String(c['name']))),
    generated: cols.some(isGenerated) ? new Set(cols.filter(isGenerated).map((c) => String(c['name']))) : NO_GENERATED,
    primaryKey: pk.map((c) => intern(String(c['name']))),
    types,
    charsets,
    engine: intern(String(tableRow['engine'] ?? '')),
    hasForeignKeys,
    referenced,
    referencedBy: [...referencedBy.values()],
  };
}
