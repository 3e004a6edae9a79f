/**
 * Verify against a PostgreSQL target. The two engines cannot compute one checksum, so both sides' rows come to
 * Sluice: the source's as the Cells the snapshot reads, the copy's as PostgreSQL's text turned back into the
 * Cells the source has (`cellFromPgText`); each value is then compared in one canonical text (`pgCompareText`:
 * the text the target writes for it, JSON canonical as jsonb keeps it). Rows are keyed by their key's MySQL literal
 * tuple made from those Cells — never by ORDER BY, which the two engines' collations sort differently. Chunks are the
 * source's key ranges where their bounds are numbers (the same rows on both engines). A table keyed otherwise
 * (strings, dates…) is compared by keys, every read bounded: the source's key ranges read on the source, the copy's
 * rows of exactly those keys; then the copy's keys paged in PostgreSQL's own key order, looked up on the source
 * (`targetKeys`, `sourceKeys`; see TableVerifier). Only a key-less table is read whole. The copy is read in one REPEATABLE READ snapshot with the pipeline's checkpoint row; repairs run
 * in one transaction holding that row FOR UPDATE (the pipeline's batches lock it FOR NO KEY UPDATE, so they wait).
 */
import pg from 'pg';
import type { RowDataPacket } from 'mysql2/promise';
import { SluiceError } from '../errors.js';
import type { Cell } from '../core/cell.js';
import type { Position } from '../core/types.js';
import type { SchemaColumn } from '../mysql/schema/table-schema.js';
import { hasNumericBounds, rangeCondition } from '../snapshot/key-range.js';
import { quoteIdent, rawTypeCast, selectExpression, toCell } from '../snapshot/snapshot-values.js';
import { sqlLiteral } from '../targets/index.js';
import {
  PG_RAW_TYPES, PG_SESSION_SETUP, cellFromPgText, pgCheckpointSql, pgColumnOf, pgColumnsSql, pgCompareText, pgDeleteCopiesSql, pgDeleteSql,
  pgIdent, pgKeyPageSql, pgKeyTuple, pgSelectSql, pgTargetName, pgText, pgUpsertSql, type PgColumn,
} from '../targets/postgres/index.js';
import type { RowSet } from './compare.js';
import type { SourceSide } from './sides.js';
import {
  CheckpointWaiter, checkAfter, checkpointPosition, checkpointUnreadable, keysCondition, underLock,
  type At, type Digest, type KeyCursor, type Selection, type TableAccess, type TableSpec, type VerifyTarget,
} from './table-access.js';
import type { VerifyKey } from './verify-key.js';

type PgText = string | null;

/** Most keys in one IN list (a read by keys returns at most this many rows per query). */
const KEY_BATCH = 1000;

/** A PostgreSQL target as verify reads it. */
export class PgTargetSide implements VerifyTarget {
  private readonly pool: pg.Pool;
  private readonly waiter: CheckpointWaiter;

  constructor(url: string, size: number, private readonly checkpointSchema: string, readonly pipeline: string) {
    this.pool = new pg.Pool({ connectionString: url, max: Math.max(1, size) + 1, types: PG_RAW_TYPES, connectionTimeoutMillis: 10_000 });
    this.pool.on('connect', (c) => {
      c.query(PG_SESSION_SETUP).catch(() => undefined);
    });
    this.pool.on('error', () => undefined);
    this.waiter = new CheckpointWaiter(pipeline, async () => checkpointPosition(pipeline, (await this.query(this.checkpointSql(false)))[0]));
  }

  private checkpointSql(lock: boolean): string {
    return pgCheckpointSql(this.checkpointSchema, this.pipeline, lock);
  }

  private async withClient<T>(body: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new SluiceError('CONNECTION_FAILED', `verify cannot connect to the target: ${(err as Error).message}`,
        'check that the PostgreSQL target is reachable and the URL, user and password in the config are right', {}, { cause: err });
    }
    try {
      const out = await body(client);
      client.release();
      return out;
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  async query(sql: string): Promise<Array<Record<string, PgText>>> {
    return this.withClient(async (c) => (await c.query<Record<string, PgText>>(sql)).rows);
  }

  async phase(): Promise<string | null> {
    const rows = await this.query(this.checkpointSql(false)).catch((err: unknown) => {
      throw checkpointUnreadable(this.pipeline, err);
    });
    checkpointPosition(this.pipeline, rows[0]);
    return rows[0]!.phase ?? null;
  }

  waitFor(p: Position, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiter.waitFor(p, timeoutMs, signal);
  }

  /** `body` in one REPEATABLE READ snapshot, with the pipeline's checkpoint as that snapshot sees it (read first). */
  async read<T>(body: (c: pg.PoolClient) => Promise<T>): Promise<At<T>> {
    return this.withClient(async (c) => {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const position = checkpointPosition(this.pipeline, (await c.query<Record<string, PgText>>(this.checkpointSql(false))).rows[0]);
        return { value: await body(c), position };
      } finally {
        await c.query('COMMIT').catch(() => undefined);
      }
    });
  }

  /** `body` in one transaction holding the pipeline's checkpoint row FOR UPDATE; committed when it resolves. */
  async underCheckpointLock<T>(body: (c: pg.PoolClient, checkpoint: Position) => Promise<T>): Promise<T> {
    return this.withClient((c) => underLock(c, (sql) => c.query(sql), "BEGIN; SET LOCAL lock_timeout = '20s'",
      async () => checkpointPosition(this.pipeline, (await c.query<Record<string, PgText>>(this.checkpointSql(true))).rows[0]), body));
  }

  async table(spec: TableSpec): Promise<TableAccess | { problem: string }> {
    const rows = await this.query(pgColumnsSql(spec.targetDatabase, spec.table));
    if (rows.length === 0) return { problem: `the target table ${spec.targetDatabase}.${spec.table} does not exist` };
    const byName = new Map(rows.map((r) => [String(r.name), pgColumnOf(String(r.name), String(r.type))]));
    const missing = spec.schema.columns.filter((c) => !byName.has(pgTargetName(c.name))).map((c) => c.name);
    if (missing.length > 0) return { problem: `the target table lacks column(s) ${missing.join(', ')}` };
    return new PgTableAccess(this, spec, spec.schema.columns.map((c) => ({ src: c, pg: byName.get(pgTargetName(c.name))! })));
  }

  /** undefined_column, undefined_table. */
  isDefinitionChange(err: unknown): boolean {
    const code = (err as { code?: unknown }).code;
    return code === '42703' || code === '42P01';
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}

interface Column { src: SchemaColumn; pg: PgColumn }

/** A row of either side: the key's MySQL literal tuple and every column in compared form (a literal: NULL or quoted). */
interface ComparedRow { key: string; values: string[] }

/** The compared form of a value, as a literal (NULL ≠ 'NULL'). */
function shown(text: PgText): string {
  return text === null ? 'NULL' : `'${text.replace(/'/g, "''")}'`;
}

/** Two independent 32-bit hashes of a row's key text and column texts (FNV-1a and a multiply-rotate one), in one pass over the code units. */
function rowHashes(key: string, parts: readonly string[], out: [number, number]): void {
  let h1 = 2166136261, h2 = 0x9747b28c;
  for (let p = -1; p < parts.length; p++) {
    const part = p < 0 ? key : parts[p]!;
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul((h2 ^ c) << 13 | (h2 ^ c) >>> 19, 0x5bd1e995);
    }
    h1 = Math.imul(h1 ^ 0xfffe, 16777619); // a separator no value text holds alone
    h2 = Math.imul(h2 ^ 0xfffe, 0x5bd1e995);
  }
  out[0] = h1 >>> 0;
  out[1] = h2 >>> 0;
}

/** Row count and two sums of 32-bit row hashes (sums, not XOR: key-less duplicates do not cancel), as for MySQL's checksums. */
function digestOf(set: RowSet, keyed: boolean): Digest {
  let a = 0, b = 0, rows = 0;
  const h: [number, number] = [0, 0];
  for (const [k, v] of set) {
    const copies = keyed ? 1 : Number(v[0]);
    rows += copies;
    rowHashes(k, keyed ? v : [], h);
    a += h[0] * copies;
    b += h[1] * copies;
  }
  return { rows, value: `${rows}:${a}:${b}` };
}

export class PgTableAccess implements TableAccess {
  readonly chunked: boolean;
  readonly columnNames: string[];
  private readonly keyed: boolean;
  private readonly keyIndex: number[];
  private readonly keyCols: PgColumn[];
  private readonly from: string;
  private readonly sourceSelect: string;
  /**
   * Key text → the key's PG input texts (to select or delete it on the copy), for the keys of reads by rows or by
   * keys (not of digests), until the verifier forgets them (equal keys): as many as the reads in flight and the differences.
   */
  private readonly pgKeys = new Map<string, PgText[]>();

  constructor(private readonly target: PgTargetSide, private readonly spec: TableSpec, private readonly columns: readonly Column[]) {
    const key: VerifyKey = spec.key;
    this.keyed = key.kind !== 'none';
    this.chunked = hasNumericBounds(key.columns);
    this.columnNames = columns.map((c) => c.src.name);
    this.keyIndex = key.columns.map((k) => columns.findIndex((c) => c.src.name === k.name));
    this.keyCols = this.keyIndex.map((i) => columns[i]!.pg);
    this.from = `${quoteIdent(spec.database)}.${quoteIdent(spec.table)}`;
    this.sourceSelect = columns.map((c) => selectExpression(c.src)).join(', ');
  }

  private keyText(cells: readonly Cell[]): string {
    return this.keyIndex.map((i) => sqlLiteral(cells[i] ?? null, this.columns[i]!.src.dataType)).join(',');
  }

  private sourceCond(sel: Selection): string {
    if ('keys' in sel) return keysCondition(this.spec.key.columns.map((c) => quoteIdent(c.name)), sel.keys);
    return this.keyed ? rangeCondition(this.spec.key.columns, sel.range) : 'TRUE';
  }

  /** The selection's conditions on the source, a list of keys in batches of KEY_BATCH. */
  private sourceConds(sel: Selection): string[] {
    if (!('keys' in sel)) return [this.sourceCond(sel)];
    const out: string[] = [];
    for (let i = 0; i < sel.keys.length; i += KEY_BATCH) out.push(this.sourceCond({ keys: sel.keys.slice(i, i + KEY_BATCH) }));
    return out.length > 0 ? out : ['FALSE'];
  }

  private targetConds(sel: Selection): string[] {
    if (!('keys' in sel)) return [this.targetCond(sel)];
    const out: string[] = [];
    for (let i = 0; i < sel.keys.length; i += KEY_BATCH) out.push(this.targetCond({ keys: sel.keys.slice(i, i + KEY_BATCH) }));
    return out.length > 0 ? out : ['false'];
  }

  private targetCond(sel: Selection): string {
    if ('keys' in sel) {
      const tuples = sel.keys.flatMap((k) => {
        const texts = this.pgKeys.get(k);
        return texts ? [pgKeyTuple(texts)] : [];
      });
      return keysCondition(this.keyCols.map((c) => pgIdent(c.name)), tuples);
    }
    return this.keyed && this.chunked ? rangeCondition(this.spec.key.columns, sel.range, pgIdent) : 'true';
  }

  /**
   * The source rows of `sel` as Cells (read inside the caller's snapshot, by keys in batches). Read by keys, only the
   * rows whose key text is one of them: a case- or accent-insensitive collation also matches keys that differ.
   */
  private async sourceCells(conn: Parameters<Parameters<SourceSide['read']>[0]>[0], sel: Selection): Promise<Cell[][]> {
    const cols = this.columns.map((c) => c.src);
    const out: Cell[][] = [];
    const wanted = 'keys' in sel ? new Set(sel.keys) : null;
    for (const cond of this.sourceConds(sel)) {
      const [rows] = await conn.query<RowDataPacket[]>({ sql: `SELECT ${this.sourceSelect} FROM ${this.from} WHERE ${cond}`, rowsAsArray: true, typeCast: rawTypeCast(cols) });
      const raw = rows as unknown as unknown[][];
      this.spec.onRead?.('source', raw.length);
      for (const r of raw) {
        const cells = r.map((v, i) => toCell(cols[i]!, v, 'mysql'));
        if (wanted === null || wanted.has(this.keyText(cells))) out.push(cells);
      }
    }
    return out;
  }

  private fromSource(cells: readonly Cell[], remember = true): ComparedRow {
    const key = this.keyed ? this.keyText(cells) : '';
    if (remember && this.keyed && !this.pgKeys.has(key)) {
      try {
        this.pgKeys.set(key, this.keyIndex.map((i) => pgText(this.columns[i]!.pg, cells[i] ?? null)));
      } catch {
        // A key PostgreSQL cannot hold (a zero-part date): not on the copy; reported missing.
      }
    }
    return { key, values: cells.map((v, i) => shown(pgCompareText(this.columns[i]!.pg, v))) };
  }

  private fromTarget(raw: readonly PgText[], remember = true): ComparedRow {
    const cells = raw.map((t, i) => cellFromPgText(this.columns[i]!.src, t));
    const key = this.keyed ? this.keyText(cells) : '';
    if (remember && this.keyed && !this.pgKeys.has(key)) this.pgKeys.set(key, this.keyIndex.map((i) => raw[i] ?? null));
    return { key, values: cells.map((v, i) => shown(pgCompareText(this.columns[i]!.pg, v))) };
  }

  private toRowSet(rows: Iterable<ComparedRow>): RowSet {
    const out: RowSet = new Map();
    for (const r of rows) {
      if (this.keyed) {
        out.set(r.key, r.values);
      } else {
        const k = r.values.join(',');
        out.set(k, [String(Number(out.get(k)?.[0] ?? 0) + 1)]);
      }
    }
    return out;
  }

  private async targetRaw(c: pg.PoolClient, where: string): Promise<PgText[][]> {
    const res = await c.query<PgText[]>({ text: pgSelectSql(this.spec.targetDatabase, this.spec.table, this.columns.map((x) => x.pg), where), rowMode: 'array' });
    this.spec.onRead?.('target', res.rows.length);
    return res.rows;
  }

  private async readSource(sel: Selection, remember: boolean): Promise<At<RowSet>> {
    const s = await this.spec.source.read((conn) => this.sourceCells(conn, sel));
    return { position: s.position, value: this.toRowSet(s.value.map((cells) => this.fromSource(cells, remember))) };
  }

  private async readTarget(sel: Selection, remember: boolean): Promise<At<RowSet>> {
    const conds = this.targetConds(sel);
    const t = await this.target.read(async (c) => {
      const rows: PgText[][] = [];
      for (const where of conds) for (const r of await this.targetRaw(c, where)) rows.push(r);
      return rows;
    });
    return { position: t.position, value: this.toRowSet(t.value.map((raw) => this.fromTarget(raw, remember))) };
  }

  sourceRows(sel: Selection): Promise<At<RowSet>> {
    return this.readSource(sel, true);
  }

  targetRows(sel: Selection): Promise<At<RowSet>> {
    return this.readTarget(sel, true);
  }

  async sourceDigest(sel: Selection): Promise<At<Digest>> {
    const s = await this.readSource(sel, false);
    return { position: s.position, value: digestOf(s.value, this.keyed) };
  }

  async targetDigest(sel: Selection): Promise<At<Digest>> {
    const t = await this.readTarget(sel, false);
    return { position: t.position, value: digestOf(t.value, this.keyed) };
  }

  async targetKeys(after: KeyCursor | null, limit: number): Promise<{ keys: string[]; last: KeyCursor | null }> {
    const n = Math.max(1, Math.floor(limit));
    const sql = pgKeyPageSql(this.spec.targetDatabase, this.spec.table, this.keyCols, after, n);
    const raw = await this.target.read(async (c) => {
      const res = await c.query<PgText[]>({ text: sql, rowMode: 'array' });
      this.spec.onRead?.('target', res.rows.length);
      return res.rows;
    });
    const keys = raw.value.map((r) => {
      const key = this.keyIndex.map((ci, j) => sqlLiteral(cellFromPgText(this.columns[ci]!.src, r[j] ?? null), this.columns[ci]!.src.dataType)).join(',');
      if (!this.pgKeys.has(key)) this.pgKeys.set(key, [...r]);
      return key;
    });
    return { keys, last: raw.value.length < n ? null : raw.value[raw.value.length - 1]! };
  }

  async sourceKeys(keys: readonly string[]): Promise<Set<string>> {
    const cols = this.spec.key.columns;
    const select = cols.map((c) => selectExpression(c)).join(', ');
    const found = new Set<string>();
    const wanted = new Set(keys);
    await this.spec.source.read(async (conn) => {
      for (const cond of this.sourceConds({ keys })) {
        const [rows] = await conn.query<RowDataPacket[]>({ sql: `SELECT ${select} FROM ${this.from} WHERE ${cond}`, rowsAsArray: true, typeCast: rawTypeCast(cols) });
        const raw = rows as unknown as unknown[][];
        this.spec.onRead?.('source', raw.length);
        for (const r of raw) {
          const k = r.map((v, i) => sqlLiteral(toCell(cols[i]!, v, 'mysql'), cols[i]!.dataType)).join(',');
          if (wanted.has(k)) found.add(k);
        }
      }
    });
    return found;
  }

  forget(keys: Iterable<string>): void {
    for (const k of keys) {
      this.pgKeys.delete(k);
    }
  }

  private writeTexts(cells: readonly Cell[]): PgText[] {
    return cells.map((v, i) => pgText(this.columns[i]!.pg, v));
  }

  repairKeys(batch: readonly string[]): Promise<number> {
    const { targetDatabase: schema, table } = this.spec;
    const pgCols = this.columns.map((c) => c.pg);
    return this.target.underCheckpointLock(async (c, cp) => {
      const s = await this.spec.source.read((conn) => this.sourceCells(conn, { keys: batch }));
      checkAfter(s.position, cp);
      const present = new Map(s.value.map((cells) => [this.keyText(cells), cells]));
      const absent = batch.filter((k) => !present.has(k));
      if (absent.length > 0) await c.query(pgDeleteSql(schema, table, this.targetCond({ keys: absent })));
      const rows = [...present.values()].map((cells) => this.writeTexts(cells));
      for (let i = 0; i < rows.length; i += 200) await c.query(pgUpsertSql(schema, table, pgCols, rows.slice(i, i + 200), this.keyCols));
      return batch.length;
    });
  }

  repairCopies(rowTexts: readonly string[]): Promise<number> {
    const { targetDatabase: schema, table } = this.spec;
    const pgCols = this.columns.map((c) => c.pg);
    return this.target.underCheckpointLock(async (c, cp) => {
      const s = await this.spec.source.read((conn) => this.sourceCells(conn, { range: { lo: null, hi: null } }));
      checkAfter(s.position, cp);
      const source = new Map<string, { write: PgText[]; count: number }>();
      for (const cells of s.value) {
        const k = this.fromSource(cells).values.join(',');
        const e = source.get(k);
        if (e) e.count++;
        else source.set(k, { write: this.writeTexts(cells), count: 1 });
      }
      const copy = new Map<string, { raw: PgText[]; count: number }>();
      for (const raw of await this.targetRaw(c, 'true')) {
        const k = this.fromTarget(raw).values.join(',');
        const e = copy.get(k);
        if (e) e.count++;
        else copy.set(k, { raw, count: 1 });
      }
      let repaired = 0;
      for (const k of rowTexts) {
        const cs = source.get(k), ct = copy.get(k);
        const delta = (cs?.count ?? 0) - (ct?.count ?? 0);
        if (delta > 0) await c.query(pgUpsertSql(schema, table, pgCols, Array.from({ length: delta }, () => cs!.write)));
        if (delta < 0) await c.query(pgDeleteCopiesSql(schema, table, pgCols, ct!.raw, -delta));
        repaired += Math.abs(delta);
      }
      return repaired;
    });
  }
}
