import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { SluiceError, isSluiceError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';

interface CheckResult { ok: boolean; what: string; fix?: string; warn?: boolean }

/** `sluice check --config FILE`: validate the config and run the preflight checks on every source and target. */
export async function checkCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new SluiceError('BAD_ARGUMENT', 'missing --config FILE', 'run `sluice check --config sluice.yaml`');
  const cfg = await loadConfig(values.config);
  process.stdout.write(`config ${values.config}: OK (${Object.keys(cfg.sources).length} sources, ${Object.keys(cfg.targets).length} targets, ${cfg.pipelines.length} pipelines)\n`);
  let failures = 0;
  for (const s of Object.values(cfg.sources)) {
    const results = await checkSource(s.url);
    failures += report(`source ${s.name}`, results);
  }
  for (const t of Object.values(cfg.targets)) {
    const results = await checkTarget(t.url, t.checkpointDatabase);
    failures += report(`target ${t.name}`, results);
  }
  return failures > 0 ? 1 : 0;
}

function report(name: string, results: CheckResult[]): number {
  let failures = 0;
  for (const r of results) {
    const mark = r.ok ? (r.warn ? 'WARN' : 'ok  ') : 'FAIL';
    if (!r.ok) failures++;
    process.stdout.write(`${mark} ${name}: ${r.what}${r.fix ? `\n     fix: ${r.fix}` : ''}\n`);
  }
  return failures;
}

/** Preflight of a source: reachable, binlog on and ROW, row image FULL, replication grants. */
export async function checkSource(url: string): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  let st;
  try {
    st = await ReplicationSession.serverStatus(url);
  } catch (err) {
    return [failure('reachable', err)];
  }
  out.push({ ok: true, what: `reachable: ${st.flavor} ${st.serverVersion}` });
  out.push(st.logBin ? { ok: true, what: 'binary log enabled' } : { ok: false, what: 'binary log is OFF', fix: 'start the server with log_bin=ON (e.g. --log-bin) and binlog_format=ROW' });
  if (st.logBin) {
    out.push(st.binlogFormat.toUpperCase() === 'ROW' ? { ok: true, what: 'binlog_format=ROW' }
      : { ok: false, what: `binlog_format=${st.binlogFormat}`, fix: "SET GLOBAL binlog_format='ROW' and make it permanent in the server config" });
    out.push(st.binlogRowImage.toUpperCase() === 'FULL' ? { ok: true, what: 'binlog_row_image=FULL' }
      : { ok: true, warn: true, what: `binlog_row_image=${st.binlogRowImage}: updates carry only changed columns; snapshot overlap and tables without a primary key need FULL`, fix: "SET GLOBAL binlog_row_image='FULL'" });
    out.push({ ok: true, what: `binlog at ${st.file}:${st.pos}, oldest file ${st.oldestFile}; GTID ${st.gtidSet || '(none)'}` });
  }
  // Opening a short replication session proves the grants (REPLICATION SLAVE/CLIENT) end to end.
  if (st.logBin) {
    try {
      const session = await ReplicationSession.open({ url, serverId: 4_000_000_000 + Math.floor(Math.random() * 1_000_000), start: { kind: 'now' }, heartbeatSeconds: 0 });
      session.close();
      out.push({ ok: true, what: 'replication grants (REPLICATION SLAVE, REPLICATION CLIENT)' });
    } catch (err) {
      out.push(failure('replication', err));
    }
  }
  return out;
}

/** Preflight of a target: reachable and writable (can create the checkpoint database and table). */
export async function checkTarget(url: string, checkpointDatabase: string): Promise<CheckResult[]> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: url });
  } catch (err) {
    return [failure('reachable', err)];
  }
  const out: CheckResult[] = [{ ok: true, what: 'reachable' }];
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${checkpointDatabase.replace(/`/g, '``')}\``);
    await conn.query(`CREATE TABLE IF NOT EXISTS \`${checkpointDatabase.replace(/`/g, '``')}\`.\`_sluice_check\` (id INT PRIMARY KEY) ENGINE=InnoDB`);
    await conn.query(`DROP TABLE \`${checkpointDatabase.replace(/`/g, '``')}\`.\`_sluice_check\``);
    out.push({ ok: true, what: `writable (created and dropped a table in ${checkpointDatabase})` });
  } catch (err) {
    out.push({ ok: false, what: `not writable: ${(err as Error).message}`, fix: `GRANT ALL ON *.* TO the sync user, or at least CREATE, ALTER, DROP, INSERT, UPDATE, DELETE, SELECT on the target databases and ${checkpointDatabase}` });
  } finally {
    await conn.end().catch(() => undefined);
  }
  return out;
}

function failure(what: string, err: unknown): CheckResult {
  if (isSluiceError(err)) return { ok: false, what: `${what}: ${err.code}: ${err.message}`, fix: err.fix };
  const e = err as { code?: string; message?: string };
  if (e.code === 'ER_ACCESS_DENIED_ERROR') return { ok: false, what: `${what}: access denied`, fix: 'check the user and password in the URL' };
  if (e.code === 'ECONNREFUSED') return { ok: false, what: `${what}: connection refused`, fix: 'check the host and port, and that the server is running' };
  return { ok: false, what: `${what}: ${e.message ?? String(err)}` };
}
