/**
 * Which schema each table had at each binlog position.
 *
 * Versions are kept per table, keyed by the position at which they came into force. A table is loaded
 * from information_schema the first time the stream meets it (`ensureLoaded`), and re-read after every
 * DDL that touches it (`applyDdl`), recorded at the DDL's position. `resolve` (the decoder's
 * ColumnResolver) names a TABLE_MAP's columns from the version in force at the stream's current
 * position — only when that version matches the TABLE_MAP (column count and each type), so wrong names
 * are never put on values. Saved to a JSON file (when given one), a restarted reader that replays events
 * from before an ALTER TABLE decodes them with the columns in force back then.
 *
 * Limitation: information_schema only tells the schema *now*. A reader that first starts at a position
 * older than a DDL it never saw (or that lags behind several DDLs) gets today's schema for older events;
 * when the TABLE_MAP does not match it, `resolve` returns null and the columns keep `@N` names (values
 * are still decoded exactly from the TABLE_MAP's types). Same-shape changes (e.g. renaming a column
 * without changing its type) cannot be detected that way. TODO: apply simple ALTERs (ADD/DROP COLUMN)
 * backwards to reconstruct older versions. With binlog_row_metadata=FULL the binlog carries the names
 * and this limitation does not apply.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ColumnResolver } from '../binlog/column-resolver.js';
import type { ColumnDef } from '../values/column-type.js';
import { SluiceError } from '../../errors.js';
import { classifyStatement, type DdlStatement, type TableName } from './ddl.js';
import { isCompatible } from './column-compat.js';
import { InformationSchemaLoader, type SchemaSource } from './schema-loader.js';
import { charsetDecoderName, type TableSchema } from './table-schema.js';

/** A binlog position (file and offset; a GTID set may ride along and is ignored here). */
export interface HistoryPosition { file: string; pos: number; gtidSet?: string }

/** One version: the schema in force from `since` on (null: the table did not exist / was dropped). */
export interface SchemaVersion {
  since: HistoryPosition;
  schema: TableSchema | null;
}

export interface SchemaHistoryOptions {
  /** Source URL for information_schema queries (or give `loader`). */
  url?: string;
  loader?: SchemaSource;
  /** JSON file to persist the history to after every change (and to read it from on construction). */
  file?: string;
}

export interface SchemaHistoryJSON {
  format: 1;
  cursor: HistoryPosition | null;
  tables: Array<{ database: string; table: string; versions: SchemaVersion[] }>;
}

/** A DDL to apply: the statement, the default database it ran in, and the position after it. */
export interface DdlInput {
  sql: string;
  database: string;
  position: HistoryPosition;
}

/** Order positions: by file sequence number (the numeric extension), then offset. */
export function comparePositions(a: HistoryPosition, b: HistoryPosition): number {
  if (a.file !== b.file) {
    const na = fileSeq(a.file), nb = fileSeq(b.file);
    if (na !== nb) return na - nb;
    return a.file < b.file ? -1 : 1;
  }
  return a.pos - b.pos;
}

function fileSeq(file: string): number {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : -1;
}

const key = (db: string, table: string): string => `${db}\u0000${table}`;

export class SchemaHistory implements ColumnResolver {
  private readonly loader: SchemaSource | null;
  private readonly file: string | undefined;
  private readonly tables = new Map<string, SchemaVersion[]>();
  /** Databases fully loaded at least once (then single missing tables are loaded one by one). */
  private readonly loadedDbs = new Set<string>();
  private cursor: HistoryPosition | null = null;

  constructor(opts: SchemaHistoryOptions = {}) {
    this.loader = opts.loader ?? (opts.url !== undefined ? new InformationSchemaLoader(opts.url) : null);
    this.file = opts.file;
    if (this.file !== undefined && existsSync(this.file)) {
      let json: SchemaHistoryJSON;
      try {
        json = JSON.parse(readFileSync(this.file, 'utf8')) as SchemaHistoryJSON;
      } catch (err) {
        throw new SluiceError('BAD_CONFIG', `schema history file ${this.file} is not valid JSON`,
          'restore the file from a backup, or delete it to rebuild the history from information_schema (older events may then get @N column names)', {}, { cause: err });
      }
      this.load(json);
    }
  }

  /** Rebuild from `toJSON()` output. */
  static fromJSON(json: SchemaHistoryJSON, opts: SchemaHistoryOptions = {}): SchemaHistory {
    const h = new SchemaHistory({ ...opts, file: undefined });
    h.load(json);
    if (opts.file !== undefined) Object.assign(h, { file: opts.file });
    return h;
  }

  private load(json: SchemaHistoryJSON): void {
    if (json.format !== 1 || !Array.isArray(json.tables)) {
      throw new SluiceError('BAD_CONFIG', 'schema history has an unknown format',
        'delete the schema history file to rebuild it from information_schema');
    }
    this.cursor = json.cursor;
    for (const t of json.tables) this.tables.set(key(t.database, t.table), t.versions);
  }

  /** Add the versions of another history (e.g. a pipeline's, seeded at its snapshot) that this one lacks. */
  merge(json: SchemaHistoryJSON): void {
    for (const t of json.tables) {
      const k = key(t.database, t.table);
      const mine = this.tables.get(k) ?? [];
      const seen = new Set(mine.map((v) => `${v.since.file}:${v.since.pos}`));
      const added = t.versions.filter((v) => !seen.has(`${v.since.file}:${v.since.pos}`));
      if (added.length === 0) continue;
      this.tables.set(k, [...mine, ...added].sort((a, b) => comparePositions(a.since, b.since)));
    }
  }

  toJSON(): SchemaHistoryJSON {
    const tables: SchemaHistoryJSON['tables'] = [];
    for (const [k, versions] of this.tables) {
      const [database, table] = k.split('\u0000') as [string, string];
      tables.push({ database, table, versions });
    }
    return { format: 1, cursor: this.cursor, tables };
  }

  private save(): void {
    if (this.file === undefined) return;
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.toJSON()));
    renameSync(tmp, this.file);
  }

  /** The position `resolve` answers for (the last one given to ensureLoaded/applyDdl/setPosition). */
  setPosition(position: HistoryPosition): void {
    this.cursor = { file: position.file, pos: position.pos };
  }

  /** All versions of a table, oldest first. */
  versions(database: string, table: string): readonly SchemaVersion[] {
    return this.tables.get(key(database, table)) ?? [];
  }

  /** The schema in force at `position` (the oldest known one for positions before every version). */
  schemaAt(database: string, table: string, position: HistoryPosition | null = this.cursor): TableSchema | null {
    const vs = this.tables.get(key(database, table));
    if (!vs || vs.length === 0) return null;
    if (position === null) return vs[vs.length - 1]!.schema;
    let found: SchemaVersion | undefined;
    for (const v of vs) {
      if (comparePositions(v.since, position) <= 0) found = v;
      else break;
    }
    return (found ?? vs[0]!).schema;
  }

  /**
   * Make sure `database.table` has a schema for `position` (which also becomes the current position).
   * Loads the whole database on first sight. Returns true when something new was loaded (the decoder
   * should then resolve the table's columns again). With `hasNames` (binlog_row_metadata=FULL), a failed
   * lookup is not an error: the binlog names the columns itself.
   */
  async ensureLoaded(database: string, table: string, position: HistoryPosition, hasNames = false): Promise<boolean> {
    this.setPosition(position);
    if (this.tables.has(key(database, table))) return false;
    if (this.loader === null) return false;
    try {
      const firstTime = !this.loadedDbs.has(database);
      const loaded = await this.loader.loadDatabase(database, firstTime ? undefined : [table]);
      this.loadedDbs.add(database);
      for (const [name, schema] of loaded) {
        if (!this.tables.has(key(database, name))) this.record(database, name, position, schema);
      }
      if (!loaded.has(table)) this.record(database, table, position, null);
      this.save();
      return loaded.has(table);
    } catch (err) {
      if (hasNames) return false;
      throw err;
    }
  }

  /** Record the schema after a DDL (re-read from information_schema) at the DDL's position. */
  async applyDdl(ddl: DdlInput): Promise<void> {
    this.setPosition(ddl.position);
    const c = classifyStatement(ddl.sql, ddl.database);
    if (c.kind !== 'ddl' || c.ddl.temporary) return;
    if (c.ddl.action === 'rename_table' && c.ddl.renames.length > 0 && c.ddl.renames.every((r) => this.schemaAt(r.from.database, r.from.table) !== null)) {
      // A rename does not change columns: move the version in force, without asking information_schema
      // (which may already show later DDL when the stream lags behind the source).
      const moved = c.ddl.renames.map((r) => ({ r, schema: this.schemaAt(r.from.database, r.from.table)! }));
      for (const { r } of moved) this.record(r.from.database, r.from.table, ddl.position, null);
      for (const { r, schema } of moved) this.record(r.to.database, r.to.table, ddl.position, { ...schema, database: r.to.database, table: r.to.table });
      this.save();
      return;
    }
    const { reload, drop } = affected(c.ddl, (db) => this.tablesOf(db));
    for (const t of drop) if (this.tables.has(key(t.database, t.table))) this.record(t.database, t.table, ddl.position, null);
    if (reload.length > 0 && this.loader !== null) {
      const byDb = new Map<string, string[]>();
      for (const t of reload) byDb.set(t.database, [...(byDb.get(t.database) ?? []), t.table]);
      for (const [db, names] of byDb) {
        const loaded = await this.loader.loadDatabase(db, names);
        for (const name of names) this.record(db, name, ddl.position, loaded.get(name) ?? null);
      }
    }
    this.save();
  }

  private tablesOf(db: string): TableName[] {
    const out: TableName[] = [];
    for (const k of this.tables.keys()) {
      const [d, t] = k.split('\u0000') as [string, string];
      if (d === db) out.push({ database: d, table: t });
    }
    return out;
  }

  private record(database: string, table: string, since: HistoryPosition, schema: TableSchema | null): void {
    const k = key(database, table);
    const vs = this.tables.get(k) ?? [];
    const at: HistoryPosition = { file: since.file, pos: since.pos };
    const last = vs[vs.length - 1];
    if (last !== undefined) {
      // Replaying events we have seen before (a restart from an older checkpoint): history already knows.
      if (comparePositions(last.since, at) >= 0) return;
      if (last.schema === null && schema === null) return;
    }
    const version = vs.reduce((m, v) => Math.max(m, (v.schema?.version ?? -1) + 1), 0);
    vs.push({ since: at, schema: schema ? { ...schema, version } : null });
    this.tables.set(k, vs);
  }

  /** ColumnResolver: enrich a TABLE_MAP's columns from the schema in force, or null when it does not match. */
  resolve(database: string, table: string, fromMap: readonly ColumnDef[], hasNames: boolean): ColumnDef[] | null {
    const schema = this.schemaAt(database, table);
    if (schema === null || schema.columns.length !== fromMap.length) return null;
    for (let i = 0; i < fromMap.length; i++) {
      const col = schema.columns[i]!;
      if (!isCompatible(col, fromMap[i]!)) return null;
      if (hasNames && fromMap[i]!.name !== col.name) return null;
    }
    return fromMap.map((def, i) => {
      const col = schema.columns[i]!;
      const out: ColumnDef = {
        ...def,
        name: hasNames ? def.name : col.name,
        unsigned: def.unsigned || col.unsigned,
        collation: def.collation ?? col.collationId,
        sqlType: def.sqlType ?? col.sqlType,
        visible: def.visible ?? col.visible,
      };
      const charset = def.charset ?? charsetDecoderName(col.charset);
      if (charset !== undefined) out.charset = charset;
      if (col.json) out.jsonText = true;
      const enumValues = def.enumValues ?? col.enumValues;
      if (enumValues !== undefined) out.enumValues = enumValues;
      return out;
    });
  }

  async close(): Promise<void> {
    await this.loader?.close();
  }
}

/** Which tables a DDL changes (re-read them) and which it removes. */
function affected(ddl: DdlStatement, tablesOf: (db: string) => TableName[]): { reload: TableName[]; drop: TableName[] } {
  switch (ddl.action) {
    case 'create_table':
      return { reload: [ddl.tables[0]!], drop: [] };
    case 'alter_table':
    case 'create_index':
    case 'drop_index':
      if (ddl.renames.length > 0) return { reload: [ddl.renames[0]!.to], drop: [ddl.tables[0]!] };
      return { reload: [ddl.tables[0]!], drop: [] };
    case 'rename_table': {
      // Chains like `a TO tmp, b TO a, tmp TO b`: everything named on either side is re-read at the end.
      const names = new Map<string, TableName>();
      for (const r of ddl.renames) { names.set(key(r.from.database, r.from.table), r.from); names.set(key(r.to.database, r.to.table), r.to); }
      return { reload: [...names.values()], drop: [] };
    }
    case 'drop_table':
      return { reload: [], drop: ddl.tables };
    case 'drop_database':
      return { reload: [], drop: ddl.database !== undefined ? tablesOf(ddl.database) : [] };
    default:
      return { reload: [], drop: [] };
  }
}
