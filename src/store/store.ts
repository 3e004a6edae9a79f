/**
 * The control-plane store: sources, targets, pipelines, users, sessions, API tokens, the audit log, recent
 * metric samples, alert state and (for a cluster) nodes and leases. By default an embedded SQLite file
 * (`<data-dir>/sluice.db`); with `--store` a MySQL/MariaDB or PostgreSQL database that several `sluice serve`
 * nodes share. One asynchronous interface over Kysely, one dialect per kind of database (dialect.ts);
 * the schema is migrated at open (migrations.ts). Database passwords are sealed with the SecretBox; user
 * passwords are scrypt hashes; session ids and API tokens are stored only as SHA-256 hashes.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { DEFAULT_CHECKPOINT_DATABASE, type PipelineConfig, type SourceConfig, type TargetConfig } from '../config/index.js';
import { attachRedaction } from '../config/redact.js';
import { isSluiceError, SluiceError } from '../errors.js';
import type { LastVerifyResult } from '../core/verify-result.js';
import { insertIfMissing, openDatabase, storeLocation, upsert, type StoreDialect, type StoreLocation } from './dialect.js';
import { LEGACY_VERSION } from './legacy-sqlite-migrations.js';
import { migrateStore } from './migrations.js';
import type { EndpointsTable, PipelinesTable, StoreSchema } from './schema.js';
import { targetKind } from '../targets/registry.js';
import { SecretBox } from './secret-box.js';

export type Role = 'admin' | 'operator' | 'viewer';
export const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
export type EndpointKind = 'source' | 'target';
export type DesiredState = 'running' | 'paused' | 'stopped';

/** A source or target as stored; `password` is the decrypted secret (internal use only, never serialize). */
export interface EndpointRecord {
  kind: EndpointKind;
  name: string;
  /** `mysql` / `mariadb` for sources; a target kind's type (targets registry) for targets. */
  type: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
  options: Record<string, string>;
  serverId?: number;
  checkpointDatabase?: string;
  managed: boolean;
  createdAt: string;
  updatedAt: string;
}

export type EndpointInput = Omit<EndpointRecord, 'managed' | 'createdAt' | 'updatedAt'>;

export interface PipelineRecord {
  config: PipelineConfig;
  desiredState: DesiredState;
  managed: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface UserRecord { username: string; role: Role; passwordHash: string; createdAt: string }
export interface SessionRecord { username: string; role: Role; csrfToken: string }
export interface TokenRecord { id: string; name: string; username: string; role: Role; createdAt: string; lastUsedAt: string | null; expiresAt: string | null }
/** The last complete copy of one source table by a pipeline (initial snapshot, re-snapshot or resync). */
/** A table's latest verify result as kept in the store (src/verify/verify-runs.ts writes it). */
export type StoredVerifyResult = LastVerifyResult;
export interface TableCopy { table: string; rowsCopied: number; finishedAt: string }
export interface AuditEntry { id: number; time: string; actor: string | null; action: string; target: string | null; details: Record<string, unknown>; ip: string | null }
export interface AuditInput { actor: string | null; action: string; target?: string | null; details?: Record<string, unknown>; ip?: string | null }
export interface MetricSample {
  pipeline: string; time: number; state: string; lagSeconds: number | null; rowsPerSecond: number;
  rowsApplied: number; snapshotRowsCopied: number; errorCount: number;
}

/** Sessions end after this long without a request … */
export const SESSION_IDLE_MS = 12 * 3600 * 1000;
/** … and this long after the sign-in, however active (the user signs in again). */
export const SESSION_MAX_MS = 24 * 3600 * 1000;

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');
const now = (): string => new Date().toISOString();

type EndpointRow = Selectable<EndpointsTable>;
type PipelineRow = Selectable<PipelinesTable>;

export interface StoreOptions {
  /** The data directory: the SQLite file when no `url`, and the default place of the secret key. */
  dataDir: string;
  /** `--store`: a mysql:// (MySQL, MariaDB) or postgresql:// URL of a shared store; none = the SQLite file. */
  url?: string | undefined;
  box?: SecretBox;
  env?: NodeJS.ProcessEnv;
}

const SECRET_CHECK = 'sluice-secret-check';

export class Store {
  private constructor(
    /** The database (a transaction's, inside `transaction`). Modules that own tables of the store (alerts, cluster) query it. */
    readonly db: Kysely<StoreSchema>,
    readonly dialect: StoreDialect,
    /** Where the store is (no password). */
    readonly location: StoreLocation,
    /** Seals secrets kept in the store (the key is the same on every node of a shared store). */
    readonly box: SecretBox,
    private readonly inTransaction: boolean,
    /** The migrations this node applied when it opened the store (none when another node, or an earlier start, did). */
    readonly migrationsApplied: readonly string[] = [],
  ) {}

  /** Open (and migrate) the store; a shared store that cannot be reached is STORE_UNAVAILABLE. */
  static async open(o: StoreOptions): Promise<Store> {
    const location = storeLocation(o.url, o.dataDir);
    const box = o.box ?? SecretBox.open(o.dataDir, o.env);
    const db = openDatabase(location);
    const unavailable = (what: string, fix: string, err: unknown): SluiceError => new SluiceError('STORE_UNAVAILABLE',
      `cannot ${what} the store ${location.describe}: ${err instanceof Error ? err.message : String(err)}`, fix, { store: location.describe }, { cause: err });
    try {
      await sql`select 1`.execute(db); // unreachable → STORE_UNAVAILABLE, before any migration
    } catch (err) {
      await db.destroy().catch(() => undefined);
      throw unavailable('reach', 'check that the database server is up and reachable, that the database exists and that the URL\'s user and password are right', err);
    }
    try {
      const applied = await migrateStore(db as unknown as Kysely<unknown>, location.dialect);
      if (location.dialect === 'sqlite') await sql`pragma user_version = ${sql.lit(LEGACY_VERSION)}`.execute(db); // an older Sluice sees an up-to-date store
      const store = new Store(db, location.dialect, location, box, false, applied);
      await store.checkSecretKey();
      return store;
    } catch (err) {
      await db.destroy().catch(() => undefined);
      if (isSluiceError(err)) throw err;
      throw unavailable('open', 'check that the database server is up and reachable and that the URL\'s user may create tables in its database', err);
    }
  }

  /** Run `fn` in one transaction of the store (everything or nothing). */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction().execute((trx) => fn(new Store(trx, this.dialect, this.location, this.box, true)));
  }

  async close(): Promise<void> {
    if (!this.inTransaction) await this.db.destroy();
  }

  /** A node whose secret key differs from the one the store's secrets were sealed with is refused at start. */
  private async checkSecretKey(): Promise<void> {
    // The first node to open the store leaves its check value; every node (that one too) then reads the one kept.
    await insertIfMissing(this.db, this.dialect, 'store_settings', { name: 'secret_check', value: this.box.seal(SECRET_CHECK) }, ['name']);
    const r = await this.db.selectFrom('store_settings').select('value').where('name', '=', 'secret_check').executeTakeFirstOrThrow();
    let ok = false;
    try {
      ok = this.box.open(r.value) === SECRET_CHECK;
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new SluiceError('BAD_CONFIG', `the secret key of this node is not the one the store ${this.location.describe} was sealed with`,
        'give every node of a shared store the same key: SLUICE_SECRET_KEY, or SLUICE_SECRET_KEY_FILE (or --secret-key-file) naming the same key file');
    }
  }

  // ── sources and targets ────────────────────────────────────────────────────────────────────

  async listEndpoints(kind: EndpointKind): Promise<EndpointRecord[]> {
    const rows = await this.db.selectFrom('endpoints').selectAll().where('kind', '=', kind).orderBy('name').execute();
    return rows.map((r) => this.endpointFrom(r));
  }

  async getEndpoint(kind: EndpointKind, name: string): Promise<EndpointRecord | null> {
    const r = await this.db.selectFrom('endpoints').selectAll().where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    return r ? this.endpointFrom(r) : null;
  }

  /** Insert or replace (keeps createdAt). */
  async putEndpoint(e: EndpointInput, managed = false): Promise<EndpointRecord> {
    const t = now();
    const row = {
      kind: e.kind, name: e.name, type: e.type, host: e.host, port: e.port, user: e.user, password_sealed: e.password ? this.box.seal(e.password) : null,
      database_name: e.database ?? null, options: JSON.stringify(e.options), server_id: e.serverId ?? null,
      checkpoint_database: e.kind === 'target' ? (e.checkpointDatabase ?? DEFAULT_CHECKPOINT_DATABASE) : null, managed: managed ? 1 : 0, updated_at: t,
    };
    await upsert(this.db, this.dialect, 'endpoints', { ...row, created_at: t }, ['kind', 'name'], row);
    return (await this.getEndpoint(e.kind, e.name))!;
  }

  async deleteEndpoint(kind: EndpointKind, name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('endpoints').where('kind', '=', kind).where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private endpointFrom(r: EndpointRow): EndpointRecord {
    return {
      kind: r.kind === 'target' ? 'target' : 'source', name: r.name, type: r.kind === 'target' ? r.type : r.type === 'mariadb' ? 'mariadb' : 'mysql', host: r.host, port: Number(r.port), user: r.user,
      password: r.password_sealed ? this.box.open(r.password_sealed) : '',
      ...(r.database_name ? { database: r.database_name } : {}),
      options: JSON.parse(r.options) as Record<string, string>,
      ...(r.server_id !== null ? { serverId: Number(r.server_id) } : {}),
      ...(r.checkpoint_database ? { checkpointDatabase: r.checkpoint_database } : {}),
      managed: Number(r.managed) === 1, createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }

  // ── pipelines ──────────────────────────────────────────────────────────────────────────────

  async listPipelines(): Promise<PipelineRecord[]> {
    return (await this.db.selectFrom('pipelines').selectAll().orderBy('name').execute()).map(pipelineFrom);
  }

  async getPipeline(name: string): Promise<PipelineRecord | null> {
    const r = await this.db.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? pipelineFrom(r) : null;
  }

  async putPipeline(config: PipelineConfig, desiredState: DesiredState, managed = false): Promise<PipelineRecord> {
    const t = now();
    const row = { name: config.name, config: JSON.stringify(config), desired_state: desiredState, managed: managed ? 1 : 0, updated_at: t };
    await upsert(this.db, this.dialect, 'pipelines', { ...row, created_at: t }, ['name'], row);
    return (await this.getPipeline(config.name))!;
  }

  async setDesiredState(name: string, state: DesiredState): Promise<void> {
    await this.db.updateTable('pipelines').set({ desired_state: state }).where('name', '=', name).execute();
  }

  async deletePipeline(name: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      await tx.db.deleteFrom('pipeline_skips').where('pipeline', '=', name).execute();
      await tx.db.deleteFrom('table_copies').where('pipeline', '=', name).execute();
      await tx.db.deleteFrom('verify_results').where('pipeline', '=', name).execute();
      await tx.db.deleteFrom('pipeline_status').where('pipeline', '=', name).execute();
      await tx.db.deleteFrom('pipeline_commands').where('pipeline', '=', name).execute();
      const r = await tx.db.deleteFrom('pipelines').where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /** The skip an operator asked for and the stream has not reached yet (kept across restarts). */
  async pendingSkip(name: string): Promise<{ file: string; pos: number; kind: 'transaction' | 'ddl' } | null> {
    const r = await this.db.selectFrom('pipeline_skips').select(['file', 'pos', 'kind']).where('pipeline', '=', name).executeTakeFirst();
    if (!r) return null;
    return { file: r.file, pos: Number(r.pos), kind: r.kind === 'ddl' ? 'ddl' : 'transaction' };
  }

  async setPendingSkip(name: string, skip: { file: string; pos: number; kind: 'transaction' | 'ddl' } | null): Promise<void> {
    if (skip === null) await this.db.deleteFrom('pipeline_skips').where('pipeline', '=', name).execute();
    else await upsert(this.db, this.dialect, 'pipeline_skips', { pipeline: name, file: skip.file, pos: skip.pos, kind: skip.kind, requested_at: now() }, ['pipeline']);
  }

  /** Pipelines that use a source or target. */
  async pipelinesUsing(kind: EndpointKind, name: string): Promise<string[]> {
    return (await this.listPipelines()).filter((p) => (kind === 'source' ? p.config.source : p.config.target) === name).map((p) => p.config.name);
  }

  // ── users ──────────────────────────────────────────────────────────────────────────────────

  async countAdmins(): Promise<number> {
    const r = await this.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).where('role', '=', 'admin').executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async listUsers(): Promise<UserRecord[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('username').execute()).map(userFrom);
  }

  async getUser(username: string): Promise<UserRecord | null> {
    const r = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
    return r ? userFrom(r) : null;
  }

  async createUser(username: string, role: Role, passwordHash: string): Promise<UserRecord> {
    await this.db.insertInto('users').values({ username, role, password_hash: passwordHash, created_at: now() }).execute();
    return (await this.getUser(username))!;
  }

  async updateUser(username: string, change: { role?: Role; passwordHash?: string }): Promise<void> {
    const set = { ...(change.role ? { role: change.role } : {}), ...(change.passwordHash ? { password_hash: change.passwordHash } : {}) };
    if (Object.keys(set).length > 0) await this.db.updateTable('users').set(set).where('username', '=', username).execute();
  }

  async deleteUser(username: string): Promise<boolean> {
    return this.transaction(async (tx) => {
      // The foreign keys cascade too; deleting here does not depend on them (SQLite enforces them per connection).
      await tx.db.deleteFrom('sessions').where('username', '=', username).execute();
      await tx.db.deleteFrom('api_tokens').where('username', '=', username).execute();
      const r = await tx.db.deleteFrom('users').where('username', '=', username).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────────

  async createSession(username: string): Promise<{ id: string; csrfToken: string }> {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const t = Date.now();
    await this.db.insertInto('sessions').values({ id_hash: sha256(id), username, csrf_token: csrfToken, created_at: t, last_seen: t }).execute();
    return { id, csrfToken };
  }

  /** The live session with this id (its idle timer restarted), or null. */
  async getSession(id: string): Promise<SessionRecord | null> {
    const t = Date.now();
    const r = await this.db.selectFrom('sessions as s').innerJoin('users as u', 'u.username', 's.username')
      .select(['s.username', 'u.role', 's.csrf_token', 's.last_seen', 's.created_at']).where('s.id_hash', '=', sha256(id)).executeTakeFirst();
    if (!r) return null;
    if (t - Number(r.last_seen) > SESSION_IDLE_MS || t - Number(r.created_at) > SESSION_MAX_MS) {
      await this.deleteSession(id);
      return null;
    }
    if (t - Number(r.last_seen) > 10_000) await this.db.updateTable('sessions').set({ last_seen: t }).where('id_hash', '=', sha256(id)).execute();
    return { username: r.username, role: roleOf(r.role), csrfToken: r.csrf_token };
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', sha256(id)).execute();
  }

  async deleteSessionsOf(username: string, exceptId?: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('username', '=', username).where('id_hash', '!=', exceptId ? sha256(exceptId) : '').execute();
  }

  // ── API tokens ─────────────────────────────────────────────────────────────────────────────

  /** A new API token; `expiresAt` (ISO time) null for a token that does not expire. */
  async createToken(username: string, name: string, role: Role, expiresAt: string | null = null): Promise<{ token: TokenRecord; secret: string }> {
    const id = randomUUID();
    const secret = `sluice_${randomBytes(32).toString('base64url')}`;
    await this.db.insertInto('api_tokens').values({ id, name, username, role, secret_hash: sha256(secret), created_at: now(), last_used_at: null, expires_at: expiresAt }).execute();
    return { token: (await this.listTokens()).find((t) => t.id === id)!, secret };
  }

  async listTokens(username?: string): Promise<TokenRecord[]> {
    let q = this.db.selectFrom('api_tokens').select(['id', 'name', 'username', 'role', 'created_at', 'last_used_at', 'expires_at']).orderBy('created_at').orderBy('id');
    if (username !== undefined) q = q.where('username', '=', username);
    return (await q.execute()).map((r) => ({ id: r.id, name: r.name, username: r.username, role: roleOf(r.role), createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at }));
  }

  /** The unexpired token with this secret (role capped by its owner's current role), or null. */
  async findToken(secret: string): Promise<TokenRecord | null> {
    const r = await this.db.selectFrom('api_tokens as t').innerJoin('users as u', 'u.username', 't.username')
      .select(['t.id', 't.name', 't.username', 't.role', 'u.role as ownerRole', 't.created_at', 't.last_used_at', 't.expires_at'])
      .where('t.secret_hash', '=', sha256(secret)).executeTakeFirst();
    if (!r) return null;
    if (r.expires_at !== null && Date.parse(r.expires_at) <= Date.now()) return null;
    await this.db.updateTable('api_tokens').set({ last_used_at: now() }).where('id', '=', r.id).execute();
    const own = roleOf(r.ownerRole);
    const asked = roleOf(r.role);
    const role = ROLES.indexOf(own) < ROLES.indexOf(asked) ? own : asked;
    return { id: r.id, name: r.name, username: r.username, role, createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at };
  }

  async deleteToken(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('api_tokens').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  // ── last copy of each table ────────────────────────────────────────────────────────────────

  async recordTableCopy(pipeline: string, copy: TableCopy): Promise<void> {
    await upsert(this.db, this.dialect, 'table_copies', { pipeline, source_table: copy.table, rows_copied: copy.rowsCopied, finished_at: copy.finishedAt }, ['pipeline', 'source_table']);
  }

  async tableCopies(pipeline: string): Promise<TableCopy[]> {
    const rows = await this.db.selectFrom('table_copies').select(['source_table', 'rows_copied', 'finished_at']).where('pipeline', '=', pipeline).orderBy('source_table').execute();
    return rows.map((r) => ({ table: r.source_table, rowsCopied: Number(r.rows_copied), finishedAt: r.finished_at }));
  }

  /** Keep the result of a table's latest verify (replacing the one before). */
  async recordVerifyResult(pipeline: string, result: StoredVerifyResult): Promise<void> {
    const { table, repair, checkedAt } = result;
    await upsert(this.db, this.dialect, 'verify_results', { pipeline, source_table: table, repair: repair ? 1 : 0, result: JSON.stringify(result), checked_at: checkedAt }, ['pipeline', 'source_table']);
  }

  /** The latest verify result of every table of the pipeline, by table. */
  async verifyResults(pipeline: string): Promise<StoredVerifyResult[]> {
    const rows = await this.db.selectFrom('verify_results').select('result').where('pipeline', '=', pipeline).orderBy('source_table').execute();
    return rows.map((r) => JSON.parse(r.result) as StoredVerifyResult);
  }

  // ── audit log ──────────────────────────────────────────────────────────────────────────────

  async audit(e: AuditInput): Promise<void> {
    await this.db.insertInto('audit_log').values({ time: now(), actor: e.actor, action: e.action, target: e.target ?? null, details: JSON.stringify(e.details ?? {}), ip: e.ip ?? null }).execute();
  }

  async listAudit(limit: number, before?: number): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit);
    if (before !== undefined) q = q.where('id', '<', before);
    return (await q.execute()).map((r) => ({ ...r, id: Number(r.id), details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  // ── metric history ─────────────────────────────────────────────────────────────────────────

  async addSamples(samples: MetricSample[]): Promise<void> {
    if (samples.length === 0) return;
    await this.db.insertInto('metric_samples').values(samples.map((s) => ({
      pipeline: s.pipeline, time: s.time, state: s.state, lag_seconds: s.lagSeconds, rows_per_second: s.rowsPerSecond, rows_applied: s.rowsApplied,
      snapshot_rows_copied: s.snapshotRowsCopied, error_count: s.errorCount,
    }))).execute();
  }

  async samples(sinceMs: number, pipeline?: string): Promise<MetricSample[]> {
    let q = this.db.selectFrom('metric_samples').selectAll().where('time', '>=', sinceMs).orderBy('time');
    if (pipeline !== undefined) q = q.where('pipeline', '=', pipeline);
    return (await q.execute()).map((r) => ({
      pipeline: r.pipeline, time: Number(r.time), state: r.state, lagSeconds: r.lag_seconds === null ? null : Number(r.lag_seconds), rowsPerSecond: Number(r.rows_per_second),
      rowsApplied: Number(r.rows_applied), snapshotRowsCopied: Number(r.snapshot_rows_copied), errorCount: Number(r.error_count),
    }));
  }

  async pruneSamples(beforeMs: number): Promise<void> {
    await this.db.deleteFrom('metric_samples').where('time', '<', beforeMs).execute();
  }
}

const roleOf = (r: string): Role => (r === 'admin' || r === 'operator' ? r : 'viewer');

function userFrom(r: Selectable<StoreSchema['users']>): UserRecord {
  return { username: r.username, role: roleOf(r.role), passwordHash: r.password_hash, createdAt: r.created_at };
}

function pipelineFrom(r: PipelineRow): PipelineRecord {
  const desired = r.desired_state === 'running' || r.desired_state === 'paused' ? r.desired_state : 'stopped';
  return { config: JSON.parse(r.config) as PipelineConfig, desiredState: desired, managed: Number(r.managed) === 1, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** The URL of an endpoint (password included: internal use only); a target's as its kind writes it. */
export function endpointUrl(e: Pick<EndpointRecord, 'kind' | 'type' | 'host' | 'port' | 'user' | 'password' | 'database' | 'options'>, passwordText?: string): string {
  if (e.kind === 'target') return targetKind(e.type).endpoint.url(e, passwordText);
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  const pw = passwordText ?? (e.password ? encodeURIComponent(e.password) : '');
  const auth = `${encodeURIComponent(e.user)}${pw ? `:${pw}` : ''}`;
  const q = new URLSearchParams(e.options).toString();
  return `mysql://${auth}@${host}:${e.port}/${e.database ? encodeURIComponent(e.database) : ''}${q ? `?${q}` : ''}`;
}

export function toSourceConfig(e: EndpointRecord): SourceConfig {
  return attachRedaction({
    name: e.name, type: e.type === 'mariadb' ? 'mariadb' : 'mysql', url: endpointUrl(e),
    connection: { host: e.host, port: e.port, user: e.user, password: e.password, ...(e.database ? { database: e.database } : {}), options: { ...e.options } },
    ...(e.serverId !== undefined ? { serverId: e.serverId } : {}),
  });
}

export function toTargetConfig(e: EndpointRecord): TargetConfig {
  return attachRedaction({
    name: e.name, type: e.type, url: endpointUrl(e),
    connection: { host: e.host, port: e.port, user: e.user, password: e.password, ...(e.database ? { database: e.database } : {}), options: { ...e.options } },
    checkpointDatabase: e.checkpointDatabase ?? DEFAULT_CHECKPOINT_DATABASE,
  });
}
