/**
 * The control-plane store: an embedded SQLite database (`<data-dir>/sluice.db`) holding sources, targets,
 * pipelines, users, sessions, API tokens, the audit log and recent metric samples. Database passwords are
 * sealed with the SecretBox; user passwords are scrypt hashes; session ids and API tokens are stored only
 * as SHA-256 hashes.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CHECKPOINT_DATABASE, type PipelineConfig, type SourceConfig, type TargetConfig } from '../config/index.js';
import { attachRedaction } from '../config/redact.js';
import type { LastVerifyResult } from '../core/verify-result.js';
import { migrate } from './migrations.js';
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

interface EndpointRow {
  kind: EndpointKind; name: string; type: string; host: string; port: number; user: string; password_sealed: string | null;
  database_name: string | null; options: string; server_id: number | null; checkpoint_database: string | null; managed: number;
  created_at: string; updated_at: string;
}
interface PipelineRow { name: string; config: string; desired_state: string; managed: number; created_at: string; updated_at: string }

export class Store {
  readonly db: Database.Database;
  readonly path: string;
  private readonly box: SecretBox;

  constructor(dataDir: string, opts: { box?: SecretBox; env?: NodeJS.ProcessEnv } = {}) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.path = join(dataDir, 'sluice.db');
    this.db = new Database(this.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    migrate(this.db);
    this.box = opts.box ?? SecretBox.open(dataDir, opts.env);
  }

  close(): void {
    this.db.close();
  }

  // ── sources and targets ────────────────────────────────────────────────────────────────────

  listEndpoints(kind: EndpointKind): EndpointRecord[] {
    const rows = this.db.prepare('SELECT * FROM endpoints WHERE kind = ? ORDER BY name').all(kind) as EndpointRow[];
    return rows.map((r) => this.endpointFrom(r));
  }

  getEndpoint(kind: EndpointKind, name: string): EndpointRecord | null {
    const r = this.db.prepare('SELECT * FROM endpoints WHERE kind = ? AND name = ?').get(kind, name) as EndpointRow | undefined;
    return r ? this.endpointFrom(r) : null;
  }

  /** Insert or replace (keeps createdAt). */
  putEndpoint(e: EndpointInput, managed = false): EndpointRecord {
    const existing = this.db.prepare('SELECT created_at FROM endpoints WHERE kind = ? AND name = ?').get(e.kind, e.name) as { created_at: string } | undefined;
    const t = now();
    this.db.prepare(`INSERT OR REPLACE INTO endpoints (kind, name, type, host, port, user, password_sealed, database_name, options, server_id,
      checkpoint_database, managed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      e.kind, e.name, e.type, e.host, e.port, e.user, e.password ? this.box.seal(e.password) : null, e.database ?? null,
      JSON.stringify(e.options), e.serverId ?? null, e.kind === 'target' ? (e.checkpointDatabase ?? DEFAULT_CHECKPOINT_DATABASE) : null,
      managed ? 1 : 0, existing?.created_at ?? t, t);
    return this.getEndpoint(e.kind, e.name)!;
  }

  deleteEndpoint(kind: EndpointKind, name: string): boolean {
    return this.db.prepare('DELETE FROM endpoints WHERE kind = ? AND name = ?').run(kind, name).changes > 0;
  }

  private endpointFrom(r: EndpointRow): EndpointRecord {
    return {
      kind: r.kind, name: r.name, type: r.kind === 'target' ? r.type : r.type === 'mariadb' ? 'mariadb' : 'mysql', host: r.host, port: r.port, user: r.user,
      password: r.password_sealed ? this.box.open(r.password_sealed) : '',
      ...(r.database_name ? { database: r.database_name } : {}),
      options: JSON.parse(r.options) as Record<string, string>,
      ...(r.server_id !== null ? { serverId: r.server_id } : {}),
      ...(r.checkpoint_database ? { checkpointDatabase: r.checkpoint_database } : {}),
      managed: r.managed === 1, createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }

  // ── pipelines ──────────────────────────────────────────────────────────────────────────────

  listPipelines(): PipelineRecord[] {
    return (this.db.prepare('SELECT * FROM pipelines ORDER BY name').all() as PipelineRow[]).map(pipelineFrom);
  }

  getPipeline(name: string): PipelineRecord | null {
    const r = this.db.prepare('SELECT * FROM pipelines WHERE name = ?').get(name) as PipelineRow | undefined;
    return r ? pipelineFrom(r) : null;
  }

  putPipeline(config: PipelineConfig, desiredState: DesiredState, managed = false): PipelineRecord {
    const existing = this.db.prepare('SELECT created_at FROM pipelines WHERE name = ?').get(config.name) as { created_at: string } | undefined;
    const t = now();
    this.db.prepare('INSERT OR REPLACE INTO pipelines (name, config, desired_state, managed, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(config.name, JSON.stringify(config), desiredState, managed ? 1 : 0, existing?.created_at ?? t, t);
    return this.getPipeline(config.name)!;
  }

  setDesiredState(name: string, state: DesiredState): void {
    this.db.prepare('UPDATE pipelines SET desired_state = ? WHERE name = ?').run(state, name);
  }

  deletePipeline(name: string): boolean {
    this.db.prepare('DELETE FROM pipeline_skips WHERE pipeline = ?').run(name);
    this.db.prepare('DELETE FROM table_copies WHERE pipeline = ?').run(name);
    this.db.prepare('DELETE FROM verify_results WHERE pipeline = ?').run(name);
    return this.db.prepare('DELETE FROM pipelines WHERE name = ?').run(name).changes > 0;
  }

  /** The skip an operator asked for and the stream has not reached yet (kept across restarts). */
  pendingSkip(name: string): { file: string; pos: number; kind: 'transaction' | 'ddl' } | null {
    const r = this.db.prepare('SELECT file, pos, kind FROM pipeline_skips WHERE pipeline = ?').get(name) as { file: string; pos: number; kind: string } | undefined;
    if (!r) return null;
    return { file: r.file, pos: Number(r.pos), kind: r.kind === 'ddl' ? 'ddl' : 'transaction' };
  }

  setPendingSkip(name: string, skip: { file: string; pos: number; kind: 'transaction' | 'ddl' } | null): void {
    if (skip === null) this.db.prepare('DELETE FROM pipeline_skips WHERE pipeline = ?').run(name);
    else {
      this.db.prepare('INSERT OR REPLACE INTO pipeline_skips (pipeline, file, pos, kind, requested_at) VALUES (?, ?, ?, ?, ?)')
        .run(name, skip.file, skip.pos, skip.kind, new Date().toISOString());
    }
  }

  /** Pipelines that use a source or target. */
  pipelinesUsing(kind: EndpointKind, name: string): string[] {
    return this.listPipelines().filter((p) => (kind === 'source' ? p.config.source : p.config.target) === name).map((p) => p.config.name);
  }

  // ── users ──────────────────────────────────────────────────────────────────────────────────

  countAdmins(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }).n;
  }

  listUsers(): UserRecord[] {
    return (this.db.prepare('SELECT username, role, password_hash AS passwordHash, created_at AS createdAt FROM users ORDER BY username').all()) as UserRecord[];
  }

  getUser(username: string): UserRecord | null {
    return (this.db.prepare('SELECT username, role, password_hash AS passwordHash, created_at AS createdAt FROM users WHERE username = ?').get(username) as UserRecord | undefined) ?? null;
  }

  createUser(username: string, role: Role, passwordHash: string): UserRecord {
    this.db.prepare('INSERT INTO users (username, role, password_hash, created_at) VALUES (?, ?, ?, ?)').run(username, role, passwordHash, now());
    return this.getUser(username)!;
  }

  updateUser(username: string, change: { role?: Role; passwordHash?: string }): void {
    if (change.role) this.db.prepare('UPDATE users SET role = ? WHERE username = ?').run(change.role, username);
    if (change.passwordHash) this.db.prepare('UPDATE users SET password_hash = ? WHERE username = ?').run(change.passwordHash, username);
  }

  deleteUser(username: string): boolean {
    return this.db.prepare('DELETE FROM users WHERE username = ?').run(username).changes > 0;
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────────

  createSession(username: string): { id: string; csrfToken: string } {
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const t = Date.now();
    this.db.prepare('INSERT INTO sessions (id_hash, username, csrf_token, created_at, last_seen) VALUES (?, ?, ?, ?, ?)').run(sha256(id), username, csrfToken, t, t);
    return { id, csrfToken };
  }

  /** The live session with this id (its idle timer restarted), or null. */
  getSession(id: string): SessionRecord | null {
    const t = Date.now();
    const r = this.db.prepare(`SELECT s.username, u.role, s.csrf_token AS csrfToken, s.last_seen AS lastSeen, s.created_at AS createdAt FROM sessions s
      JOIN users u ON u.username = s.username WHERE s.id_hash = ?`).get(sha256(id)) as (SessionRecord & { lastSeen: number; createdAt: number }) | undefined;
    if (!r) return null;
    if (t - r.lastSeen > SESSION_IDLE_MS || t - r.createdAt > SESSION_MAX_MS) {
      this.deleteSession(id);
      return null;
    }
    if (t - r.lastSeen > 10_000) this.db.prepare('UPDATE sessions SET last_seen = ? WHERE id_hash = ?').run(t, sha256(id));
    return { username: r.username, role: r.role, csrfToken: r.csrfToken };
  }

  deleteSession(id: string): void {
    this.db.prepare('DELETE FROM sessions WHERE id_hash = ?').run(sha256(id));
  }

  deleteSessionsOf(username: string, exceptId?: string): void {
    this.db.prepare('DELETE FROM sessions WHERE username = ? AND id_hash != ?').run(username, exceptId ? sha256(exceptId) : '');
  }

  // ── API tokens ─────────────────────────────────────────────────────────────────────────────

  /** A new API token; `expiresAt` (ISO time) null for a token that does not expire. */
  createToken(username: string, name: string, role: Role, expiresAt: string | null = null): { token: TokenRecord; secret: string } {
    const id = randomUUID();
    const secret = `sluice_${randomBytes(32).toString('base64url')}`;
    this.db.prepare('INSERT INTO api_tokens (id, name, username, role, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, name, username, role, sha256(secret), now(), expiresAt);
    return { token: this.listTokens().find((t) => t.id === id)!, secret };
  }

  listTokens(username?: string): TokenRecord[] {
    const sql = `SELECT id, name, username, role, created_at AS createdAt, last_used_at AS lastUsedAt, expires_at AS expiresAt FROM api_tokens
      ${username !== undefined ? 'WHERE username = ?' : ''} ORDER BY created_at`;
    return (username !== undefined ? this.db.prepare(sql).all(username) : this.db.prepare(sql).all()) as TokenRecord[];
  }

  /** The unexpired token with this secret (role capped by its owner's current role), or null. */
  findToken(secret: string): TokenRecord | null {
    const r = this.db.prepare(`SELECT t.id, t.name, t.username, t.role, u.role AS ownerRole, t.created_at AS createdAt, t.last_used_at AS lastUsedAt,
      t.expires_at AS expiresAt FROM api_tokens t JOIN users u ON u.username = t.username WHERE t.secret_hash = ?`).get(sha256(secret)) as (TokenRecord & { ownerRole: Role }) | undefined;
    if (!r) return null;
    if (r.expiresAt !== null && Date.parse(r.expiresAt) <= Date.now()) return null;
    this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now(), r.id);
    const role = ROLES.indexOf(r.ownerRole) < ROLES.indexOf(r.role) ? r.ownerRole : r.role;
    return { id: r.id, name: r.name, username: r.username, role, createdAt: r.createdAt, lastUsedAt: r.lastUsedAt, expiresAt: r.expiresAt };
  }

  deleteToken(id: string): boolean {
    return this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id).changes > 0;
  }

  // ── last copy of each table ────────────────────────────────────────────────────────────────

  recordTableCopy(pipeline: string, copy: TableCopy): void {
    this.db.prepare('INSERT OR REPLACE INTO table_copies (pipeline, source_table, rows_copied, finished_at) VALUES (?, ?, ?, ?)')
      .run(pipeline, copy.table, copy.rowsCopied, copy.finishedAt);
  }

  tableCopies(pipeline: string): TableCopy[] {
    return this.db.prepare('SELECT source_table AS "table", rows_copied AS rowsCopied, finished_at AS finishedAt FROM table_copies WHERE pipeline = ? ORDER BY source_table')
      .all(pipeline) as TableCopy[];
  }

  /** Keep the result of a table's latest verify (replacing the one before). */
  recordVerifyResult(pipeline: string, result: StoredVerifyResult): void {
    const { table, repair, checkedAt } = result;
    this.db.prepare('INSERT OR REPLACE INTO verify_results (pipeline, source_table, repair, result, checked_at) VALUES (?, ?, ?, ?, ?)')
      .run(pipeline, table, repair ? 1 : 0, JSON.stringify(result), checkedAt);
  }

  /** The latest verify result of every table of the pipeline, by table. */
  verifyResults(pipeline: string): StoredVerifyResult[] {
    const rows = this.db.prepare('SELECT result FROM verify_results WHERE pipeline = ? ORDER BY source_table').all(pipeline) as Array<{ result: string }>;
    return rows.map((r) => JSON.parse(r.result) as StoredVerifyResult);
  }

  // ── audit log ──────────────────────────────────────────────────────────────────────────────

  audit(e: AuditInput): void {
    this.db.prepare('INSERT INTO audit_log (time, actor, action, target, details, ip) VALUES (?, ?, ?, ?, ?, ?)')
      .run(now(), e.actor, e.action, e.target ?? null, JSON.stringify(e.details ?? {}), e.ip ?? null);
  }

  listAudit(limit: number, before?: number): AuditEntry[] {
    const rows = this.db.prepare(`SELECT * FROM audit_log ${before !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`)
      .all(...(before !== undefined ? [before, limit] : [limit])) as Array<Omit<AuditEntry, 'details'> & { details: string }>;
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  }

  // ── metric history ─────────────────────────────────────────────────────────────────────────

  addSamples(samples: MetricSample[]): void {
    const ins = this.db.prepare(`INSERT INTO metric_samples (pipeline, time, state, lag_seconds, rows_per_second, rows_applied, snapshot_rows_copied, error_count)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const s of samples) ins.run(s.pipeline, s.time, s.state, s.lagSeconds, s.rowsPerSecond, s.rowsApplied, s.snapshotRowsCopied, s.errorCount);
    })();
  }

  samples(sinceMs: number, pipeline?: string): MetricSample[] {
    const sql = `SELECT pipeline, time, state, lag_seconds AS lagSeconds, rows_per_second AS rowsPerSecond, rows_applied AS rowsApplied,
      snapshot_rows_copied AS snapshotRowsCopied, error_count AS errorCount FROM metric_samples WHERE time >= ? ${pipeline !== undefined ? 'AND pipeline = ?' : ''} ORDER BY time`;
    return (pipeline !== undefined ? this.db.prepare(sql).all(sinceMs, pipeline) : this.db.prepare(sql).all(sinceMs)) as MetricSample[];
  }

  pruneSamples(beforeMs: number): void {
    this.db.prepare('DELETE FROM metric_samples WHERE time < ?').run(beforeMs);
  }
}

function pipelineFrom(r: PipelineRow): PipelineRecord {
  const desired = r.desired_state === 'running' || r.desired_state === 'paused' ? r.desired_state : 'stopped';
  return { config: JSON.parse(r.config) as PipelineConfig, desiredState: desired, managed: r.managed === 1, createdAt: r.created_at, updatedAt: r.updated_at };
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
