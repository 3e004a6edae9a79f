/**
 * Which schema each table had at each binlog position: the schema model.
 *
 * Versions are kept per table, keyed by the position at which they came into force. A table is read from
 * information_schema once, the first time the stream meets its database (`ensureLoaded`, at that position);
 * from then on every DDL the stream meets is parsed (`ddl-parser.ts`) and applied to the model
 * (`schema-evolution.ts`) at the DDL's position — information_schema is not read again, since it shows the
 * schema *now*, later than the DDL when the reader lags. `resolve` (the decoder's ColumnResolver) names a
 * TABLE_MAP's columns from the version in force at the stream's current position — only when that version
 * matches the TABLE_MAP (column count and each type), so wrong names are never put on values. Saved to a
 * JSON file (when given one) or with a pipeline's checkpoint, a restarted reader that replays events from
 * before an ALTER TABLE decodes them with the columns in force back then.
 *
 * Limits: the first read of a database is only exact when it happens at the stream's position (a reader
 * started at "now", a pipeline's snapshot); a reader started at an old position over tables it never saw
 * gets today's schema for older events (guarded by the TABLE_MAP match: `@N` names rather than wrong ones).
 * A DDL the model cannot apply to a table (CREATE TABLE … SELECT, LIKE of an unknown table) makes the model
 * read that table again from information_schema; a DDL that contradicts the model (e.g. drops a column it
 * does not have) marks the table unknown from there on (`@N` names, the pipeline stops with SCHEMA_MISMATCH
 * naming the table). With binlog_row_metadata=FULL the binlog carries the names.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { ColumnResolver } from '../binlog/column-resolver.js';
import type { ColumnDef } from '../values/column-type.js';
import { SluiceError } from '../../errors.js';
import { classifyStatement, type TableName } from './ddl.js';
import { parseDdl } from './ddl-parser.js';
import type { DdlAst } from './ddl-ast.js';
import { evolve, type Evolution } from './schema-evolution.js';
import { BUILT_IN_CATALOG, type CharsetCatalog } from './charset-catalog.js';
import type { TableDefaults } from './column-model.js';
import { isCompatible } from './column-compat.js';
import { InformationSchemaLoader, type SchemaSource } from './schema-loader.js';
import { charsetDecoderName, type TableSchema } from './table-schema.js';
import { tablesByDatabase } from '../../core/tables-by-database.js';

/** A binlog position (file and offset; a GTID set may ride along and is ignored here). */
export interface HistoryPosition { file: string; pos: number; gtidSet?: string }

/** One version: the schema in force from `since` on (null: the table did not exist / was dropped). */
export interface SchemaVersion {
  since: HistoryPosition;
  schema: TableSchema | null;
  /** Set when the model could not follow a DDL on this table: its columns are unknown from here on. */
  unknown?: string;
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
  /** Default character set and collation of the databases the model knows. */
  databases?: Array<{ database: string; charset: string; collation: string }>;
}

/**
 * What changed since a revision (`changesSince`): the whole version list of every table that changed, and
 * all database defaults when any changed. A store keeps one row per table and overwrites the changed ones, so
 * persisting the history costs what changed, not the size of the schema (thousands of tables).
 */
export interface SchemaHistoryChanges {
  tables: SchemaHistoryJSON['tables'];
  databases?: NonNullable<SchemaHistoryJSON['databases']>;
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
  private readonly dbDefaults = new Map<string, TableDefaults>();
  private catalogP: Promise<CharsetCatalog> | null = null;
  private cursor: HistoryPosition | null = null;
  /** Bumped on every change to the versions or database defaults (not when only the cursor moves). */
  private rev = 0;
  /** The revision at which each table's versions last changed, and the database defaults. */
  private readonly changedAt = new Map<string, number>();
  private databasesChangedAt = 0;
  /** The database defaults as last compared (see noteDefaults). */
  private lastDefaults = '[]';

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
    this.rev++;
    this.cursor = json.cursor;
    for (const t of json.tables) {
      this.tables.set(key(t.database, t.table), t.versions);
      this.changedAt.set(key(t.database, t.table), this.rev);
    }
    for (const d of json.databases ?? []) this.dbDefaults.set(d.database, { charset: d.charset, collation: d.collation });
    this.lastDefaults = JSON.stringify(this.databaseList());
  }

  /** Add the versions of another history (e.g. a pipeline's, seeded at its snapshot) that this one lacks. */
  merge(json: SchemaHistoryJSON): void {
    for (const d of json.databases ?? []) {
      if (!this.dbDefaults.has(d.database)) { this.dbDefaults.set(d.database, { charset: d.charset, collation: d.collation }); this.rev++; }
    }
    for (const t of json.tables) {
      const k = key(t.database, t.table);
      const mine = this.tables.get(k) ?? [];
      const seen = new Set(mine.map((v) => `${v.since.file}:${v.since.pos}`));
      const added = t.versions.filter((v) => !seen.has(`${v.since.file}:${v.since.pos}`));
      if (added.length === 0) continue;
      this.rev++;
      this.changedAt.set(k, this.rev);
      this.tables.set(k, [...mine, ...added].sort((a, b) => comparePositions(a.since, b.since)));
    }
  }

  /**
   * A counter that grows whenever the history's content changes (a version recorded, a table marked unknown,
   * database defaults or a table's charset filled in, a merge or load) — every change `toJSON` would show
   * except the cursor. A pipeline compares it to know, without serializing, whether its checkpoint state must
   * carry the history again. (The cursor is not persisted meaningfully: a restarted pipeline sets it to its
   * checkpoint's position.)
   */
  get revision(): number {
    return this.rev;
  }

  /**
   * The tables (and database defaults) changed after revision `since` (0: everything), or null when nothing
   * did: what a checkpoint must persist. Does not change the history (several readers may ask).
   */
  changesSince(since: number): SchemaHistoryChanges | null {
    this.noteDefaults();
    const tables: SchemaHistoryJSON['tables'] = [];
    for (const [k, versions] of this.tables) {
      if ((this.changedAt.get(k) ?? 0) <= since && since > 0) continue;
      const [database, table] = k.split('\u0000') as [string, string];
      tables.push({ database, table, versions });
    }
    const databases = since === 0 || this.databasesChangedAt > since;
    if (tables.length === 0 && !databases) return null;
    return databases ? { tables, databases: this.databaseList() } : { tables };
  }

  /**
   * Forget versions no reader can need any more: per table, those superseded before `position` (the
   * checkpoint: nothing before it is read again). Keeps memory and the persisted history bounded on a
   * long-running pipeline with many DDL statements. Returns how many versions were dropped.
   */
  compact(position: HistoryPosition): number {
    let dropped = 0;
    for (const [k, vs] of this.tables) {
      let keepFrom = 0;
      for (let i = 1; i < vs.length; i++) if (comparePositions(vs[i]!.since, position) <= 0) keepFrom = i;
      if (keepFrom === 0) continue;
      this.rev++;
      this.tables.set(k, vs.slice(keepFrom));
      this.changedAt.set(k, this.rev);
      dropped += keepFrom;
    }
    return dropped;
  }

  private databaseList(): NonNullable<SchemaHistoryJSON['databases']> {
    return [...this.dbDefaults].map(([database, d]) => ({ database, charset: d.charset, collation: d.collation }));
  }

  /** Database defaults are set in several places; compare with what was last seen to notice a change. */
  private noteDefaults(): void {
    const now = JSON.stringify(this.databaseList());
    if (now !== this.lastDefaults) {
      this.lastDefaults = now;
      this.rev++;
      this.databasesChangedAt = this.rev;
    }
  }

  toJSON(): SchemaHistoryJSON {
    const tables: SchemaHistoryJSON['tables'] = [];
    for (const [k, versions] of this.tables) {
      const [database, table] = k.split('\u0000') as [string, string];
      tables.push({ database, table, versions });
    }
    const databases = [...this.dbDefaults].map(([database, d]) => ({ database, charset: d.charset, collation: d.collation }));
    return databases.length > 0 ? { format: 1, cursor: this.cursor, tables, databases } : { format: 1, cursor: this.cursor, tables };
  }

  /** Called after every operation that may have changed the history: counts the change, writes the file. */
  private save(): void {
    this.rev++;
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
      if (!this.dbDefaults.has(database) && this.loader.databaseDefaults) {
        const d = await this.loader.databaseDefaults(database);
        if (d) this.dbDefaults.set(database, d);
      }
      for (const [name, schema] of loaded) {
        if (!this.tables.has(key(database, name))) this.record(database, name, position, schema);
      }
      if (!loaded.has(table)) this.record(database, table, position, null);
      this.save();
      return loaded.has(table);
    } catch (err) {
      this.rev++; // a partial load may have recorded something
      if (hasNames) return false;
      throw err;
    }
  }

  /**
   * Read every database (tables `filter` accepts) from information_schema as the schema at `position` — the
   * position the stream starts from, which must be the server's current one (a reader started at "now").
   * Later DDL then evolves this model; a table first met later would otherwise be read after that DDL.
   */
  async seed(position: HistoryPosition, filter?: (database: string, table: string) => boolean): Promise<void> {
    this.setPosition(position);
    if (this.loader?.databases === undefined) return;
    for (const db of await this.loader.databases()) {
      if (this.loadedDbs.has(db)) continue;
      const loaded = await this.loader.loadDatabase(db);
      this.loadedDbs.add(db);
      for (const [name, schema] of loaded) {
        if ((filter === undefined || filter(db, name)) && !this.tables.has(key(db, name))) this.record(db, name, position, schema);
      }
      if (!this.dbDefaults.has(db) && this.loader.databaseDefaults) {
        const d = await this.loader.databaseDefaults(db);
        if (d) this.dbDefaults.set(db, d);
      }
    }
    this.save();
  }

  /** Apply a DDL to the model at its position (parsed and evolved; see the class comment). */
  async applyDdl(ddl: DdlInput): Promise<void> {
    this.setPosition(ddl.position);
    let ast: DdlAst | null;
    try {
      ast = parseDdl(ddl.sql, { defaultDatabase: ddl.database });
    } catch (err) {
      // Unreadable: harmless unless it touches a table the model knows, which then becomes unknown.
      const c = classifyStatement(ddl.sql, ddl.database);
      if (c.kind !== 'ddl') return;
      for (const t of [...c.ddl.tables, ...c.ddl.renames.flatMap((r) => [r.from, r.to])]) this.markUnknown(t, ddl.position, (err as Error).message);
      this.save();
      return;
    }
    if (ast === null) return;
    const catalog = await this.catalog();
    if (ast.kind === 'alter_table') await this.fillTableDefaults(ast.table, ddl.position);
    let evo: Evolution;
    try {
      evo = evolve(ast, {
        lookup: (db, t) => this.modelBefore(db, t, ddl.position),
        databaseDefaults: (db) => this.dbDefaults.get(db),
        catalog,
        sql: ddl.sql,
      });
    } catch (err) {
      for (const t of touchedTables(ast)) this.markUnknown(t, ddl.position, (err as Error).message);
      this.save();
      return;
    }
    // The final state of each table (a RENAME chain may name one table several times).
    const final = new Map<string, { database: string; table: string; schema: TableSchema | null }>();
    for (const t of evo.tables) final.set(key(t.database, t.table), t);
    for (const t of final.values()) {
      if (t.schema === null && !this.tables.has(key(t.database, t.table))) continue;
      this.record(t.database, t.table, ddl.position, t.schema);
    }
    for (const d of evo.databases) {
      if (d.dropped) {
        for (const t of this.tablesOf(d.database)) this.record(t.database, t.table, ddl.position, null);
        this.dbDefaults.delete(d.database);
        continue;
      }
      if (d.defaults) this.dbDefaults.set(d.database, d.defaults);
      else if (!this.dbDefaults.has(d.database) && this.loader?.databaseDefaults) {
        const dd = await this.loader.databaseDefaults(d.database);
        if (dd) this.dbDefaults.set(d.database, dd);
      }
      // A database created in the stream: its tables come from the DDL that follows.
      if (ast.kind === 'create_database') this.loadedDbs.add(d.database);
    }
    if (evo.unknown.length > 0 && this.loader !== null) {
      for (const [db, names] of tablesByDatabase(evo.unknown)) {
        // Only tables the model follows (or in a database it follows) are read again.
        const wanted = names.filter((n) => this.tables.has(key(db, n)) || this.loadedDbs.has(db));
        if (wanted.length === 0) continue;
        const loaded = await this.loader.loadDatabase(db, wanted);
        for (const name of wanted) this.record(db, name, ddl.position, loaded.get(name) ?? null);
      }
    }
    this.save();
  }

  /** The model's schema of a table just before `position`: undefined when the model does not know the table. */
  private modelBefore(database: string, table: string, position: HistoryPosition): TableSchema | null | undefined {
    const vs = this.tables.get(key(database, table));
    if (!vs || vs.length === 0) return this.loadedDbs.has(database) ? null : undefined;
    let found: SchemaVersion | undefined;
    for (const v of vs) {
      if (comparePositions(v.since, position) < 0) found = v;
      else break;
    }
    if (found === undefined) return undefined;
    if (found.unknown !== undefined) return undefined;
    return found.schema;
  }

  /**
   * A model read by an older version has no table charset: take it from the server (columns added later
   * without their own charset need it). The charset is rarely changed, so the current one is used.
   */
  private async fillTableDefaults(t: TableName, position: HistoryPosition): Promise<void> {
    const schema = this.modelBefore(t.database, t.table, position);
    if (!schema || schema.charset !== undefined || this.loader === null) return;
    try {
      const now = (await this.loader.loadDatabase(t.database, [t.table])).get(t.table);
      if (now?.charset !== undefined) { schema.charset = now.charset; schema.collation = now.collation ?? null; this.rev++; this.changedAt.set(key(t.database, t.table), this.rev); }
    } catch {
      // Without it the database's (or the built-in) defaults are used; a wrong guess gives @N names, not wrong ones.
    }
  }

  private markUnknown(t: TableName, position: HistoryPosition, reason: string): void {
    if (!this.tables.has(key(t.database, t.table))) return;
    const vs = this.tables.get(key(t.database, t.table))!;
    const last = vs[vs.length - 1];
    if (last !== undefined && comparePositions(last.since, position) >= 0) return;
    vs.push({ since: { file: position.file, pos: position.pos }, schema: null, unknown: reason });
    this.rev++;
    this.changedAt.set(key(t.database, t.table), this.rev);
  }

  private catalog(): Promise<CharsetCatalog> {
    if (this.catalogP === null) {
      const p = this.loader?.catalog ? this.loader.catalog() : Promise.resolve(BUILT_IN_CATALOG);
      this.catalogP = p.catch(() => BUILT_IN_CATALOG);
    }
    return this.catalogP;
  }

  /** Every table with a definition at the cursor (not dropped). */
  tableNames(): TableName[] {
    const out: TableName[] = [];
    for (const k of this.tables.keys()) {
      const [database, table] = k.split('\u0000') as [string, string];
      if (this.schemaAt(database, table) !== null) out.push({ database, table });
    }
    return out;
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
    this.rev++;
    this.changedAt.set(k, this.rev);
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

/** Every table a statement names. */
function touchedTables(ast: DdlAst): TableName[] {
  switch (ast.kind) {
    case 'create_table': return [ast.table];
    case 'alter_table': return [ast.table, ...ast.clauses.flatMap((c) => (c.kind === 'rename_table' ? [c.to] : []))];
    case 'rename_table': return ast.renames.flatMap((r) => [r.from, r.to]);
    case 'drop_table': return ast.tables;
    case 'truncate_table': case 'create_index': case 'drop_index': return [ast.table];
    default: return [];
  }
}
