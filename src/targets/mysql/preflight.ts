/**
 * The MySQL/MariaDB target kind's preflight, read-only: the target (reachable, TLS, privileges on the checkpoint
 * database, PROCESS) and its side of a pipeline (existing target tables compatible with the source's, privileges on
 * the target databases, the saved checkpoint).
 */
import type mysql from 'mysql2/promise';
import type { CheckResult } from '../../core/check-result.js';
import { connectMysql, tlsStatus } from '../../mysql/connection.js';
import { checkTableCaches, checkWritePrivileges, failure } from '../../mysql/checks.js';
import type { PipelineTargetCheck, PipelineTargetCheckResult, TargetKindConfig } from '../kind.js';
import { routeToDatabase } from '../target.js';
import { planEnsureTables } from './ensure-tables.js';
import { quoteId } from './sql-literal.js';

/**
 * Preflight of a target, read-only: reachable, and the user holds the privileges Sluice needs on the
 * checkpoint database (read from SHOW GRANTS; nothing is created).
 */
export async function checkMysqlTarget(url: string, checkpointDatabase: string): Promise<CheckResult[]> {
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

/** The target side of a pipeline's preflight (see the module comment). */
export async function checkMysqlPipelineTarget(config: TargetKindConfig, check: PipelineTargetCheck): Promise<PipelineTargetCheckResult> {
  const out: CheckResult[] = [];
  let tgt: mysql.Connection;
  try {
    tgt = await connectMysql(config.url, { supportBigNumbers: true, bigNumberStrings: true, charset: 'utf8mb4' });
  } catch (err) {
    return { results: [failure('reachable', err, 'target')], saved: null };
  }
  let saved: { file: string; pos: string } | null = null;
  try {
    const route = routeToDatabase(check.targetDatabase);
    // A pipeline that has a checkpoint may resume before a DDL it has still to apply: its target tables can
    // legitimately differ from the source's current definitions, so only a first run compares them.
    saved = check.resync ? null : await savedCheckpoint(tgt, check.pipeline, config.checkpointDatabase);
    const resuming = check.resync || saved !== null;
    const targetDbs = new Set(check.tables.map((t) => route(t.database, t.table).database));
    if (!resuming && check.tables.length > 0) {
      const existing: typeof check.tables[number][] = [];
      const names = new Map<string, Set<string>>();
      for (const db of targetDbs) {
        const [rows] = await tgt.query<mysql.RowDataPacket[]>('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [db]);
        names.set(db, new Set(rows.map((r) => String(r['t']).toLowerCase())));
      }
      for (const t of check.tables) {
        const r = route(t.database, t.table);
        if (names.get(r.database)?.has(r.table.toLowerCase())) existing.push(t);
      }
      let compatible = 0;
      const models = await check.sourceTables(existing);
      for (const m of models) {
        try {
          // The table exists: this only reads its columns and compares them with the source's.
          await planEnsureTables(tgt, [m], route, undefined);
          compatible++;
        } catch (err) {
          out.push(failure(`table ${m.schema.database}.${m.schema.table}`, err, 'target'));
        }
      }
      if (compatible > 0) out.push({ ok: true, what: `${compatible} existing target tables match the source definitions` });
    }
    const caches = await checkTableCaches(tgt, check.tables.length, 'target');
    if (caches) out.push(caches);
    if (targetDbs.size > 0) out.push(await checkWritePrivileges(tgt, [...targetDbs], `target databases ${[...targetDbs].join(', ')}`));
  } catch (err) {
    out.push(failure('checks', err, 'target'));
  } finally {
    await tgt.end().catch(() => undefined);
  }
  return { results: out, saved };
}

/** The pipeline's saved checkpoint position on the target (null on a first run: no row, or no checkpoint table yet). */
async function savedCheckpoint(tgt: mysql.Connection, pipeline: string, checkpointDatabase: string): Promise<{ file: string; pos: string } | null> {
  try {
    const [rows] = await tgt.query<mysql.RowDataPacket[]>(`SELECT file, pos FROM ${quoteId(checkpointDatabase)}.\`checkpoints\` WHERE pipeline = ?`, [pipeline]);
    const r = rows[0];
    return r ? { file: String(r['file'] ?? ''), pos: String(r['pos']) } : null;
  } catch (err) {
    const errno = (err as { errno?: number }).errno;
    if (errno === 1146 || errno === 1049) return null; // no checkpoint table yet: a first run
    throw err;
  }
}

