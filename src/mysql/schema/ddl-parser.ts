/**
 * A recursive-descent parser for the MySQL/MariaDB DDL subset that changes tables and databases, into
 * the AST of `ddl-ast.ts`. It reads the tokens of `sql-tokenizer.ts` (quoting, escapes, `/*! *\/` and
 * `/*M! *\/` executable comments, comments, ANSI_QUOTES / NO_BACKSLASH_ESCAPES), never the text itself.
 *
 * `parseDdl` returns null for statements that are not table/database DDL (DML, GRANT, views, routines…),
 * and throws `DDL_UNSUPPORTED` naming the statement for table DDL it cannot read — callers never guess.
 * Why our own parser and not a library: see docs/architecture.md ("DDL parser").
 */
import { SluiceError } from '../../errors.js';
import type { TableName } from './ddl.js';
import type {
  AlterClause, AlterTableAst, CheckAst, ColumnAst, ColumnPosition, CreateTableAst, DataTypeAst, DatabaseAst, DdlAst,
  ForeignKeyAst, IndexAst, IndexKind, ReferentialAction, SqlText, TableOptionAst,
} from './ddl-ast.js';
import { tokenize, SQL_MODE_ANSI_QUOTES, SQL_MODE_NO_BACKSLASH_ESCAPES, type Token } from './sql-tokenizer.js';

export interface ParseOptions {
  /** The session's default database (unqualified names resolve to it). */
  defaultDatabase?: string;
  /** The statement's sql_mode (ANSI_QUOTES, NO_BACKSLASH_ESCAPES change how quotes read). */
  sqlMode?: bigint;
}

/** Thrown inside the parser; turned into a SluiceError naming the statement by `parseDdl`. */
class ParseFailure extends Error {}

/** Parse one statement. Null: not table/database DDL. Throws DDL_UNSUPPORTED when it is but cannot be read. */
export function parseDdl(sql: string, opts: ParseOptions = {}): DdlAst | null {
  const mode = opts.sqlMode ?? 0n;
  const tokens = tokenize(sql, {
    ansiQuotes: (mode & SQL_MODE_ANSI_QUOTES) !== 0n,
    noBackslashEscapes: (mode & SQL_MODE_NO_BACKSLASH_ESCAPES) !== 0n,
  });
  // A trailing semicolon is allowed.
  while (tokens.length > 0 && isPunct(tokens[tokens.length - 1], ';')) tokens.pop();
  const p = new Parser(sql, tokens, opts.defaultDatabase ?? '');
  try {
    return p.statement();
  } catch (err) {
    if (!(err instanceof ParseFailure)) throw err;
    throw new SluiceError('DDL_UNSUPPORTED', `cannot parse DDL statement (${err.message}): ${sql.length > 300 ? `${sql.slice(0, 300)}…` : sql}`,
      'report the statement to the Sluice developers; meanwhile use binlog_row_metadata=FULL on the source, or skip this DDL and re-snapshot the tables it changed',
      { statement: sql.slice(0, 2000), reason: err.message });
  }
}

function kw(t: Token | undefined): string {
  return t !== undefined && t.t === 'word' ? t.u : '';
}

function isPunct(t: Token | undefined, v: string): boolean {
  return t !== undefined && t.t === 'punct' && t.v === v;
}

const ACTIONS: Record<string, ReferentialAction> = { RESTRICT: 'RESTRICT', CASCADE: 'CASCADE', 'SET NULL': 'SET NULL', 'NO ACTION': 'NO ACTION', 'SET DEFAULT': 'SET DEFAULT' };

/** Table options of CREATE/ALTER TABLE (MySQL 8 and MariaDB 11), besides CHARACTER SET and WITH SYSTEM VERSIONING. */
const TABLE_OPTIONS = new Set([
  'ENGINE', 'TYPE', 'AUTO_INCREMENT', 'AVG_ROW_LENGTH', 'CHARSET', 'CHECKSUM', 'TABLE_CHECKSUM', 'COLLATE', 'COMMENT', 'COMPRESSION',
  'CONNECTION', 'DATA', 'INDEX', 'DELAY_KEY_WRITE', 'ENCRYPTION', 'ENCRYPTED', 'ENCRYPTION_KEY_ID', 'INSERT_METHOD', 'KEY_BLOCK_SIZE',
  'MAX_ROWS', 'MIN_ROWS', 'PACK_KEYS', 'PASSWORD', 'ROW_FORMAT', 'STATS_AUTO_RECALC', 'STATS_PERSISTENT', 'STATS_SAMPLE_PAGES',
  'TABLESPACE', 'UNION', 'PAGE_CHECKSUM', 'TRANSACTIONAL', 'PAGE_COMPRESSED', 'PAGE_COMPRESSION_LEVEL', 'IETF_QUOTES', 'SEQUENCE',
  'ENGINE_ATTRIBUTE', 'SECONDARY_ENGINE', 'SECONDARY_ENGINE_ATTRIBUTE', 'AUTOEXTEND_SIZE', 'READ', 'UPGRADE',
]);

class Parser {
  private i = 0;
  constructor(private readonly sql: string, private readonly tokens: Token[], private readonly defaultDb: string) {}

  // ── token helpers ────────────────────────────────────────────────────────────────────────
  private peek(k = 0): Token | undefined { return this.tokens[this.i + k]; }
  private word(k = 0): string {
    const t = this.tokens[this.i + k];
    return t !== undefined && t.t === 'word' ? t.u : '';
  }
  private atEnd(): boolean { return this.i >= this.tokens.length; }
  private punct(v: string, k = 0): boolean { return isPunct(this.tokens[this.i + k], v); }
  private accept(...words: string[]): string | null {
    const w = this.word();
    if (w !== '' && words.includes(w)) { this.i++; return w; }
    return null;
  }
  private acceptSeq(...words: string[]): boolean {
    for (let k = 0; k < words.length; k++) if (this.word(k) !== words[k]) return false;
    this.i += words.length;
    return true;
  }
  private acceptPunct(v: string): boolean {
    if (this.punct(v)) { this.i++; return true; }
    return false;
  }
  private expectPunct(v: string): void {
    if (!this.acceptPunct(v)) this.fail(`expected "${v}"`);
  }
  private expectWord(...words: string[]): string {
    const w = this.accept(...words);
    if (w === null) this.fail(`expected ${words.join(' or ')}`);
    return w;
  }
  /** Skip one value token (a number, string or name); there must be one. */
  private skipValue(): void {
    if (this.atEnd()) this.fail('expected a value');
    this.i++;
  }
  private fail(what: string): never {
    const t = this.peek();
    throw new ParseFailure(t === undefined ? `${what} at the end` : `${what} at "${this.sql.slice(t.s, Math.min(t.e + 20, this.sql.length))}"`);
  }
  /** An identifier: backquoted, or a bare word (keywords are allowed where MySQL allows them unquoted). */
  private ident(): string {
    const t = this.peek();
    if (t !== undefined && (t.t === 'qid' || t.t === 'word')) { this.i++; return t.v; }
    this.fail('expected a name');
  }
  /** A name that may also be written as a string (charset names, engine names). */
  private nameOrString(): string {
    const t = this.peek();
    if (t !== undefined && (t.t === 'qid' || t.t === 'word' || t.t === 'str')) { this.i++; return t.v; }
    this.fail('expected a name');
  }
  private tableName(): TableName {
    const first = this.ident();
    if (this.punct('.')) {
      this.i++;
      return { database: first, table: this.ident() };
    }
    return { database: this.defaultDb, table: first };
  }
  private ifExists(): boolean { return this.acceptSeq('IF', 'EXISTS'); }
  private ifNotExists(): boolean { return this.acceptSeq('IF', 'NOT', 'EXISTS'); }

  /** Tokens [from, to) as text: raw token text, one space where the source had a gap. */
  private text(from: number, to: number): SqlText {
    let out = '';
    for (let k = from; k < Math.min(to, this.tokens.length); k++) {
      const t = this.tokens[k]!;
      if (k > from && t.s > this.tokens[k - 1]!.e) out += ' ';
      out += this.sql.slice(t.s, t.e);
    }
    return out;
  }
  /** Skip a balanced parenthesized group starting at "(", return the text inside it. */
  private group(): SqlText {
    if (!this.punct('(')) this.fail('expected "("');
    const start = this.i;
    let depth = 0;
    for (; this.i < this.tokens.length; this.i++) {
      if (this.punct('(')) depth++;
      else if (this.punct(')')) {
        depth--;
        if (depth === 0) { this.i++; return this.text(start + 1, this.i - 1); }
      }
    }
    this.fail('unbalanced parentheses');
  }
  /**
   * Index of the end of the current list item: the next "," or ")" at depth 0 (or the end). In ALTER TABLE
   * (`stopAtParen` false) partition options end an item too: they follow the last clause without a comma.
   */
  private itemEnd(stopAtParen = true): number {
    let depth = 0;
    for (let k = this.i; k < this.tokens.length; k++) {
      const t = this.tokens[k]!;
      if (!stopAtParen && depth === 0 && k > this.i && t.t === 'word'
        && (t.u === 'PARTITION' || (t.u === 'REMOVE' && kw(this.tokens[k + 1]) === 'PARTITIONING'))) return k;
      if (t.t !== 'punct') continue;
      if (t.v === '(') depth++;
      else if (t.v === ')') {
        if (depth === 0 && stopAtParen) return k;
        depth--;
      } else if (t.v === ',' && depth === 0) return k;
    }
    return this.tokens.length;
  }

  // ── statements ───────────────────────────────────────────────────────────────────────────
  statement(): DdlAst | null {
    const verb = this.word();
    switch (verb) {
      case 'CREATE': this.i++; return this.create();
      case 'ALTER': this.i++; return this.alter();
      case 'DROP': this.i++; return this.drop();
      case 'RENAME': this.i++; return this.rename();
      case 'TRUNCATE': this.i++; return this.truncate();
      default: return null;
    }
  }

  private create(): DdlAst | null {
    const orReplace = this.acceptSeq('OR', 'REPLACE');
    const temporary = this.accept('TEMPORARY') !== null;
    if (this.accept('TABLE')) return this.createTable(orReplace, temporary);
    if (this.accept('DATABASE', 'SCHEMA')) return this.database('create_database', orReplace);
    this.accept('ONLINE', 'OFFLINE');
    const kindWord = this.accept('UNIQUE', 'FULLTEXT', 'SPATIAL');
    if (this.accept('INDEX', 'KEY')) {
      const ifNotExists = this.ifNotExists();
      const start = this.i;
      const name = this.ident();
      if (this.accept('USING', 'TYPE')) this.ident();
      this.expectWord('ON');
      const table = this.tableName();
      const colsStart = this.i;
      const columns = this.keyParts();
      const kind: IndexKind = kindWord === 'UNIQUE' ? 'unique' : kindWord === 'FULLTEXT' ? 'fulltext' : kindWord === 'SPATIAL' ? 'spatial' : 'index';
      const head = kind === 'index' ? 'KEY' : `${kindWord!} KEY`;
      const optsStart = this.i;
      this.skipIndexOptions();
      const definition = `${head} ${this.text(start, start + 1)} ${this.text(colsStart, optsStart)}${optsStart < this.i ? ` ${this.text(optsStart, this.i)}` : ''}`;
      this.skipLockOptions();
      this.end();
      return { kind: 'create_index', table, index: { kind, name, columns, definition }, ifNotExists };
    }
    return null;
  }

  private end(): void {
    if (!this.atEnd()) this.fail('unexpected text');
  }

  private createTable(orReplace: boolean, temporary: boolean): CreateTableAst {
    const ifNotExists = this.ifNotExists();
    const table = this.tableName();
    const ast: CreateTableAst = {
      kind: 'create_table', table, temporary, ifNotExists, orReplace, columns: [], indexes: [], foreignKeys: [], checks: [],
      options: [], partition: null, like: null, asSelect: false,
    };
    if (this.accept('LIKE')) { ast.like = this.tableName(); this.end(); return ast; }
    if (this.punct('(') && this.word(1) === 'LIKE') {
      this.i += 2;
      ast.like = this.tableName();
      this.expectPunct(')');
      this.end();
      return ast;
    }
    if (this.punct('(') && (this.word(1) === 'SELECT' || this.word(1) === 'WITH' || this.punct('(', 1))) {
      ast.asSelect = true;
      return ast;
    }
    if (this.acceptPunct('(')) {
      for (;;) {
        this.createDefinition(ast);
        if (this.acceptPunct(',')) continue;
        this.expectPunct(')');
        break;
      }
    }
    this.tableOptions(ast.options);
    if (this.word() === 'PARTITION') {
      const start = this.i;
      let depth = 0;
      while (!this.atEnd() && !(depth === 0 && this.isQueryStart())) {
        if (this.punct('(')) depth++;
        else if (this.punct(')')) depth--;
        this.i++;
      }
      ast.partition = this.text(start, this.i);
    }
    if (!this.atEnd()) {
      this.accept('IGNORE', 'REPLACE');
      this.accept('AS');
      if (this.isQueryStart()) { ast.asSelect = true; return ast; }
      this.fail('unexpected text after the table definition');
    }
    return ast;
  }

  private isQueryStart(): boolean {
    const w = this.word();
    if (w === 'SELECT' || w === 'WITH' || w === 'VALUES' || w === 'TABLE') return true;
    if (w === 'AS' || w === 'IGNORE' || w === 'REPLACE') return true;
    return this.punct('(') && (this.word(1) === 'SELECT' || this.word(1) === 'WITH');
  }

  /** One item of a CREATE TABLE list: a column, an index, a foreign key, a check, or a MariaDB period. */
  private createDefinition(ast: Pick<CreateTableAst, 'columns' | 'indexes' | 'foreignKeys' | 'checks'>): void {
    const item = this.tableElement();
    if (item.kind === 'column') ast.columns.push(item.column);
    else if (item.kind === 'index') ast.indexes.push(item.index);
    else if (item.kind === 'fk') ast.foreignKeys.push(item.fk);
    else if (item.kind === 'check') ast.checks.push(item.check);
  }

  private tableElement(): { kind: 'column'; column: ColumnAst } | { kind: 'index'; index: IndexAst } | { kind: 'fk'; fk: ForeignKeyAst }
    | { kind: 'check'; check: CheckAst } | { kind: 'period' } {
    const w = this.word();
    const t = this.peek();
    const isKeyword = t !== undefined && t.t === 'word';
    if (isKeyword && w === 'PERIOD' && this.word(1) === 'FOR') {
      this.i = this.itemEnd();
      return { kind: 'period' };
    }
    if (isKeyword && (w === 'CONSTRAINT' || w === 'PRIMARY' || w === 'UNIQUE' || w === 'INDEX' || w === 'KEY' || w === 'FULLTEXT'
      || w === 'SPATIAL' || w === 'FOREIGN' || (w === 'CHECK' && this.punct('(', 1)))) {
      // `CONSTRAINT` may also be… a column named constraint? Only when followed by a type; MySQL needs it quoted.
      return this.constraintElement();
    }
    return { kind: 'column', column: this.columnDefinition(this.itemEnd()) };
  }

  private constraintElement(): { kind: 'index'; index: IndexAst } | { kind: 'fk'; fk: ForeignKeyAst } | { kind: 'check'; check: CheckAst } {
    const start = this.i;
    let constraintName: string | null = null;
    if (this.accept('CONSTRAINT')) {
      if (!(this.word() === 'PRIMARY' || this.word() === 'UNIQUE' || this.word() === 'FOREIGN' || this.word() === 'CHECK') || this.peek()?.t === 'qid') {
        constraintName = this.ident();
      }
    }
    const w = this.word();
    if (w === 'FOREIGN') {
      this.i++;
      this.expectWord('KEY');
      this.ifNotExists();
      let name = constraintName;
      if (!this.punct('(')) {
        const idx = this.ident();
        name ??= idx;
      }
      const columns = this.nameList();
      const fk = this.references(name, columns);
      return { kind: 'fk', fk };
    }
    if (w === 'CHECK') {
      this.i++;
      const exprStart = this.i + 1;
      this.group();
      const expression = this.text(exprStart, this.i - 1);
      if (!this.acceptSeq('NOT', 'ENFORCED')) this.accept('ENFORCED');
      return { kind: 'check', check: { name: constraintName, expression, definition: this.text(start, this.i) } };
    }
    let kind: IndexKind;
    const headStart = this.i;
    if (this.acceptSeq('PRIMARY', 'KEY')) kind = 'primary';
    else if (this.accept('UNIQUE')) { this.accept('INDEX', 'KEY'); kind = 'unique'; }
    else if (this.accept('FULLTEXT')) { this.accept('INDEX', 'KEY'); kind = 'fulltext'; }
    else if (this.accept('SPATIAL')) { this.accept('INDEX', 'KEY'); kind = 'spatial'; }
    else if (this.accept('INDEX', 'KEY')) kind = 'index';
    else this.fail('expected a key definition');
    this.ifNotExists();
    let name: string | null = kind === 'primary' ? 'PRIMARY' : constraintName;
    if (kind !== 'primary' && !this.punct('(') && this.word() !== 'USING' && this.word() !== 'TYPE') name = this.ident();
    else if (kind === 'primary' && !this.punct('(') && this.word() !== 'USING') this.ident();
    if (this.accept('USING', 'TYPE')) this.ident();
    const partsStart = this.i;
    const columns = this.keyParts();
    const partsEnd = this.i;
    this.skipIndexOptions();
    const head = kind === 'primary' ? 'PRIMARY KEY' : kind === 'unique' ? 'UNIQUE KEY' : kind === 'fulltext' ? 'FULLTEXT KEY' : kind === 'spatial' ? 'SPATIAL KEY' : 'KEY';
    void headStart;
    const rest = partsEnd < this.i ? ` ${this.text(partsEnd, this.i)}` : '';
    const definition = `${head}${kind === 'primary' || name === null ? '' : ` ${quoteIdent(name)}`} ${this.text(partsStart, partsEnd)}${rest}`;
    return { kind: 'index', index: { kind, name, columns, definition } };
  }

  /** `REFERENCES t (cols) [MATCH …] [ON DELETE a] [ON UPDATE a]`. */
  private references(name: string | null, columns: string[]): ForeignKeyAst {
    this.expectWord('REFERENCES');
    const first = this.ident();
    let refDatabase: string | null = null;
    let refTable = first;
    if (this.acceptPunct('.')) { refDatabase = first; refTable = this.ident(); }
    const refColumns = this.punct('(') ? this.nameList() : [];
    const fk: ForeignKeyAst = { name, columns, refDatabase, refTable, refColumns, onDelete: null, onUpdate: null };
    for (;;) {
      if (this.accept('MATCH')) { this.accept('FULL', 'PARTIAL', 'SIMPLE'); continue; }
      if (this.word() === 'ON' && (this.word(1) === 'DELETE' || this.word(1) === 'UPDATE')) {
        this.i++;
        const which = this.expectWord('DELETE', 'UPDATE');
        const action = this.referentialAction();
        if (which === 'DELETE') fk.onDelete = action;
        else fk.onUpdate = action;
        continue;
      }
      break;
    }
    return fk;
  }

  private referentialAction(): ReferentialAction {
    if (this.accept('RESTRICT')) return 'RESTRICT';
    if (this.accept('CASCADE')) return 'CASCADE';
    if (this.acceptSeq('SET', 'NULL')) return 'SET NULL';
    if (this.acceptSeq('SET', 'DEFAULT')) return 'SET DEFAULT';
    if (this.acceptSeq('NO', 'ACTION')) return 'NO ACTION';
    this.fail('expected a referential action');
  }

  /** `(a, b)`: plain names. */
  private nameList(): string[] {
    this.expectPunct('(');
    const out: string[] = [];
    for (;;) {
      out.push(this.ident());
      if (this.acceptPunct(',')) continue;
      this.expectPunct(')');
      return out;
    }
  }

  /** Key parts `(a, b(10) DESC, (expr))`: the column names, or an expression's text. */
  private keyParts(): string[] {
    this.expectPunct('(');
    const out: string[] = [];
    for (;;) {
      if (this.punct('(')) {
        const s = this.i;
        this.group();
        out.push(this.text(s, this.i));
      } else {
        out.push(this.ident());
        if (this.punct('(')) this.group();
      }
      this.accept('ASC', 'DESC');
      if (this.acceptPunct(',')) continue;
      this.expectPunct(')');
      return out;
    }
  }

  private skipIndexOptions(): void {
    for (;;) {
      if (this.acceptSeq('KEY_BLOCK_SIZE')) { this.acceptPunct('='); this.skipValue(); continue; }
      if (this.accept('USING', 'TYPE')) { this.ident(); continue; }
      if (this.acceptSeq('WITH', 'PARSER')) { this.ident(); continue; }
      if (this.accept('COMMENT')) { this.skipValue(); continue; }
      if (this.accept('VISIBLE', 'INVISIBLE', 'IGNORED', 'CLUSTERING')) { this.acceptPunct('='); this.accept('YES', 'NO'); continue; }
      if (this.acceptSeq('NOT', 'IGNORED')) continue;
      if (this.accept('ENGINE_ATTRIBUTE', 'SECONDARY_ENGINE_ATTRIBUTE')) { this.acceptPunct('='); this.skipValue(); continue; }
      return;
    }
  }

  private skipLockOptions(): void {
    for (;;) {
      if (this.accept('ALGORITHM', 'LOCK')) { this.acceptPunct('='); this.ident(); continue; }
      if (this.accept('WAIT')) { this.skipValue(); continue; }
      if (this.accept('NOWAIT')) continue;
      return;
    }
  }

  /** A column definition from the current token up to `end` (exclusive; "," or ")" of the list). */
  private columnDefinition(end: number, trailingPosition = false): ColumnAst & { position?: ColumnPosition } {
    const name = this.ident();
    let stop = end;
    let position: ColumnPosition = null;
    if (trailingPosition) {
      const last = this.tokens[end - 1];
      const before = this.tokens[end - 2];
      if (end - 2 > this.i && before?.t === 'word' && before.u === 'AFTER' && last !== undefined && (last.t === 'word' || last.t === 'qid')) {
        position = { kind: 'after', column: last.v };
        stop = end - 2;
      } else if (end - 1 > this.i && last?.t === 'word' && last.u === 'FIRST') {
        position = { kind: 'first' };
        stop = end - 1;
      }
    }
    const defStart = this.i;
    const type = this.dataType();
    const col: ColumnAst & { position?: ColumnPosition } = {
      name, type, nullable: null, defaultValue: null, autoIncrement: false, charset: null, collation: null, generated: null,
      invisible: false, inlinePrimaryKey: false, inlineUnique: false, comment: null, inlineReference: null, definition: '',
    };
    if (type.name === 'serial') {
      // SERIAL = BIGINT UNSIGNED NOT NULL AUTO_INCREMENT UNIQUE
      col.type = { ...type, name: 'bigint', unsigned: true, text: 'bigint unsigned' };
      col.nullable = false; col.autoIncrement = true; col.inlineUnique = true;
    }
    while (this.i < stop) {
      if (this.accept('NOT')) {
        if (this.accept('NULL')) col.nullable = false;
        else if (this.accept('SECONDARY')) { /* NOT SECONDARY */ } else this.fail('expected NULL after NOT');
        continue;
      }
      if (this.accept('NULL')) { col.nullable = true; continue; }
      if (this.accept('DEFAULT')) { col.defaultValue = this.valueText(stop); continue; }
      if (this.accept('AUTO_INCREMENT')) { col.autoIncrement = true; continue; }
      if (this.acceptSeq('SERIAL', 'DEFAULT', 'VALUE')) { col.nullable = false; col.autoIncrement = true; col.inlineUnique = true; continue; }
      if (this.word() === 'PRIMARY' || (this.word() === 'KEY' && this.word(-1) !== 'UNIQUE')) {
        this.accept('PRIMARY');
        this.expectWord('KEY');
        col.inlinePrimaryKey = true;
        continue;
      }
      if (this.accept('UNIQUE')) { this.accept('KEY'); col.inlineUnique = true; continue; }
      if (this.accept('COMMENT')) { const t = this.peek(); col.comment = t?.t === 'str' ? t.v : null; this.skipValue(); continue; }
      if (this.accept('COLLATE')) { col.collation = this.nameOrString(); continue; }
      if (this.word() === 'CHARACTER' && this.word(1) === 'SET') { this.i += 2; col.charset = this.nameOrString(); continue; }
      if (this.accept('CHARSET')) { col.charset = this.nameOrString(); continue; }
      if (this.accept('BINARY')) continue; // CHAR(10) BINARY: the charset's binary collation; kept in the text
      if (this.accept('ASCII')) { col.charset = 'latin1'; continue; }
      if (this.accept('UNICODE')) { col.charset = 'ucs2'; continue; }
      if (this.word() === 'GENERATED' || this.word() === 'AS') {
        if (this.accept('GENERATED')) this.expectWord('ALWAYS');
        this.expectWord('AS');
        const s = this.i + 1;
        this.group();
        const expression = this.text(s, this.i - 1);
        const k = this.accept('VIRTUAL', 'STORED', 'PERSISTENT');
        col.generated = { expression, kind: k === 'STORED' || k === 'PERSISTENT' ? 'stored' : 'virtual' };
        continue;
      }
      if (this.accept('INVISIBLE')) { col.invisible = true; continue; }
      if (this.accept('VISIBLE')) { col.invisible = false; continue; }
      if (this.word() === 'ON' && this.word(1) === 'UPDATE') { this.i += 2; this.valueText(stop); continue; }
      if (this.word() === 'CONSTRAINT' || this.word() === 'CHECK') {
        if (this.accept('CONSTRAINT') && this.word() !== 'CHECK') this.ident();
        this.expectWord('CHECK');
        this.group();
        if (!this.acceptSeq('NOT', 'ENFORCED')) this.accept('ENFORCED');
        continue;
      }
      if (this.word() === 'REFERENCES') { col.inlineReference = this.references(null, [name]); continue; }
      if (this.accept('COLUMN_FORMAT', 'STORAGE')) { this.skipValue(); continue; }
      if (this.accept('SRID', 'REF_SYSTEM_ID')) { this.acceptPunct('='); this.skipValue(); continue; }
      if (this.accept('ENGINE_ATTRIBUTE', 'SECONDARY_ENGINE_ATTRIBUTE')) { this.acceptPunct('='); this.skipValue(); continue; }
      if (this.acceptSeq('WITH', 'SYSTEM', 'VERSIONING') || this.acceptSeq('WITHOUT', 'SYSTEM', 'VERSIONING')) continue;
      if (this.accept('COMPRESSED')) { if (this.acceptPunct('=')) this.ident(); continue; }
      this.fail(`unknown attribute of column ${name}`);
    }
    col.definition = this.text(defStart, stop);
    this.i = end;
    if (trailingPosition) col.position = position;
    return col;
  }

  /** A DEFAULT / ON UPDATE value: a literal (with sign or introducer), a function call, or a parenthesized expression. */
  private valueText(stop: number): SqlText {
    const s = this.i;
    if (this.punct('(')) { this.group(); return this.text(s, this.i); }
    if (this.punct('-') || this.punct('+')) this.i++;
    const t = this.peek();
    if (t === undefined || this.i >= stop) this.fail('expected a value');
    this.i++;
    if (t.t === 'word') {
      // _utf8mb4'x', X'0A', b'01', N'x': an introducer followed at once by a string.
      const n = this.peek();
      if (n?.t === 'str') this.i++;
      else if (this.punct('(')) this.group(); // CURRENT_TIMESTAMP(3), nextval(s), uuid()
      else if (this.punct('.') && this.peek(1)?.t === 'word' && this.peek(1)!.s === this.peek()!.e) this.i += 2; // 1.5 written as tokens
    }
    return this.text(s, this.i);
  }

  /** A data type: name (one or two words), optional arguments, UNSIGNED/SIGNED/ZEROFILL. */
  private dataType(): DataTypeAst {
    const s = this.i;
    let name = this.word();
    if (name === '') this.fail('expected a data type');
    this.i++;
    const two = `${name} ${this.word()}`;
    if (two === 'DOUBLE PRECISION' || two === 'LONG VARCHAR' || two === 'LONG VARBINARY' || two === 'CHARACTER VARYING' || two === 'CHAR VARYING'
      || two === 'NATIONAL CHAR' || two === 'NATIONAL VARCHAR' || two === 'NATIONAL CHARACTER' || two === 'NCHAR VARCHAR' || two === 'NCHAR VARYING') {
      this.i++;
      name = two;
      if (name === 'NATIONAL CHARACTER' && this.accept('VARYING')) name = 'NATIONAL VARCHAR';
    } else if (name === 'LONG' && this.word() === '') {
      name = 'LONG';
    }
    let args: SqlText | null = null;
    let members: string[] | undefined;
    if (this.punct('(')) {
      const a = this.i + 1;
      this.group();
      args = this.text(a, this.i - 1);
      const lower = name.toLowerCase();
      if (lower === 'enum' || lower === 'set') {
        members = [];
        for (let k = a; k < this.i - 1; k++) { const t = this.tokens[k]!; if (t.t === 'str') members.push(t.v); }
      }
    }
    let unsigned = false;
    let zerofill = false;
    for (;;) {
      if (this.accept('UNSIGNED')) { unsigned = true; continue; }
      if (this.accept('SIGNED')) continue;
      if (this.accept('ZEROFILL')) { zerofill = true; unsigned = true; continue; }
      break;
    }
    const out: DataTypeAst = { name: name.toLowerCase(), args, unsigned, zerofill, text: this.text(s, this.i) };
    if (members !== undefined) out.members = members;
    return out;
  }

  /** Table options: `[DEFAULT] name [=] value` repeated, optionally comma-separated. Stops at PARTITION or a query. */
  private tableOptions(into: TableOptionAst[]): void {
    for (;;) {
      this.acceptPunct(',');
      if (this.atEnd() || this.word() === 'PARTITION' || this.isQueryStart()) return;
      const opt = this.tableOption();
      if (opt === null) return;
      into.push(opt);
    }
  }

  private tableOption(): TableOptionAst | null {
    const save = this.i;
    this.accept('DEFAULT');
    let name: string;
    if (this.acceptSeq('CHARACTER', 'SET')) name = 'CHARSET';
    else if (this.acceptSeq('WITH', 'SYSTEM', 'VERSIONING')) return { name: 'WITH SYSTEM VERSIONING', value: '' };
    else if (this.acceptSeq('START', 'TRANSACTION')) return { name: 'START TRANSACTION', value: '' };
    else {
      const t = this.peek();
      if (t === undefined || t.t !== 'word') { this.i = save; return null; }
      if (!TABLE_OPTIONS.has(t.u) || (t.u === 'DATA' || t.u === 'INDEX') && this.word(1) !== 'DIRECTORY') { this.i = save; return null; }
      this.i++;
      name = t.u === 'TYPE' ? 'ENGINE' : t.u;
      if (name === 'TABLESPACE') {
        this.acceptPunct('=');
        const s = this.i;
        this.ident();
        if (this.accept('STORAGE')) this.ident();
        return { name, value: this.text(s, this.i) };
      }
      if (name === 'DATA' || name === 'INDEX') { this.expectWord('DIRECTORY'); name += ' DIRECTORY'; }
    }
    this.acceptPunct('=');
    const s = this.i;
    if (this.punct('(')) this.group();
    else {
      if (this.atEnd()) this.fail(`expected a value for ${name}`);
      this.i++;
    }
    return { name, value: this.text(s, this.i) };
  }

  private database(kind: DatabaseAst['kind'], orReplace = false): DatabaseAst {
    const ast: DatabaseAst = { kind, database: this.defaultDb, ifExists: false, ifNotExists: false, orReplace, charset: null, collation: null };
    if (kind === 'drop_database') ast.ifExists = this.ifExists();
    else if (kind === 'create_database') ast.ifNotExists = this.ifNotExists();
    const w = this.word();
    const optionWords = ['DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE', 'ENCRYPTION', 'READ', 'COMMENT', 'UPGRADE'];
    if (!(kind === 'alter_database' && this.peek()?.t === 'word' && optionWords.includes(w))) ast.database = this.ident();
    if (kind === 'drop_database') { this.end(); return ast; }
    const opts: TableOptionAst[] = [];
    this.tableOptions(opts);
    for (const o of opts) {
      if (o.name === 'CHARSET') ast.charset = unquote(o.value);
      if (o.name === 'COLLATE') ast.collation = unquote(o.value);
    }
    this.end();
    return ast;
  }

  private alter(): DdlAst | null {
    this.accept('ONLINE', 'OFFLINE');
    const ignore = this.accept('IGNORE') !== null;
    if (this.accept('DATABASE', 'SCHEMA')) return this.database('alter_database');
    if (!this.accept('TABLE')) return null;
    const ifExists = this.ifExists();
    const table = this.tableName();
    if (this.accept('WAIT')) this.skipValue();
    else this.accept('NOWAIT');
    const ast: AlterTableAst = { kind: 'alter_table', table, ifExists, ignore, clauses: [], clauseTexts: [] };
    const clause = (): void => {
      const n = ast.clauses.length;
      const from = this.i;
      this.alterClause(ast.clauses);
      for (let k = n; k < ast.clauses.length; k++) ast.clauseTexts.push(k === n ? this.text(from, this.i) : '');
    };
    while (!this.atEnd()) {
      if (this.word() === 'PARTITION' || this.word() === 'REMOVE') {
        const s = this.i;
        this.i = this.tokens.length;
        ast.clauses.push({ kind: 'partition', text: this.text(s, this.i) });
        ast.clauseTexts.push(this.text(s, this.i));
        break;
      }
      clause();
      if (this.acceptPunct(',')) continue;
      if (this.atEnd() || this.word() === 'PARTITION' || this.word() === 'REMOVE') continue;
      // Table options may follow each other without commas.
      const before = this.i;
      clause();
      if (this.i === before) this.fail('unexpected text in ALTER TABLE');
      this.acceptPunct(',');
    }
    return ast;
  }

  private position(): ColumnPosition {
    if (this.accept('FIRST')) return { kind: 'first' };
    if (this.accept('AFTER')) return { kind: 'after', column: this.ident() };
    return null;
  }

  private alterClause(out: AlterClause[]): void {
    const w = this.word();
    const start = this.i;
    if (w === 'ADD') {
      this.i++;
      const k = this.word();
      if (k === 'PARTITION') { this.i = this.tokens.length; out.push({ kind: 'partition', text: this.text(start, this.i) }); return; }
      if (['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'INDEX', 'KEY', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK'].includes(k) && this.peek()?.t === 'word'
        && !(k === 'CHECK' && !this.punct('(', 1))) {
        const ifNotExists = (k === 'INDEX' || k === 'KEY' || k === 'UNIQUE') && this.word(1) === 'IF';
        const el = this.constraintElement();
        if (el.kind === 'index') out.push({ kind: 'add_index', index: el.index, ifNotExists });
        else if (el.kind === 'fk') out.push({ kind: 'add_foreign_key', foreignKey: el.fk });
        else out.push({ kind: 'add_check', check: el.check });
        return;
      }
      if (k === 'PERIOD') { this.i = this.itemEnd(false); out.push({ kind: 'no_schema_change', text: this.text(start, this.i) }); return; }
      this.accept('COLUMN');
      const ifNotExists = this.ifNotExists();
      if (this.acceptPunct('(')) {
        for (;;) {
          const el = this.tableElement();
          if (el.kind === 'column') out.push({ kind: 'add_column', column: el.column, position: null, ifNotExists });
          else if (el.kind === 'index') out.push({ kind: 'add_index', index: el.index, ifNotExists: false });
          else if (el.kind === 'fk') out.push({ kind: 'add_foreign_key', foreignKey: el.fk });
          else if (el.kind === 'check') out.push({ kind: 'add_check', check: el.check });
          if (this.acceptPunct(',')) continue;
          this.expectPunct(')');
          return;
        }
      }
      const col = this.columnDefinition(this.itemEnd(false), true);
      const { position, ...column } = col;
      out.push({ kind: 'add_column', column, position: position ?? null, ifNotExists });
      return;
    }
    if (w === 'DROP') {
      this.i++;
      if (this.acceptSeq('PRIMARY', 'KEY')) { out.push({ kind: 'drop_primary_key' }); return; }
      if (this.accept('INDEX', 'KEY')) { const ifExists = this.ifExists(); out.push({ kind: 'drop_index', name: this.ident(), ifExists }); return; }
      if (this.acceptSeq('FOREIGN', 'KEY')) { const ifExists = this.ifExists(); out.push({ kind: 'drop_foreign_key', name: this.ident(), ifExists }); return; }
      if (this.accept('CONSTRAINT', 'CHECK')) { const ifExists = this.ifExists(); out.push({ kind: 'drop_constraint', name: this.ident(), ifExists }); return; }
      if (this.word() === 'PARTITION' || this.word() === 'PERIOD' || this.acceptSeq('SYSTEM', 'VERSIONING')) {
        this.i = this.itemEnd(false);
        out.push({ kind: this.word() === 'PERIOD' ? 'no_schema_change' : 'partition', text: this.text(start, this.i) });
        return;
      }
      this.accept('COLUMN');
      const ifExists = this.ifExists();
      const name = this.ident();
      this.accept('RESTRICT', 'CASCADE');
      out.push({ kind: 'drop_column', name, ifExists });
      return;
    }
    if (w === 'CHANGE') {
      this.i++;
      this.accept('COLUMN');
      const ifExists = this.ifExists();
      const from = this.ident();
      const { position, ...column } = this.columnDefinition(this.itemEnd(false), true);
      out.push({ kind: 'change_column', from, column, position: position ?? null, ifExists });
      return;
    }
    if (w === 'MODIFY') {
      this.i++;
      this.accept('COLUMN');
      const ifExists = this.ifExists();
      const { position, ...column } = this.columnDefinition(this.itemEnd(false), true);
      out.push({ kind: 'modify_column', column, position: position ?? null, ifExists });
      return;
    }
    if (w === 'RENAME') {
      this.i++;
      if (this.accept('COLUMN')) { const from = this.ident(); this.expectWord('TO'); out.push({ kind: 'rename_column', from, to: this.ident() }); return; }
      if (this.accept('INDEX', 'KEY')) { const from = this.ident(); this.expectWord('TO'); out.push({ kind: 'rename_index', from, to: this.ident() }); return; }
      this.accept('TO', 'AS');
      out.push({ kind: 'rename_table', to: this.tableName() });
      return;
    }
    if (w === 'ALTER') {
      this.i++;
      if (this.accept('INDEX', 'KEY')) { this.ident(); this.accept('NOT'); this.accept('VISIBLE', 'INVISIBLE', 'IGNORED'); out.push({ kind: 'no_schema_change', text: this.text(start, this.i) }); return; }
      if (this.word() === 'CHECK' || this.word() === 'CONSTRAINT') { this.i = this.itemEnd(false); out.push({ kind: 'no_schema_change', text: this.text(start, this.i) }); return; }
      this.accept('COLUMN');
      this.ifExists();
      const name = this.ident();
      if (this.acceptSeq('SET', 'DEFAULT')) { out.push({ kind: 'alter_column', name, action: 'set_default', value: this.valueText(this.tokens.length) }); return; }
      if (this.acceptSeq('DROP', 'DEFAULT')) { out.push({ kind: 'alter_column', name, action: 'drop_default', value: null }); return; }
      if (this.acceptSeq('SET', 'VISIBLE')) { out.push({ kind: 'alter_column', name, action: 'visible', value: null }); return; }
      if (this.acceptSeq('SET', 'INVISIBLE')) { out.push({ kind: 'alter_column', name, action: 'invisible', value: null }); return; }
      this.fail('expected SET/DROP DEFAULT or SET [IN]VISIBLE');
    }
    if (w === 'CONVERT') {
      this.i++;
      this.expectWord('TO');
      if (!this.acceptSeq('CHARACTER', 'SET')) this.expectWord('CHARSET');
      const charset = this.nameOrString();
      const collation = this.accept('COLLATE') ? this.nameOrString() : null;
      out.push({ kind: 'convert_charset', charset, collation });
      return;
    }
    if (w === 'ALGORITHM' || w === 'LOCK') { this.i++; this.acceptPunct('='); this.ident(); out.push({ kind: 'algorithm_or_lock', text: this.text(start, this.i) }); return; }
    if (w === 'FORCE' || w === 'ENABLE' || w === 'DISABLE' || w === 'DISCARD' || w === 'IMPORT' || w === 'ORDER' || w === 'VALIDATION'
      || (w === 'WITH' && this.word(1) === 'VALIDATION') || (w === 'WITHOUT' && this.word(1) === 'VALIDATION')) {
      this.i = this.itemEnd(false);
      out.push({ kind: 'no_schema_change', text: this.text(start, this.i) });
      return;
    }
    if (w === 'COALESCE' || w === 'REORGANIZE' || w === 'EXCHANGE' || w === 'ANALYZE' || w === 'CHECK' || w === 'OPTIMIZE' || w === 'REBUILD'
      || w === 'REPAIR' || w === 'TRUNCATE') {
      this.i = this.tokens.length;
      out.push({ kind: 'partition', text: this.text(start, this.i) });
      return;
    }
    const opt = this.tableOption();
    if (opt === null) this.fail('unknown ALTER TABLE clause');
    out.push({ kind: 'table_option', option: opt });
    // `DEFAULT CHARSET x COLLATE y` / `CHARACTER SET x COLLATE y`
    if (opt.name === 'CHARSET' && this.word() === 'COLLATE') {
      const c = this.tableOption();
      if (c !== null) out.push({ kind: 'table_option', option: c });
    }
  }

  private drop(): DdlAst | null {
    const temporary = this.accept('TEMPORARY') !== null;
    if (this.accept('TABLE', 'TABLES')) {
      const ifExists = this.ifExists();
      const tables: TableName[] = [this.tableName()];
      while (this.acceptPunct(',')) tables.push(this.tableName());
      this.skipLockOptions();
      this.accept('RESTRICT', 'CASCADE');
      this.end();
      return { kind: 'drop_table', tables, temporary, ifExists };
    }
    if (temporary) return null;
    if (this.accept('DATABASE', 'SCHEMA')) return this.database('drop_database');
    this.accept('ONLINE', 'OFFLINE');
    if (this.accept('INDEX', 'KEY')) {
      const ifExists = this.ifExists();
      const name = this.ident();
      this.expectWord('ON');
      const table = this.tableName();
      this.skipLockOptions();
      this.end();
      return { kind: 'drop_index', table, name, ifExists };
    }
    return null;
  }

  private rename(): DdlAst | null {
    if (!this.accept('TABLE', 'TABLES')) return null;
    this.ifExists();
    const renames: Array<{ from: TableName; to: TableName }> = [];
    for (;;) {
      const from = this.tableName();
      this.skipLockOptions();
      this.expectWord('TO');
      renames.push({ from, to: this.tableName() });
      if (!this.acceptPunct(',')) break;
    }
    this.end();
    return { kind: 'rename_table', renames };
  }

  private truncate(): DdlAst {
    this.accept('TABLE');
    const table = this.tableName();
    this.skipLockOptions();
    this.end();
    return { kind: 'truncate_table', table };
  }
}

/** Backquote an identifier (a backquote inside is doubled). */
export function quoteIdent(name: string): string {
  return '`' + name.split('`').join('``') + '`';
}

/** A table option value without its quotes (`'utf8mb4'` → utf8mb4). */
function unquote(v: string): string {
  if (v.length >= 2 && (v[0] === "'" || v[0] === '"' || v[0] === '`') && v[v.length - 1] === v[0]) return v.slice(1, -1);
  return v;
}

export { ACTIONS as REFERENTIAL_ACTIONS };
