/** Target table shapes (columns, types, primary key, engine) read once from information_schema and cached. */
import type { RowDataPacket } from 'mysql2/promise';
import type { Connection } from 'mysql2/promise';
import { SluiceError } from '../../errors.js';
import type { ReferencingKey, TargetTable } from './statements.js';

export interface TargetTableInfo extends TargetTable {
  engine: string;
  generated: ReadonlySet<string>;
  /** The table has FOREIGN KEY constraints (it is a child). */
  hasForeignKeys: boolean;
  /** Other tables' FOREIGN KEY constraints reference it (it is a parent). */
  referenced: boolean;
}

/** Engines whose writes commit atomically with the checkpoint. */
const TRANSACTIONAL_ENGINES = new Set(['innodb', 'rocksdb', 'tokudb', 'ndbcluster', 'ndb']);

export class TableShapeCache {
  private readonly cache = new Map<string, TargetTableInfo>();

  private static id(database: string, table: string): string {
    return `${database}\0${table}`;
  }

  get(database: string, table: string): TargetTableInfo | undefined {
    return this.cache.get(TableShapeCache.id(database, table));
  }

  /** Forget one table, or everything (after DDL). */
  invalidate(database?: string, table?: string): void {
    if (database === undefined || table === undefined) this.cache.clear();
    else this.cache.delete(TableShapeCache.id(database, table));
  }

  /** Load every table in `tables` that is not cached yet; a missing or non-transactional table is an error. */
  async load(conn: Connection, tables: ReadonlyArray<{ database: string; table: string }>): Promise<void> {
    for (const { database, table } of tables) {
      if (this.get(database, table)) continue;
      const info = await readTableInfo(conn, database, table);
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
      this.cache.set(TableShapeCache.id(database, table), info);
    }
  }
}

/** Columns in order, DATA_TYPE, primary key and engine of a table, or null when it does not exist. */
export async function readTableInfo(conn: Pick<Connection, 'query'>, database: string, table: string): Promise<TargetTableInfo | null> {
  const [tables] = await conn.query<RowDataPacket[]>(
    'SELECT ENGINE AS engine FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [database, table]);
  if (tables.length === 0) return null;
  const [cols] = await conn.query<RowDataPacket[]>(
    'SELECT COLUMN_NAME AS name, LOWER(DATA_TYPE) AS type, EXTRA AS extra FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION',
    [database, table]);
  const [pk] = await conn.query<RowDataPacket[]>(
    "SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX",
    [database, table]);
  const [child] = await conn.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ? LIMIT 1', [database, table]);
  const [parent] = await conn.query<RowDataPacket[]>(
    'SELECT 1 FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = ? AND REFERENCED_TABLE_NAME = ? LIMIT 1', [database, table]);
  const [refs] = await conn.query<RowDataPacket[]>(
    'SELECT k.CONSTRAINT_SCHEMA AS db, k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS n, k.COLUMN_NAME AS c, k.REFERENCED_COLUMN_NAME AS r, rc.UPDATE_RULE AS u ' +
    'FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS rc ON rc.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND rc.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND rc.TABLE_NAME = k.TABLE_NAME ' +
    'WHERE k.REFERENCED_TABLE_SCHEMA = ? AND k.REFERENCED_TABLE_NAME = ? ORDER BY k.CONSTRAINT_SCHEMA, k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION',
    [database, table]);
  const referencedBy = new Map<string, ReferencingKey & { columns: string[]; refColumns: string[] }>();
  for (const r of refs) {
    const id = `${String(r['db'])}\0${String(r['t'])}\0${String(r['n'])}`;
    let k = referencedBy.get(id);
    if (!k) {
      k = { database: String(r['db']), table: String(r['t']), columns: [], refColumns: [], onUpdate: String(r['u']) };
      referencedBy.set(id, k);
    }
    k.columns.push(String(r['c']));
    k.refColumns.push(String(r['r']));
  }
  const types = new Map<string, string>();
  for (const c of cols) types.set(String(c['name']), String(c['type']));
  // Generated columns are computed by the target itself: never written.
  const isGenerated = (c: RowDataPacket): boolean => /(VIRTUAL|STORED) GENERATED|^VIRTUAL$|^PERSISTENT$/i.test(String(c['extra'] ?? ''));
  return {
    database, table,
    columns: cols.filter((c) => !isGenerated(c)).map((c) => String(c['name'])),
    generated: new Set(cols.filter(isGenerated).map((c) => String(c['name']))),
    primaryKey: pk.map((c) => String(c['name'])),
    types,
    engine: String(tables[0]!['engine'] ?? ''),
    hasForeignKeys: child.length > 0,
    referenced: parent.length > 0,
    referencedBy: [...referencedBy.values()],
  };
}
