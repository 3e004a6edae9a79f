/**
 * Our own small AST for the MySQL/MariaDB DDL Sluice understands. The parser (`ddl-parser.ts`) produces
 * it; the schema model, the target-table generator and the DDL forwarding read it. Nothing outside the
 * parser depends on how the text was parsed, so the parser can be replaced.
 *
 * Expressions (defaults, generated columns, CHECK bodies, partitioning) are kept as normalized SQL text
 * (`SqlText`): the tokens as written, joined by single spaces where the source had whitespace or a comment.
 */
import type { TableName } from './ddl.js';

/** SQL text re-rendered from tokens (comments dropped, executable comments' bodies kept). */
export type SqlText = string;

export interface DataTypeAst {
  /** Base type name, lower case, synonyms kept (`int`, `integer`, `double precision`, `varchar`, `enum`…). */
  name: string;
  /** The parenthesized arguments as text (`10,2`, `'a','b'`), or null. */
  args: SqlText | null;
  /** ENUM/SET members, unescaped. */
  members?: string[];
  unsigned: boolean;
  zerofill: boolean;
  /** The type as written, with its arguments and UNSIGNED/ZEROFILL (no charset/collation). */
  text: SqlText;
}

export interface ColumnAst {
  name: string;
  type: DataTypeAst;
  /** true: NULL, false: NOT NULL, null: not said. */
  nullable: boolean | null;
  /** DEFAULT value as text, or null when not given. */
  defaultValue: SqlText | null;
  autoIncrement: boolean;
  charset: string | null;
  collation: string | null;
  /** GENERATED ALWAYS AS (expr) kind; `stored` covers MariaDB's PERSISTENT. */
  generated: { expression: SqlText; kind: 'virtual' | 'stored' } | null;
  invisible: boolean;
  /** Inline PRIMARY KEY / UNIQUE [KEY]. */
  inlinePrimaryKey: boolean;
  inlineUnique: boolean;
  comment: string | null;
  /** Inline `REFERENCES t (c) …` (MariaDB 10.5+ makes it a constraint; MySQL before 8.0.?? ignores it). */
  inlineReference: ForeignKeyAst | null;
  /** Everything after the column name, as text (type and attributes), to re-render the column as written. */
  definition: SqlText;
}

export type IndexKind = 'primary' | 'unique' | 'index' | 'fulltext' | 'spatial';

export interface IndexAst {
  kind: IndexKind;
  /** The index name (PRIMARY for the primary key), or null when the statement did not name it. */
  name: string | null;
  /** Key parts: column names (functional key parts are listed as their text). */
  columns: string[];
  /** The definition as text, for re-rendering (`UNIQUE KEY \`u\` (\`a\`,\`b\`(10))`). */
  definition: SqlText;
}

export type ReferentialAction = 'RESTRICT' | 'CASCADE' | 'SET NULL' | 'NO ACTION' | 'SET DEFAULT';

export interface ForeignKeyAst {
  /** CONSTRAINT name, or null. */
  name: string | null;
  columns: string[];
  /** Referenced table: database null when unqualified (the table's own database). */
  refDatabase: string | null;
  refTable: string;
  refColumns: string[];
  onDelete: ReferentialAction | null;
  onUpdate: ReferentialAction | null;
}

export interface CheckAst {
  name: string | null;
  expression: SqlText;
  /** The whole definition, for re-rendering. */
  definition: SqlText;
}

export interface TableOptionAst {
  /** Upper case, spaces normalized: ENGINE, CHARSET (also for CHARACTER SET), COLLATE, AUTO_INCREMENT, COMMENT… */
  name: string;
  /** The value as text (a quoted string stays quoted), or '' for a bare option (e.g. WITH SYSTEM VERSIONING). */
  value: SqlText;
}

export type ColumnPosition = { kind: 'first' } | { kind: 'after'; column: string } | null;

export interface CreateTableAst {
  kind: 'create_table';
  table: TableName;
  temporary: boolean;
  ifNotExists: boolean;
  orReplace: boolean;
  columns: ColumnAst[];
  indexes: IndexAst[];
  foreignKeys: ForeignKeyAst[];
  checks: CheckAst[];
  options: TableOptionAst[];
  /** PARTITION BY … as text, or null. */
  partition: SqlText | null;
  /** CREATE TABLE t LIKE s. */
  like: TableName | null;
  /** CREATE TABLE … [AS] SELECT: the columns come from the query (the model cannot know them). */
  asSelect: boolean;
}

export type AlterClause =
  | { kind: 'add_column'; column: ColumnAst; position: ColumnPosition; ifNotExists: boolean }
  | { kind: 'drop_column'; name: string; ifExists: boolean }
  | { kind: 'change_column'; from: string; column: ColumnAst; position: ColumnPosition; ifExists: boolean }
  | { kind: 'modify_column'; column: ColumnAst; position: ColumnPosition; ifExists: boolean }
  | { kind: 'rename_column'; from: string; to: string }
  | { kind: 'alter_column'; name: string; action: 'set_default' | 'drop_default' | 'visible' | 'invisible'; value: SqlText | null }
  | { kind: 'add_index'; index: IndexAst; ifNotExists: boolean }
  | { kind: 'drop_index'; name: string; ifExists: boolean }
  | { kind: 'drop_primary_key' }
  | { kind: 'rename_index'; from: string; to: string }
  | { kind: 'add_foreign_key'; foreignKey: ForeignKeyAst }
  | { kind: 'drop_foreign_key'; name: string; ifExists: boolean }
  | { kind: 'add_check'; check: CheckAst }
  | { kind: 'drop_constraint'; name: string; ifExists: boolean }
  | { kind: 'rename_table'; to: TableName }
  | { kind: 'convert_charset'; charset: string; collation: string | null }
  | { kind: 'table_option'; option: TableOptionAst }
  | { kind: 'algorithm_or_lock'; text: SqlText }
  /** PARTITION BY / ADD|DROP|REORGANIZE… PARTITION / REMOVE PARTITIONING: no change to columns or keys. */
  | { kind: 'partition'; text: SqlText }
  /** FORCE, ENABLE/DISABLE KEYS, ORDER BY, ALTER INDEX … VISIBLE…: no change to columns or keys. */
  | { kind: 'no_schema_change'; text: SqlText };

export interface AlterTableAst {
  kind: 'alter_table';
  table: TableName;
  ifExists: boolean;
  /** ALTER IGNORE TABLE (MariaDB). */
  ignore: boolean;
  clauses: AlterClause[];
  /**
   * Each clause as written (same order as `clauses`); '' for a clause written together with the one before it
   * (`ADD COLUMN (a INT, b INT)`, `CHARACTER SET x COLLATE y`). Used to forward the statement clause by clause.
   */
  clauseTexts: SqlText[];
}

export interface DropTableAst { kind: 'drop_table'; tables: TableName[]; temporary: boolean; ifExists: boolean }
export interface RenameTableAst { kind: 'rename_table'; renames: Array<{ from: TableName; to: TableName }> }
export interface TruncateTableAst { kind: 'truncate_table'; table: TableName }
export interface CreateIndexAst { kind: 'create_index'; table: TableName; index: IndexAst; ifNotExists: boolean }
export interface DropIndexAst { kind: 'drop_index'; table: TableName; name: string; ifExists: boolean }
export interface DatabaseAst {
  kind: 'create_database' | 'drop_database' | 'alter_database';
  database: string;
  ifExists: boolean;
  ifNotExists: boolean;
  orReplace: boolean;
  charset: string | null;
  collation: string | null;
}

export type DdlAst =
  | CreateTableAst | AlterTableAst | DropTableAst | RenameTableAst | TruncateTableAst
  | CreateIndexAst | DropIndexAst | DatabaseAst;
