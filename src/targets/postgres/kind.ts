/** The PostgreSQL target kind: what the registry knows about it (see targets/kind.ts). */
import { z } from 'zod';
import { isSluiceError } from '../../errors.js';
import type { CheckResult } from '../../core/check-result.js';
import { endpointUrl, type EndpointParts, type PipelineTargetCheck, type PipelineTargetCheckResult, type TargetKind, type TargetKindConfig } from '../kind.js';
import { routeToDatabase } from '../target.js';
import { PostgresTarget } from './postgres-target.js';
import { checkPostgresTarget } from './preflight.js';

const nonEmpty = z.string().min(1);

/** `postgres://user:pass@host:5432/db?…` of stored parts. */
const postgresUrl = (e: EndpointParts, passwordText?: string): string => endpointUrl('postgres', e, passwordText);

/** The parts of a postgres:// URL (the database is required: PostgreSQL connects to one). */
export function parsePostgresEndpoint(url: string): { ok: true; value: EndpointParts } | { ok: false; message: string; fix: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, message: 'not a URL', fix: 'write it as postgres://user:password@host:5432/database' };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    return { ok: false, message: `the scheme is ${u.protocol.replace(/:$/, '')}, not postgres`, fix: 'write it as postgres://user:password@host:5432/database' };
  }
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database === '') return { ok: false, message: 'the URL names no database', fix: 'add it: postgres://user:password@host:5432/database' };
  const options: Record<string, string> = {};
  u.searchParams.forEach((v, k) => { options[k] = v; });
  return {
    ok: true,
    value: {
      host: u.hostname.replace(/^\[|\]$/g, '') || 'localhost', port: u.port ? Number(u.port) : 5432,
      user: decodeURIComponent(u.username) || 'postgres', password: decodeURIComponent(u.password), database, options,
    },
  };
}

function failed(what: string, err: unknown): CheckResult {
  if (isSluiceError(err)) return { ok: false, what: `${what}: ${err.message}`, fix: err.fix, code: err.code, transient: err.code === 'CONNECTION_FAILED' };
  return { ok: false, what: `${what}: ${err instanceof Error ? err.message : String(err)}`, code: 'CONNECTION_FAILED', transient: true };
}

async function checkTarget(config: TargetKindConfig, schemas: readonly string[]): Promise<CheckResult[]> {
  try {
    const checks = await checkPostgresTarget(config.url, [config.checkpointDatabase, ...schemas]);
    return [{ ok: true, check: 'reachable', what: 'PostgreSQL target reachable' }, ...checks.map((c): CheckResult => (c.ok
      ? { ok: true, check: c.name, what: c.message }
      : { ok: false, check: c.name, what: c.message, ...(c.fix ? { fix: c.fix } : {}), code: 'MISSING_GRANTS' }))];
  } catch (err) {
    return [failed('PostgreSQL target reachable', err)];
  }
}

async function checkPipeline(config: TargetKindConfig, check: PipelineTargetCheck): Promise<PipelineTargetCheckResult> {
  const route = routeToDatabase(check.targetDatabase);
  const schemas = [...new Set(check.tables.map((t) => route(t.database, t.table).database))];
  const results = await checkTarget(config, schemas);
  if (results.some((r) => !r.ok)) return { results, saved: null };
  const target = new PostgresTarget({ pipeline: check.pipeline, url: config.url, checkpointSchema: config.checkpointDatabase, route });
  try {
    const cp = check.resync ? null : await target.readCheckpoint();
    const saved = cp ? { file: cp.position.file, pos: String(cp.position.pos) } : null;
    if (!saved && !check.resync && check.tables.length > 0) {
      // A first run: tables that exist already must match the source (compared read-only).
      const missing = new Set((await target.missingTables(check.tables)).map((t) => `${t.database}\0${t.table}`));
      const existing = check.tables.filter((t) => !missing.has(`${t.database}\0${t.table}`));
      let compatible = 0;
      for (const m of await check.sourceTables(existing)) {
        const problem = await target.incompatibility(m);
        if (problem) results.push({ ok: false, what: `table ${m.schema.database}.${m.schema.table}: ${problem.message}`, fix: problem.fix, code: problem.code });
        else compatible++;
      }
      if (compatible > 0) results.push({ ok: true, what: `${compatible} existing PostgreSQL tables match the source definitions` });
    }
    return { results, saved };
  } catch (err) {
    return { results: [...results, failed('reading the checkpoint', err)], saved: null };
  } finally {
    await target.close();
  }
}

export const POSTGRES_KIND: TargetKind = {
  types: ['postgres', 'postgresql'],
  title: 'PostgreSQL',
  description: 'Rows and the checkpoint commit in one PostgreSQL transaction (exactly-once, epoch fencing); one schema per source database; '
    + 'tables are created from the source model with a lossless type mapping and the column defaults, foreign keys between copied tables added once the copy is done (deferred checks; docs/postgres-target.md); snapshot chunks load by COPY; '
    + 'DDL is translated from the parsed statement (or refused with DDL_UNSUPPORTED); re-snapshots are swapped in within one transaction.',
  configSchema: z.strictObject({
    type: z.enum(['postgres', 'postgresql']),
    url: nonEmpty,
    checkpointDatabase: nonEmpty.optional(),
  }),
  checkpointPlace: 'schema',
  endpoint: {
    schemes: ['postgres', 'postgresql'],
    defaultPort: 5432,
    fields: [
      { name: 'host', label: 'Host', input: 'text', required: true },
      { name: 'port', label: 'Port', input: 'number', required: false, default: 5432 },
      { name: 'user', label: 'User', input: 'text', required: true },
      { name: 'password', label: 'Password', input: 'password', required: false },
      { name: 'database', label: 'Database', input: 'text', required: true, help: 'the PostgreSQL database; each source database becomes a schema in it (or the pipeline\'s targetDatabase)' },
      { name: 'checkpointDatabase', label: 'Checkpoint schema', input: 'text', required: false, default: '_sluice', help: 'holds the checkpoints and snapshot progress' },
    ],
    url: postgresUrl,
    parseUrl: parsePostgresEndpoint,
  },
  checkTarget: (config) => checkTarget(config, []),
  checkPipeline,
  factory(config) {
    return (o) => new PostgresTarget({ ...o, url: config.url, checkpointSchema: config.checkpointDatabase });
  },
};
