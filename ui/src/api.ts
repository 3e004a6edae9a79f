// Typed client for the Sluice REST API (docs/api.md).
import { request, setCsrfToken } from './http';

export type Role = 'admin' | 'operator' | 'viewer';
export interface User { username: string; role: Role; createdAt: string }

export interface Endpoint {
  name: string;
  /** Sources: mysql | mariadb; targets: a type of a target kind (GET /api/target-kinds). */
  type: string;
  host: string;
  port: number;
  user: string;
  password: '***' | '';
  hasPassword: boolean;
  database?: string;
  options: Record<string, string>;
  serverId?: number;
  checkpointDatabase?: string;
  managedByConfig: boolean;
  usedBy: string[];
  createdAt: string;
  updatedAt: string;
}

/** One kind of target (GET /api/target-kinds): its types and the fields of its endpoint form. */
export interface TargetKindInfo {
  types: string[];
  title: string;
  description: string;
  schemes: string[];
  defaultPort: number;
  checkpointPlace: string;
  fields: Array<{ name: 'host' | 'port' | 'user' | 'password' | 'database' | 'checkpointDatabase'; label: string; input: 'text' | 'number' | 'password'; required: boolean; default?: string | number; help?: string }>;
}

export interface EndpointInput {
  name?: string;
  type?: string;
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** Remove the stored password (an empty password keeps it). */
  clearPassword?: boolean;
  options?: Record<string, string>;
  /** PEM texts to keep on the server as ssl-ca / ssl-cert / ssl-key files. */
  tlsFiles?: Partial<Record<'ssl-ca' | 'ssl-cert' | 'ssl-key', string>>;
  serverId?: number;
  checkpointDatabase?: string;
}

export type EndpointKind = 'source' | 'target';

export interface CheckResult {
  check: string;
  ok: boolean;
  warn: boolean;
  message: string;
  fix: string | null;
  code: string | null;
}
export interface TestResult { ok: boolean; results: CheckResult[] }

export type PipelineState = 'stopped' | 'starting' | 'snapshotting' | 'streaming' | 'retrying' | 'paused' | 'failed';
export type DesiredState = 'running' | 'paused' | 'stopped';

export interface Tuning {
  batchSize: number;
  maxStatementBytes: number;
  maxBatchDelayMs: number;
  snapshotChunkSize: number;
  snapshotParallelism: number;
}

export interface Pipeline {
  name: string;
  source: string;
  target: string;
  tables: string[];
  exclude: string[];
  targetDatabase?: string;
  snapshot: 'initial' | 'none';
  ddl: 'apply' | 'ignore' | 'fail';
  tuning: Tuning;
  desiredState: DesiredState;
  managedByConfig: boolean;
  createdAt: string;
  updatedAt: string;
  state: PipelineState;
}

export interface PipelineInput {
  name: string;
  source: string;
  target: string;
  tables: string[];
  exclude?: string[];
  targetDatabase?: string;
  snapshot?: 'initial' | 'none';
  ddl?: 'apply' | 'ignore' | 'fail';
  tuning?: Partial<Tuning>;
  start?: boolean;
}

/** One source transaction or DDL statement, by the binlog position where it starts. */
export interface SkipTarget { file: string; pos: number; kind: 'transaction' | 'ddl' }
/** A source transaction / DDL passed over on request: its changes are not on the target. */
export interface SkippedEvent { position: SkipTarget; changes: number; time: string }

export interface PipelineError {
  time: string;
  code: string;
  message: string;
  fix: string | null;
  /** Set when the error concerns one source transaction / DDL statement that can be skipped. */
  skip?: SkipTarget;
  /** When the pipeline streamed again after this error. */
  resolvedAt?: string;
}
export interface TableProgress { database: string; table: string; rowsCopied: number; rowsEstimated: number; done: boolean }

export interface PipelineStatus {
  name: string;
  state: PipelineState;
  desiredState: DesiredState;
  since: string | null;
  startedAt: string | null;
  lagSeconds: number | null;
  rowsPerSecond: number;
  rowsApplied: number;
  transactionsApplied: number;
  snapshot: {
    rowsCopied: number;
    rowsEstimated: number;
    percent: number | null;
    rowsPerSecond: number;
    etaSeconds: number | null;
    tables: TableProgress[];
    /** The last complete copy of every table (any run). */
    lastCopies?: Array<{ table: string; rowsCopied: number; finishedAt: string }>;
  };
  position: { file: string; pos: number; gtidSet?: string; gtid?: string } | null;
  errorCount: number;
  restarts: number;
  recentErrors: PipelineError[];
  /** A skip requested and not yet reached by the stream. */
  pendingSkip: SkipTarget | null;
  /** Source transactions / DDL skipped on request (newest first). */
  skipped: SkippedEvent[];
  /** Tables waiting to be copied again (`db.table`; the first is being copied while the state is snapshotting). */
  resnapshotQueue: string[];
  /** Binlog bytes received and reconnects of the binlog connection since the server started the pipeline. */
  bytesRead: number;
  sourceReconnects: number;
  /** Changes read from the source and not yet committed on the target. */
  queuedChanges: number;
}

export interface VerifyDifference {
  kind: 'missing' | 'extra' | 'different';
  /** The key as a SQL literal tuple (the row's literals for a table without key). */
  key: string;
  /** 'different' rows: the differing columns with both sides' literals. */
  columns?: Array<{ column: string; source: string; target: string }>;
  /** Tables without key: copies missing or extra. */
  count?: number;
}
export interface VerifyTableResult {
  table: string;
  target: string;
  key: 'primary' | 'unique' | 'none';
  rowsChecked: number;
  mismatchedRows: number;
  unsettledRows: number;
  repairedRows: number;
  recheckMismatchedRows?: number;
  problem?: string;
  /** At most 20; `differencesTotal` has the count. */
  differences: VerifyDifference[];
  differencesTotal: number;
}
/** A table's last result, whichever run checked it (kept by the server across restarts). */
export type LastVerifyResult = VerifyTableResult & { repair: boolean; checkedAt: string };
export interface VerifyRun {
  pipeline: string;
  state: 'running' | 'done' | 'failed';
  repair: boolean;
  tables: string[] | null;
  startedAt: string;
  finishedAt: string | null;
  progress: { table: string; chunksDone: number; chunks: number; rowsChecked: number; mismatchedRows: number } | null;
  summary: { tables: number; rows_checked: number; mismatched_rows: number; repaired_rows: number; unsettled_rows: number; seconds: number } | null;
  results: VerifyTableResult[];
  error: { code: string; message: string; fix: string } | null;
}
export interface VerifyState { verify: VerifyRun | null; tables: LastVerifyResult[] }

export type PipelineWithStatus = Pipeline & { status: PipelineStatus };

export interface MetricSample {
  time: string;
  state: PipelineState;
  lagSeconds: number | null;
  rowsPerSecond: number;
  rowsApplied: number;
  snapshotRowsCopied: number;
  errorCount: number;
}
export interface MetricsHistory { resolutionSeconds: number; series: Record<string, MetricSample[]> }

export interface DatabaseInfo { name: string; tables: number }
export interface TableInfo { name: string; rows: number; rowsExact: boolean; engine: string | null; hasPrimaryKey: boolean; dataBytes: number }

export interface ApiToken { id: string | number; name: string; username: string; role: Role; createdAt: string; lastUsedAt: string | null; expiresAt?: string | null }

export interface Session { user: User; csrfToken: string | null; auth?: 'session' | 'token' }

export interface OpenApiDoc { paths?: Record<string, Record<string, { responses?: Record<string, unknown>; deprecated?: boolean; 'x-not-implemented'?: boolean; summary?: string; description?: string }>> }

const enc = encodeURIComponent;
const base = (kind: EndpointKind): string => (kind === 'source' ? '/api/sources' : '/api/targets');

function remember<T extends { csrfToken: string | null }>(s: T): T {
  setCsrfToken(s.csrfToken);
  return s;
}

export const api = {
  setupInfo: () => request<{ needed: boolean; tokenRequired: boolean }>('GET', '/api/setup', undefined, { quiet401: true }),
  setup: async (token: string, username: string, password: string) =>
    remember(await request<Session>('POST', '/api/setup', { token, username, password }, { quiet401: true })),
  login: async (username: string, password: string) =>
    remember(await request<Session>('POST', '/api/login', { username, password }, { quiet401: true })),
  logout: () => request<{ ok: true }>('POST', '/api/logout'),
  me: async () => remember(await request<Session>('GET', '/api/me', undefined, { quiet401: true })),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<{ ok: true }>('PUT', '/api/me/password', { currentPassword, newPassword }),

  listEndpoints: async (kind: EndpointKind, signal?: AbortSignal): Promise<Endpoint[]> => {
    const r = await request<{ sources?: Endpoint[]; targets?: Endpoint[] }>('GET', base(kind), undefined, { signal });
    return (kind === 'source' ? r.sources : r.targets) ?? [];
  },
  targetKinds: async (): Promise<TargetKindInfo[]> => (await request<{ kinds: TargetKindInfo[] }>('GET', '/api/target-kinds')).kinds,
  createEndpoint: (kind: EndpointKind, input: EndpointInput) => request<Record<string, Endpoint>>('POST', base(kind), input),
  updateEndpoint: (kind: EndpointKind, name: string, input: EndpointInput) =>
    request<Record<string, Endpoint>>('PUT', `${base(kind)}/${enc(name)}`, input),
  deleteEndpoint: (kind: EndpointKind, name: string) => request<{ ok: true }>('DELETE', `${base(kind)}/${enc(name)}`),
  testEndpoint: (kind: EndpointKind, name: string) => request<TestResult>('POST', `${base(kind)}/${enc(name)}/test`),
  testConnection: (kind: EndpointKind, input: EndpointInput) =>
    request<TestResult>('POST', '/api/connections/test', { ...input, kind }),
  databases: async (kind: EndpointKind, name: string): Promise<DatabaseInfo[]> =>
    (await request<{ databases: DatabaseInfo[] }>('GET', `${base(kind)}/${enc(name)}/databases`)).databases,
  tables: async (kind: EndpointKind, name: string, db: string): Promise<TableInfo[]> =>
    (await request<{ tables: TableInfo[] }>('GET', `${base(kind)}/${enc(name)}/databases/${enc(db)}/tables`)).tables,

  pipelines: async (signal?: AbortSignal): Promise<PipelineWithStatus[]> =>
    (await request<{ pipelines: PipelineWithStatus[] }>('GET', '/api/pipelines', undefined, { signal })).pipelines,
  pipeline: async (name: string, signal?: AbortSignal): Promise<Pipeline> =>
    (await request<{ pipeline: Pipeline }>('GET', `/api/pipelines/${enc(name)}`, undefined, { signal })).pipeline,
  pipelineStatus: async (name: string, signal?: AbortSignal): Promise<PipelineStatus> =>
    (await request<{ status: PipelineStatus }>('GET', `/api/pipelines/${enc(name)}/status`, undefined, { signal })).status,
  createPipeline: async (input: PipelineInput): Promise<Pipeline> =>
    (await request<{ pipeline: Pipeline }>('POST', '/api/pipelines', input)).pipeline,
  deletePipeline: (name: string) => request<{ ok: true }>('DELETE', `/api/pipelines/${enc(name)}`),
  pipelineAction: async (name: string, action: 'start' | 'pause' | 'resume' | 'stop' | 'retry'): Promise<PipelineStatus> =>
    (await request<{ status: PipelineStatus }>('POST', `/api/pipelines/${enc(name)}/${action}`)).status,
  /** Copy one table (`db.table`) again while the pipeline streams (409 INVALID_STATE unless streaming). */
  resnapshot: async (name: string, table: string): Promise<PipelineStatus> =>
    (await request<{ status: PipelineStatus }>('POST', `/api/pipelines/${enc(name)}/tables/${enc(table)}/resnapshot`)).status,
  /** Stream from the source's current position and copy every table again (swapped in atomically); restarts the pipeline. */
  resync: async (name: string): Promise<PipelineStatus> =>
    (await request<{ status: PipelineStatus }>('POST', `/api/pipelines/${enc(name)}/resync`)).status,
  /** Skip one source transaction / DDL (default: the one the latest error names) and restart the pipeline. */
  skip: async (name: string, target?: SkipTarget): Promise<PipelineStatus> =>
    (await request<{ status: PipelineStatus }>('POST', `/api/pipelines/${enc(name)}/skip`, target ? { file: target.file, pos: target.pos, kind: target.kind } : {})).status,

  /** The latest verify run (null after a restart) and the last result of every table. */
  verifyState: (name: string, signal?: AbortSignal) =>
    request<VerifyState>('GET', `/api/pipelines/${enc(name)}/verify`, undefined, { signal }),
  /** Compare the pipeline's tables (all, or these `db.table` patterns) with the source in the background; `repair` rewrites the differing rows. */
  verify: async (name: string, opts: { tables?: string[]; repair?: boolean } = {}): Promise<VerifyRun> =>
    (await request<{ verify: VerifyRun }>('POST', `/api/pipelines/${enc(name)}/verify`, { ...(opts.tables ? { tables: opts.tables } : {}), repair: opts.repair === true })).verify,

  history: (pipeline: string | null, minutes: number, signal?: AbortSignal) =>
    request<MetricsHistory>('GET', `/api/metrics/history?minutes=${minutes}${pipeline ? `&pipeline=${enc(pipeline)}` : ''}`, undefined, { signal }),

  users: async (): Promise<User[]> => (await request<{ users: User[] }>('GET', '/api/users')).users,
  createUser: (username: string, password: string, role: Role) => request<{ user: User }>('POST', '/api/users', { username, password, role }),
  updateUser: (username: string, change: { role?: Role; password?: string }) =>
    request<{ user: User }>('PUT', `/api/users/${enc(username)}`, change),
  deleteUser: (username: string) => request<{ ok: true }>('DELETE', `/api/users/${enc(username)}`),

  tokens: async (): Promise<ApiToken[]> => (await request<{ tokens: ApiToken[] }>('GET', '/api/tokens')).tokens,
  createToken: (name: string, role?: Role, expiresInDays?: number) =>
    request<{ token: ApiToken; secret: string }>('POST', '/api/tokens', { name, role, ...(expiresInDays ? { expiresInDays } : {}) }),
  deleteToken: (id: string | number) => request<{ ok: true }>('DELETE', `/api/tokens/${enc(String(id))}`),

  openapi: () => request<OpenApiDoc>('GET', '/api/openapi.json', undefined, { quiet401: true }),
};
