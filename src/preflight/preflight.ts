/**
 * The preflight checks (read-only) of sources, targets and pipelines: used by `sluice check`, `sluice run`,
 * the pipeline manager (before a start) and the API's connection test.
 */
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import type { PipelineConfig, SluiceConfig, SourceConfig, TargetConfig } from '../config/index.js';
import { connectMysql, tlsStatus } from '../mysql/connection.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { missingGrants } from '../mysql/protocol/replication-errors.js';
import { createTableLike } from '../targets/mysql/create-table-like.js';
import { compileTableFilter } from '../source/table-filter.js';
import { listSourceTables } from '../source/source-tables.js';

/**
 * One preflight finding. `code` is the SluiceError code of a failure; `transient` marks failures that a
 * retry can cure (server unreachable), as opposed to permanent ones (access denied, binlog off, …).
 */
export interface CheckResult { ok: boolean; what: string; fix?: string; warn?: boolean; code?: string; transient?: boolean }

/** A finding with the source, target or pipeline it is about (`source products`, `pipeline p1`). */
export interface PreflightFinding { name: string; result: CheckResult }

/**
 * Every preflight check of a config, read-only on sources and targets (nothing is created or written):
 * each source once, each target once, then — for pipelines whose source and target passed — the tables
 * in scope, their compatibility with existing target tables, the target privileges and the saved
 * checkpoint's binlog file. Used by `sluice check` and, before touching any data, by `sluice run`.
 */
export async function preflight(cfg: SluiceConfig, opts: { resync?: ReadonlySet<string> } = {}): Promise<PreflightFinding[]> {
  const out: PreflightFinding[] = [];
  const failed = new Set<string>();
  for (const s of Object.values(cfg.sources)) {
    const results = await checkSource(s.url);
    for (const r of results) out.push({ name: `source ${s.name}`, result: r });
    if (results.some((r) => !r.ok)) failed.add(`source:${s.name}`);
  }
  for (const t of Object.values(cfg.targets)) {
    const results = await checkTarget(t.url, t.checkpointDatabase);
    for (const r of results) out.push({ name: `target ${t.name}`, result: r });
    if (results.some((r) => !r.ok)) failed.add(`target:${t.name}`);
  }
  for (const p of cfg.pipelines) {
    if (failed.has(`source:${p.source}`) || failed.has(`target:${p.target}`)) continue;
    const results = await checkPipeline(p, cfg.sources[p.source]!, cfg.targets[p.target]!, { resync: opts.resync?.has(p.name) ?? false });
    for (const r of results) out.push({ name: `pipeline ${p.name}`, result: r });
  }
  return out;
}

/** Preflight of a source: reachable, binlog on and ROW, row image FULL, replication grants. */
export async function checkSource(url: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let st;
  try {
    st = await ReplicationSession.serverStatus(url);
  } catch (err) {
    // SHOW BINARY LOGS refused: the user is in, but lacks REPLICATION CLIENT / BINLOG MONITOR.
    if (isSluiceError(err) && err.code === 'MISSING_GRANTS') return [failure('replication grants', await withGrantStatement(url, err))];
    return [failure('reachable', err)];
  }
  out.push({ ok: true, what: `reachable: ${st.flavor} ${st.serverVersion}` });
  out.push({ ok: true, what: st.tls.text });
  out.push(st.logBin ? { ok: true, what: 'binary log enabled' } : {
    ok: false, code: 'BINLOG_DISABLED', what: 'binary log is OFF (log_bin=OFF): there is no change stream to read',
    fix: 'start the source server with log_bin=ON (e.g. --log-bin) and binlog_format=ROW, then restart it',
  });
  if (!st.logBin) return out;
  out.push(st.binlogFormat.toUpperCase() === 'ROW' ? { ok: true, what: 'binlog_format=ROW' }
    : { ok: false, code: 'BINLOG_FORMAT_NOT_ROW', what: `binlog_format=${st.binlogFormat}`, fix: "SET GLOBAL binlog_format='ROW' and make it permanent in the server config" });
  out.push(st.binlogRowImage.toUpperCase() === 'FULL' ? { ok: true, what: 'binlog_row_image=FULL' }
    : { ok: true, warn: true, code: 'BINLOG_ROW_IMAGE_NOT_FULL', what: `binlog_row_image=${st.binlogRowImage}: updates carry only changed columns; snapshot overlap and tables without a primary key need FULL`, fix: "SET GLOBAL binlog_row_image='FULL' and make it permanent in the server config" });
  out.push({ ok: true, what: `binlog at ${st.file}:${st.pos}, oldest file ${st.oldestFile}; GTID ${st.gtidSet || '(none)'}` });
  // Opening a short replication session proves the grants (REPLICATION SLAVE/CLIENT) end to end.
  try {
    const session = await ReplicationSession.open({ url, serverId: 4_000_000_000 + Math.floor(Math.random() * 1_000_000), start: { kind: 'now' }, heartbeatSeconds: 0 });
    session.close();
    out.push({ ok: true, what: 'replication grants (REPLICATION SLAVE, REPLICATION CLIENT)' });
  } catch (err) {
    out.push(failure('replication grants', err));
  }
  return out;
}

/**
 * serverStatus() reports missing grants without knowing the flavor or the user, so its fix names MySQL's
 * privileges and '<user>'@'<host>': ask the server for both and rebuild the error.
 */
async function withGrantStatement(url: string, err: SluiceError): Promise<SluiceError> {
  let conn: mysql.Connection | null = null;
  try {
    conn = await connectMysql(url);
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v, @@version_comment AS c, CURRENT_USER() AS u');
    const r = rows[0] ?? {};
    const flavor = /mariadb/i.test(`${String(r['v'])} ${String(r['c'])}`) ? 'mariadb' : 'mysql';
    const u = String(r['u'] ?? '');
    const at = u.lastIndexOf('@');
    const user = at < 0 ? `'${u}'` : `'${u.slice(0, at)}'@'${u.slice(at + 1)}'`;
    const cause = err.cause instanceof Error ? err.cause.message : err.message;
    return missingGrants(flavor, user, `read the binlog (${cause.replace(/^.*?\((.*)\)$/, '$1')})`, err);
  } catch {
    return err;
  } finally {
    await conn?.end().catch(() => undefined);
  }
}

/**
 * Preflight of a target, read-only: reachable, and the user holds the privileges Sluice needs on the
 * checkpoint database (read from SHOW GRANTS; nothing is created).
 */
export async function checkTarget(url: string, checkpointDatabase: string): Promise<CheckResult[]> {
  let conn: mysql.Connection;
  try {
    conn = await connectMysql(url);
  } catch (err) {
    return [failure('reachable', err, 'target')];
  }
  // Name the server as the source check does ("reachable: mariadb 11.4.2-MariaDB").
  let server = '';
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v, @@version_comment AS c');
    const v = String(rows[0]?.['v'] ?? '');
    server = `${/mariadb/i.test(`${v} ${String(rows[0]?.['c'] ?? '')}`) ? 'mariadb' : 'mysql'} ${v}`;
  } catch {
    /* the privileges check below reports what this user cannot do */
  }
  const out: CheckResult[] = [{ ok: true, what: server ? `reachable: ${server}` : 'reachable' }, { ok: true, what: tlsStatus(conn).text }];
  try {
    out.push(await checkWritePrivileges(conn, [checkpointDatabase], `checkpoint database ${checkpointDatabase}`));
    out.push(await checkProcessPrivilege(conn));
  } catch (err) {
    out.push(failure('privileges', err, 'target'));
  } finally {
    await conn.end().catch(() => undefined);
  }
  return out;
}

/** PROCESS lets a new instance end the transaction of an old one paused in the middle of it (a warning when missing). */
async function checkProcessPrivilege(conn: mysql.Connection): Promise<CheckResult> {
  try {
    await conn.query('SELECT COUNT(*) FROM information_schema.INNODB_TRX');
    return { ok: true, what: 'may end a paused instance\'s transaction (PROCESS)' };
  } catch {
    return { ok: true, warn: true, what: 'the target user lacks PROCESS: a new instance cannot end the transaction of an old one paused in the middle of it, and waits until that one wakes up',
      fix: 'GRANT PROCESS ON *.* TO the target user' };
  }
}

/**
 * Preflight of a pipeline (its source and target already passed): tables in scope, existing target tables
 * compatible with the source's, privileges on the target databases, and the saved checkpoint's binlog file
 * still on the source. Read-only.
 */
/** `resync`: the pipeline starts over from the current position, so its old checkpoint and table definitions do not matter. */
export async function checkPipeline(p: PipelineConfig, source: SourceConfig, target: TargetConfig, opts: { resync?: boolean } = {}): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let src: mysql.Connection | null = null;
  let tgt: mysql.Connection | null = null;
  try {
    try {
      src = await connectMysql(source.url, { supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
      tgt = await connectMysql(target.url, { supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
    } catch (err) {
      return [failure('reachable', err, src ? 'target' : 'source')];
    }
    const tables = await listSourceTables(src, compileTableFilter(p.tables, p.exclude));
    out.push(tables.length > 0 ? { ok: true, what: `${tables.length} source tables in scope` }
      : { ok: true, warn: true, what: 'no source table matches tables/exclude yet', fix: 'check the patterns under tables: (tables created later are picked up)' });
    const targetDbs = new Set<string>();
    let compatible = 0;
    // A pipeline that has a checkpoint may resume before a DDL it has still to apply: its target tables can
    // legitimately differ from the source's current definitions, so only a first run compares them.
    const saved = opts.resync === true ? null : await savedCheckpoint(tgt, p, target.checkpointDatabase);
    const resuming = opts.resync === true || saved !== null;
    for (const t of tables) {
      const db = p.targetDatabase ?? t.database;
      targetDbs.add(db);
      if (resuming) continue;
      const [exists] = await tgt.query<mysql.RowDataPacket[]>(
        'SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, t.table]);
      if (exists.length === 0) continue;
      try {
        // The table exists: createTableLike only reads both definitions and compares them.
        await createTableLike(src, tgt, t.database, t.table, db, t.table);
        compatible++;
      } catch (err) {
        out.push(failure(`table ${t.database}.${t.table}`, err, 'target'));
      }
    }
    if (compatible > 0) out.push({ ok: true, what: `${compatible} existing target tables match the source definitions` });
    if (targetDbs.size > 0) out.push(await checkWritePrivileges(tgt, [...targetDbs], `target databases ${[...targetDbs].join(', ')}`));
    const purged = saved ? await checkCheckpointFile(saved, p, target.checkpointDatabase, source.url) : null;
    if (purged) out.push(purged);
  } catch (err) {
    out.push(failure('checks', err));
  } finally {
    await src?.end().catch(() => undefined);
    await tgt?.end().catch(() => undefined);
  }
  return out;
}

/** The pipeline's saved checkpoint position on the target (null on a first run: no row, or no checkpoint table yet). */
async function savedCheckpoint(tgt: mysql.Connection, p: PipelineConfig, checkpointDatabase: string): Promise<{ file: string; pos: string } | null> {
  try {
    const [rows] = await tgt.query<mysql.RowDataPacket[]>(`SELECT file, pos FROM ${quoteId(checkpointDatabase)}.\`checkpoints\` WHERE pipeline = ?`, [p.name]);
    const r = rows[0];
    return r ? { file: String(r['file'] ?? ''), pos: String(r['pos']) } : null;
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === 1146 || errno === 1049) return null; // no checkpoint table yet: a first run
    throw err;
  }
}

/** The binlog file of the pipeline's saved checkpoint, if it was purged from the source: a POSITION_PURGED failure. */
async function checkCheckpointFile(saved: { file: string; pos: string }, p: PipelineConfig, checkpointDatabase: string, sourceUrl: string): Promise<CheckResult | null> {
  const { file, pos } = saved;
  if (!file) return null;
  const st = await ReplicationSession.serverStatus(sourceUrl);
  if (st.files.some((f) => f.name === file)) return { ok: true, what: `checkpoint ${file}:${pos} is still in the source binlog` };
  return {
    ok: false, code: 'POSITION_PURGED',
    what: `the checkpoint ${file}:${pos} is in a binlog file the source no longer has (oldest: ${st.oldestFile}): changes since then are lost for this pipeline`,
    fix: resnapshotFix(p, checkpointDatabase),
  };
}

/** How to re-snapshot a pipeline whose position is gone. */
export function resnapshotFix(p: Pick<PipelineConfig, 'name' | 'snapshot'>, checkpointDatabase: string): string {
  return `re-snapshot the pipeline: stop sluice; on the target run DELETE FROM ${quoteId(checkpointDatabase)}.\`checkpoints\` WHERE pipeline = '${p.name.replace(/'/g, "''")}'` +
    ' and TRUNCATE (or DROP) its target tables; ' + (p.snapshot === 'none' ? 'set snapshot: initial for the pipeline; ' : '') +
    'start sluice again: it copies the tables afresh and streams from there (keep binlogs longer, e.g. binlog_expire_logs_seconds, to avoid this). ' +
    `Or, without emptying the target tables: sluice run --config FILE --resync ${p.name} (under sluice serve: Resync on the pipeline page, POST /api/pipelines/<name>/resync)`;
}

const NEEDED = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE'] as const;

/**
 * Read-only privilege probe: SHOW GRANTS for the current user, and whether the global (`*.*`) and database
 * grants cover SELECT, INSERT, UPDATE, DELETE and CREATE on each database. Grants through roles cannot be
 * read this way: then a shortfall is only a warning.
 */
async function checkWritePrivileges(conn: mysql.Connection, databases: string[], label: string): Promise<CheckResult> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW GRANTS');
  const lines = rows.map((r) => String(Object.values(r)[0] ?? ''));
  const grants: Array<{ db: string; privs: Set<string> }> = [];
  let viaRoles = false;
  for (const line of lines) {
    const m = /^GRANT (.+?) ON (?:(\*)|`((?:[^`]|``)+)`)\.(\*) TO /i.exec(line);
    if (!m) {
      if (/^GRANT `[^`]+`(,\s*`[^`]+`)* TO /i.test(line)) viaRoles = true;
      continue;
    }
    const privs = new Set(m[1]!.toUpperCase().split(',').map((s) => s.trim().replace(/\s*\(.*$/, '')));
    grants.push({ db: m[2] ?? m[3]!.replace(/``/g, '`'), privs });
  }
  const missing: string[] = [];
  for (const db of databases) {
    const have = new Set<string>();
    for (const g of grants) {
      if (g.db !== '*' && !likeMatch(db, g.db)) continue;
      if (g.privs.has('ALL PRIVILEGES') || g.privs.has('ALL')) NEEDED.forEach((x) => have.add(x));
      g.privs.forEach((x) => have.add(x));
    }
    const lack = NEEDED.filter((x) => !have.has(x));
    if (lack.length > 0) missing.push(`${lack.join(', ')} on ${db}`);
  }
  if (missing.length === 0) return { ok: true, what: `privileges on ${label}` };
  const fix = `as an administrator run: GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON \`<database>\`.* TO the sync user, for ${databases.join(', ')}`;
  if (viaRoles) return { ok: true, warn: true, what: `cannot confirm privileges (${missing.join('; ')} not granted directly; roles may grant them)`, fix };
  return { ok: false, code: 'MISSING_GRANTS', what: `the target user lacks ${missing.join('; ')}`, fix };
}

/** A database name against a grant's database pattern (`_` and `%` wildcards, `\` escapes). */
function likeMatch(name: string, pattern: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (c === '%') re += '.*';
    else if (c === '_') re += '.';
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(name);
}

function quoteId(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

const TRANSIENT_CODES = new Set(['CONNECTION_FAILED', 'CONNECTION_LOST']);
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'EPIPE']);

function failure(what: string, err: unknown, side: 'source' | 'target' = 'source'): CheckResult {
  if (isSluiceError(err)) return { ok: false, code: err.code, what: `${what}: ${err.message}`, fix: err.fix, transient: TRANSIENT_CODES.has(err.code) };
  const e = err as { code?: string; errno?: number; message?: string };
  if (e.code === 'ER_ACCESS_DENIED_ERROR' || e.errno === 1045) {
    return { ok: false, code: 'ACCESS_DENIED', what: `${what}: ${e.message ?? 'access denied'}`, fix: `check the user and password in the ${side} URL, and that the user may connect from this host` };
  }
  if (e.code === 'ER_DBACCESS_DENIED_ERROR' || e.errno === 1044) {
    return { ok: false, code: 'ACCESS_DENIED', what: `${what}: ${e.message ?? 'access denied'}`, fix: `check the database in the ${side} URL, or grant the user access to it` };
  }
  if (e.code && TRANSIENT_NET.has(e.code)) {
    return { ok: false, code: 'CONNECTION_FAILED', transient: true, what: `${what}: cannot connect (${e.code})`, fix: `check the host and port in the ${side} URL, and that the server is running` };
  }
  return { ok: false, code: 'SERVER_ERROR', what: `${what}: ${e.message ?? String(err)}`, fix: `fix the cause reported by the ${side} server` };
}
