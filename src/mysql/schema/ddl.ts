/**
 * Classifies the SQL of a QUERY event: transaction control (BEGIN/COMMIT/ROLLBACK/XA/SAVEPOINT),
 * DDL that changes tables or databases (with every table it touches, resolved against the event's
 * default database), or anything else.
 */
import { tokenize, SQL_MODE_ANSI_QUOTES, SQL_MODE_NO_BACKSLASH_ESCAPES, type Token } from './sql-tokenizer.js';

export interface TableName { database: string; table: string }

export type DdlAction =
  | 'create_table' | 'alter_table' | 'drop_table' | 'rename_table' | 'truncate_table'
  | 'create_index' | 'drop_index'
  | 'create_database' | 'drop_database' | 'alter_database';

export interface DdlStatement {
  action: DdlAction;
  /** Every table the statement touches, in statement order (for renames: old and new names). */
  tables: TableName[];
  /** Table renames (RENAME TABLE a TO b, ALTER TABLE a RENAME TO b). */
  renames: Array<{ from: TableName; to: TableName }>;
  /** CREATE TABLE … LIKE this. */
  likeTable?: TableName;
  /** The database of CREATE/DROP/ALTER DATABASE. */
  database?: string;
  temporary: boolean;
  ifExists: boolean;
  ifNotExists: boolean;
  /** MariaDB CREATE OR REPLACE TABLE. */
  orReplace: boolean;
  /** CREATE TABLE … [AS] SELECT. */
  asSelect: boolean;
}

export type XaAction = 'start' | 'end' | 'prepare' | 'commit' | 'rollback' | 'recover';

export type StatementClass =
  | { kind: 'begin' }
  | { kind: 'commit' }
  | { kind: 'rollback' }
  /** SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO [SAVEPOINT]. */
  | { kind: 'savepoint' }
  | { kind: 'xa'; action: XaAction; onePhase: boolean }
  | { kind: 'ddl'; ddl: DdlStatement }
  /** Anything else: GRANT, CREATE USER/VIEW/TRIGGER/PROCEDURE, SET, FLUSH, statement-format DML, … */
  | { kind: 'other' };

export interface ClassifyOptions {
  /** The QUERY event's sql_mode (ANSI_QUOTES and NO_BACKSLASH_ESCAPES change how quotes read). */
  sqlMode?: bigint;
}

/** Classify one statement; `defaultDatabase` is the QUERY event's database (for unqualified names). */
export function classifyStatement(sql: string, defaultDatabase: string, opts: ClassifyOptions = {}): StatementClass {
  const mode = opts.sqlMode ?? 0n;
  const head = tokenize(sql, {
    ansiQuotes: (mode & SQL_MODE_ANSI_QUOTES) !== 0n,
    noBackslashEscapes: (mode & SQL_MODE_NO_BACKSLASH_ESCAPES) !== 0n,
    maxTokens: 8,
  });
  const w0 = kw(head[0]);
  const w1 = kw(head[1]);
  switch (w0) {
    case 'BEGIN':
      // BEGIN [WORK]; MariaDB `BEGIN NOT ATOMIC` is a compound statement, not a transaction start.
      return w1 === 'NOT' ? { kind: 'other' } : { kind: 'begin' };
    case 'START':
      return w1 === 'TRANSACTION' ? { kind: 'begin' } : { kind: 'other' };
    case 'COMMIT':
      return { kind: 'commit' };
    case 'ROLLBACK':
      if (w1 === 'TO' || (w1 === 'WORK' && kw(head[2]) === 'TO')) return { kind: 'savepoint' };
      return { kind: 'rollback' };
    case 'SAVEPOINT':
      return { kind: 'savepoint' };
    case 'RELEASE':
      return w1 === 'SAVEPOINT' ? { kind: 'savepoint' } : { kind: 'other' };
    case 'XA':
      return classifyXa(head);
    case 'CREATE': case 'ALTER': case 'DROP': case 'RENAME': case 'TRUNCATE':
      break;
    default:
      return { kind: 'other' };
  }
  const tokens = tokenize(sql, {
    ansiQuotes: (mode & SQL_MODE_ANSI_QUOTES) !== 0n,
    noBackslashEscapes: (mode & SQL_MODE_NO_BACKSLASH_ESCAPES) !== 0n,
  });
  const ddl = new DdlParser(tokens, defaultDatabase).parse();
  return ddl ? { kind: 'ddl', ddl } : { kind: 'other' };
}

function kw(t: Token | undefined): string {
  return t !== undefined && t.t === 'word' ? t.u : '';
}

function classifyXa(head: Token[]): StatementClass {
  const a = kw(head[1]);
  const action: XaAction | null =
    a === 'START' || a === 'BEGIN' ? 'start'
      : a === 'END' ? 'end'
        : a === 'PREPARE' ? 'prepare'
          : a === 'COMMIT' ? 'commit'
            : a === 'ROLLBACK' ? 'rollback'
              : a === 'RECOVER' ? 'recover' : null;
  if (action === null) return { kind: 'other' };
  const words = head.map(kw);
  const onePhase = action === 'commit' && words.includes('ONE') && words.includes('PHASE');
  return { kind: 'xa', action, onePhase };
}

function emptyDdl(action: DdlAction): DdlStatement {
  return { action, tables: [], renames: [], temporary: false, ifExists: false, ifNotExists: false, orReplace: false, asSelect: false };
}

/** Recursive-descent reader over the tokens of one CREATE/ALTER/DROP/RENAME/TRUNCATE statement. */
class DdlParser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly defaultDb: string) {}

  parse(): DdlStatement | null {
    const verb = this.word();
    this.i++;
    switch (verb) {
      case 'CREATE': return this.create();
      case 'ALTER': return this.alter();
      case 'DROP': return this.drop();
      case 'RENAME': return this.rename();
      case 'TRUNCATE': return this.truncate();
      default: return null;
    }
  }

  private word(at = this.i): string {
    return kw(this.tokens[at]);
  }

  private accept(...words: string[]): boolean {
    if (words.includes(this.word())) { this.i++; return true; }
    return false;
  }

  private acceptSeq(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (this.word(this.i + k) !== words[k]) return false;
    this.i += words.length;
    return true;
  }

  private punct(v: string, at = this.i): boolean {
    const t = this.tokens[at];
    return t !== undefined && t.t === 'punct' && t.v === v;
  }

  private ident(): string | null {
    const t = this.tokens[this.i];
    if (t === undefined) return null;
    if (t.t === 'qid' || t.t === 'word') { this.i++; return t.v; }
    // Names in double quotes under ANSI_QUOTES are tokenized as qid; plain strings are not names.
    return null;
  }

  private tableName(): TableName | null {
    const first = this.ident();
    if (first === null) return null;
    if (this.punct('.')) {
      this.i++;
      const second = this.ident();
      if (second === null) return null;
      return { database: first, table: second };
    }
    return { database: this.defaultDb, table: first };
  }

  private ifExists(d: DdlStatement): void {
    if (this.acceptSeq('IF', 'EXISTS')) d.ifExists = true;
  }

  private ifNotExists(d: DdlStatement): void {
    if (this.acceptSeq('IF', 'NOT', 'EXISTS')) d.ifNotExists = true;
  }

  private create(): DdlStatement | null {
    let orReplace = false;
    if (this.acceptSeq('OR', 'REPLACE')) orReplace = true;
    let temporary = false;
    if (this.accept('TEMPORARY')) temporary = true;
    if (this.accept('TABLE')) return this.createTable(orReplace, temporary);
    if (this.accept('DATABASE', 'SCHEMA')) return this.database('create_database', orReplace);
    // CREATE [ONLINE|OFFLINE] [UNIQUE|FULLTEXT|SPATIAL] INDEX name [USING …] ON tbl
    this.accept('ONLINE', 'OFFLINE');
    this.accept('UNIQUE', 'FULLTEXT', 'SPATIAL');
    if (this.accept('INDEX', 'KEY')) return this.indexOn('create_index', orReplace);
    return null;
  }

  private createTable(orReplace: boolean, temporary: boolean): DdlStatement | null {
    const d = emptyDdl('create_table');
    d.orReplace = orReplace;
    d.temporary = temporary;
    this.ifNotExists(d);
    const name = this.tableName();
    if (name === null) return null;
    d.tables.push(name);
    // CREATE TABLE t LIKE s | CREATE TABLE t (LIKE s)
    const save = this.i;
    if (this.punct('(')) this.i++;
    if (this.accept('LIKE')) {
      const like = this.tableName();
      if (like !== null) { d.likeTable = like; d.tables.push(like); }
      return d;
    }
    this.i = save;
    d.asSelect = this.hasTopLevelSelect(this.i);
    return d;
  }

  /** True when a SELECT (or TABLE/VALUES query) appears outside the column list's parentheses. */
  private hasTopLevelSelect(from: number): boolean {
    let depth = 0;
    for (let k = from; k < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      if (t.t === 'punct') {
        if (t.v === '(') {
          // `CREATE TABLE t (SELECT …)` — a parenthesized query at top level.
          if (depth === 0 && kw(this.tokens[k + 1]) === 'SELECT') return true;
          depth++;
        } else if (t.v === ')') depth--;
        continue;
      }
      if (depth === 0 && t.t === 'word' && (t.u === 'SELECT' || t.u === 'AS' && kw(this.tokens[k + 1]) === 'SELECT')) return true;
    }
    return false;
  }

  private database(action: 'create_database' | 'drop_database' | 'alter_database', orReplace = false): DdlStatement | null {
    const d = emptyDdl(action);
    d.orReplace = orReplace;
    if (action === 'drop_database') this.ifExists(d);
    else this.ifNotExists(d);
    // ALTER DATABASE may omit the name (then it is the default database).
    const save = this.i;
    const name = this.ident();
    if (name === null || (action === 'alter_database' && isDbOptionWord(name.toUpperCase()) && this.tokens[save]!.t === 'word')) {
      if (action !== 'alter_database') return null;
      d.database = this.defaultDb;
      return d;
    }
    d.database = name;
    return d;
  }

  private indexOn(action: 'create_index' | 'drop_index', orReplace = false): DdlStatement | null {
    const d = emptyDdl(action);
    d.orReplace = orReplace;
    if (action === 'create_index') this.ifNotExists(d);
    else this.ifExists(d);
    if (this.ident() === null) return null;
    // Skip to ON at this level (USING BTREE may sit between).
    while (this.i < this.tokens.length && this.word() !== 'ON') this.i++;
    if (!this.accept('ON')) return null;
    const t = this.tableName();
    if (t === null) return null;
    d.tables.push(t);
    return d;
  }

  private alter(): DdlStatement | null {
    this.accept('ONLINE', 'OFFLINE');
    this.accept('IGNORE');
    if (this.accept('DATABASE', 'SCHEMA')) return this.database('alter_database');
    if (!this.accept('TABLE')) return null;
    const d = emptyDdl('alter_table');
    this.ifExists(d);
    const name = this.tableName();
    if (name === null) return null;
    d.tables.push(name);
    // Find RENAME [TO|AS] new at the top level: not RENAME COLUMN/INDEX/KEY.
    let depth = 0;
    for (let k = this.i; k < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      if (t.t === 'punct') {
        if (t.v === '(') depth++;
        else if (t.v === ')') depth--;
        continue;
      }
      if (depth !== 0 || t.t !== 'word' || t.u !== 'RENAME') continue;
      const next = kw(this.tokens[k + 1]);
      if (next === 'COLUMN' || next === 'INDEX' || next === 'KEY') continue;
      this.i = k + 1;
      this.accept('TO', 'AS');
      const to = this.tableName();
      if (to !== null) {
        d.renames.push({ from: name, to });
        d.tables.push(to);
      }
      break;
    }
    return d;
  }

  private drop(): DdlStatement | null {
    let temporary = false;
    if (this.accept('TEMPORARY')) temporary = true;
    if (this.accept('TABLE', 'TABLES')) {
      const d = emptyDdl('drop_table');
      d.temporary = temporary;
      this.ifExists(d);
      this.nameList(d.tables);
      return d.tables.length > 0 ? d : null;
    }
    if (this.accept('DATABASE', 'SCHEMA')) return this.database('drop_database');
    this.accept('ONLINE', 'OFFLINE');
    if (this.accept('INDEX', 'KEY')) return this.indexOn('drop_index');
    return null;
  }

  private nameList(into: TableName[]): void {
    for (;;) {
      const t = this.tableName();
      if (t === null) return;
      into.push(t);
      if (!this.punct(',')) return;
      this.i++;
    }
  }

  private rename(): DdlStatement | null {
    if (!this.accept('TABLE', 'TABLES')) return null;
    const d = emptyDdl('rename_table');
    this.ifExists(d);
    for (;;) {
      const from = this.tableName();
      if (from === null) break;
      if (this.accept('WAIT')) this.i++;
      else this.accept('NOWAIT');
      if (!this.accept('TO')) break;
      const to = this.tableName();
      if (to === null) break;
      d.renames.push({ from, to });
      d.tables.push(from, to);
      if (!this.punct(',')) break;
      this.i++;
    }
    return d.renames.length > 0 ? d : null;
  }

  private truncate(): DdlStatement | null {
    this.accept('TABLE');
    const d = emptyDdl('truncate_table');
    const t = this.tableName();
    if (t === null) return null;
    d.tables.push(t);
    return d;
  }
}

function isDbOptionWord(u: string): boolean {
  return u === 'DEFAULT' || u === 'CHARACTER' || u === 'CHARSET' || u === 'COLLATE' || u === 'ENCRYPTION' || u === 'READ' || u === 'COMMENT' || u === 'UPGRADE';
}
