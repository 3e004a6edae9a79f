/**
 * The read-only guard of copied tables (`sluice guard`): BEFORE INSERT/UPDATE/DELETE triggers on each target
 * table of a pipeline that refuse the write unless the session set `@sluice_writer` — which every Sluice
 * target connection does (the sink, verify's repairs). It stops writes by people and applications by mistake;
 * it is not a security boundary (any session can set the variable), and TRUNCATE / DDL do not fire triggers.
 */
import mysql, { format, type RowDataPacket } from 'mysql2/promise';
import type { PipelineConfig, SluiceConfig } from '../config/types.js';
import { SluiceError } from '../errors.js';
import { fnv1a32 } from '../fnv-hash.js';
import { mysqlConnectionOptions } from '../mysql/connection.js';
import { compileTableFilter } from '../source/table-filter.js';
import { listSourceTables } from '../source/source-tables.js';
import { qualifiedName, quoteId } from '../targets/mysql/sql-literal.js';

/** The session variable Sluice's target connections set (see mysql-sink.ts SESSION_SETUP). */
export const WRITER_VARIABLE = '@sluice_writer';

const EVENTS = [['i', 'INSERT'], ['u', 'UPDATE'], ['d', 'DELETE']] as const;

/** Trigger names for a table: stable, ≤ 64 characters, unique per table within its database. */
export function guardTriggerNames(table: string): string[] {
  const h = fnv1a32(table).toString(16).padStart(8, '0');
  return EVENTS.map(([s]) => `sluice_ro_${h}_${s}`);
}

/** Statements that drop the guard of `db.table` (if any) and, when `on`, create it. */
export function guardSql(database: string, table: string, pipeline: string, on: boolean): string[] {
  const names = guardTriggerNames(table);
  const out = names.map((n) => `DROP TRIGGER IF EXISTS ${qualifiedName(database, n)}`);
  if (!on) return out;
  const message = `${database}.${table} is a read-only copy kept by Sluice pipeline ${pipeline}`.slice(0, 120);
  EVENTS.forEach(([, event], i) => {
    out.push(`CREATE TRIGGER ${qualifiedName(database, names[i]!)} BEFORE ${event} ON ${qualifiedName(database, table)} FOR EACH ROW `
      + `BEGIN IF ${WRITER_VARIABLE} IS NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ${mysql.escape(message)}; END IF; END`);
  });
  return out;
}

export interface GuardResult {
  pipeline: string;
  tables: string[];
}

/** Install (or remove, `on` false) the guard on every target table of the selected pipelines. */
export async function applyGuard(cfg: SluiceConfig, opts: { pipeline?: string; on: boolean }): Promise<GuardResult[]> {
  const pipelines = cfg.pipelines.filter((p) => opts.pipeline === undefined || p.name === opts.pipeline);
  if (pipelines.length === 0) throw new SluiceError('BAD_ARGUMENT', `no pipeline named '${opts.pipeline}' in the config`, `use one of: ${cfg.pipelines.map((p) => p.name).join(', ')}`);
  const out: GuardResult[] = [];
  for (const p of pipelines) out.push(await guardPipeline(cfg, p, opts.on));
  return out;
}

async function guardPipeline(cfg: SluiceConfig, p: PipelineConfig, on: boolean): Promise<GuardResult> {
  const src = await mysql.createConnection(mysqlConnectionOptions(cfg.sources[p.source]!.url));
  const tgt = await mysql.createConnection(mysqlConnectionOptions(cfg.targets[p.target]!.url));
  try {
    const tables = await listSourceTables(src, compileTableFilter(p.tables, p.exclude));
    const done: string[] = [];
    for (const t of tables) {
      const db = p.targetDatabase ?? t.database;
      const [exists] = await tgt.query<RowDataPacket[]>(format('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, t.table]));
      if (exists.length === 0) continue;
      for (const sql of guardSql(db, t.table, p.name, on)) {
        try {
          await tgt.query(sql);
        } catch (err) {
          throw new SluiceError('TARGET_WRITE_FAILED', `cannot ${on ? 'create' : 'drop'} the guard triggers on ${db}.${t.table}: ${(err as Error).message}`,
            `grant TRIGGER on ${quoteId(db)}.* to the target user${on ? '; with binary logging on the target, a user without SUPER also needs log_bin_trust_function_creators=1' : ''}`,
            { table: `${db}.${t.table}` }, { cause: err });
        }
      }
      done.push(`${db}.${t.table}`);
    }
    return { pipeline: p.name, tables: done };
  } finally {
    await Promise.all([src.end().catch(() => undefined), tgt.end().catch(() => undefined)]);
  }
}
