/**
 * The HTTP API's request and response shapes: the one definition that the server routes declare as their
 * return types and that the web UI imports (`ui/src/api.ts`). Types only, and no imports at all: the UI
 * type-checks this file under its own (browser) tsconfig, and nothing of it reaches a bundle.
 *
 * Domain types that the server serializes as they are (the pipeline status, verify runs, tokens, …) are
 * declared here again on purpose, as the API contract; `api-contract.ts` makes the compiler prove that each is
 * identical to its domain type, so neither side can change without the other.
 */

// ---- Session and users -------------------------------------------------------------------------------------

export type Role = 'admin' | 'operator' | 'viewer';

export interface User { username: string; role: Role; createdAt: string }

/** `GET /api/setup`. */
export interface SetupInfo { needed: boolean; tokenRequired: boolean }

/** `POST /api/setup`, `POST /api/login` (and `GET /api/me`, which adds `auth`). */
export interface Session {
  user: User;
  csrfToken: string | null;
  /** How the caller is authenticated (`GET /api/me` only). */
  auth?: 'session' | 'token';
}

/** Body of `POST /api/login`. */
export interface LoginInput { username: string; password: string }
/** Body of `POST /api/setup`. */
export interface SetupInput extends LoginInput { token: string }
/** Body of `PUT /api/me/password`. */
export interface PasswordChangeInput { currentPassword: string; newPassword: string }

/** What deletions and other bodiless actions return. */
export interface Ok { ok: true }

export interface UsersResponse { users: User[] }
export interface UserResponse { user: User }
/** Body of `POST /api/users` (`PUT /api/users/:username`: role and/or password). */
export interface UserInput { username: string; password: string; role: Role }
export type UserChangeInput = Partial<Pick<UserInput, 'role' | 'password'>>;

export interface ApiToken {
  id: string;
  name: string;
  username: string;
  role: Role;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}
export interface TokensResponse { tokens: ApiToken[] }
/** `POST /api/tokens`: the secret is shown this once. */
export interface CreatedToken { token: ApiToken; secret: string }
/** Body of `POST /api/tokens` (role default: viewer). */
export interface TokenInput { name: string; role?: Role; expiresInDays?: number }

export interface AuditEntry {
  id: number;
  time: string;
  actor: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  ip: string | null;
}
/** `GET /api/audit`: newest first; `nextBefore` pages on. */
export interface AuditPage { entries: AuditEntry[]; nextBefore: number | null }

// ---- Sources and targets -----------------------------------------------------------------------------------

export type EndpointKind = 'source' | 'target';
/** Sources: mysql | mariadb; targets: a type of a registered target kind (GET /api/target-kinds). */
export type EndpointType = string;

/** One kind of target (GET /api/target-kinds): its types and the fields of its endpoint form. */
export interface TargetKindInfo {
  /** The `type` values of this kind: the main one first, then the aliases it also accepts (`mysql`, `mariadb`). */
  types: string[];
  title: string;
  description: string;
  schemes: string[];
  defaultPort: number;
  checkpointPlace: string;
  fields: Array<{ name: 'host' | 'port' | 'user' | 'password' | 'database' | 'checkpointDatabase'; label: string; input: 'text' | 'number' | 'password'; required: boolean; default?: string | number; help?: string }>;
}
export interface TargetKindsResponse { kinds: TargetKindInfo[] }

/** A source or target as the API shows it: never the password. */
export interface Endpoint {
  name: string;
  type: EndpointType;
  host: string;
  port: number;
  user: string;
  password: '***' | '';
  hasPassword: boolean;
  database?: string;
  options: Record<string, string>;
  /** Sources only. */
  serverId?: number;
  /** Targets only. */
  checkpointDatabase?: string;
  managedByConfig: boolean;
  usedBy: string[];
  createdAt: string;
  updatedAt: string;
}

/** `GET /api/sources` (`sources`) and `GET /api/targets` (`targets`). */
export interface EndpointList { sources?: Endpoint[]; targets?: Endpoint[] }
/** `GET|POST|PUT /api/sources[/:name]` (`source`) and the same for targets (`target`). */
export interface EndpointResponse { source?: Endpoint; target?: Endpoint }

/** Body of `POST|PUT /api/sources[/:name]`, the same for targets, and `POST /api/connections/test` (with `kind`). */
export interface EndpointInput {
  name?: string;
  type?: EndpointType;
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Remove the stored password (an empty password keeps it). */
  clearPassword?: boolean;
  options?: Record<string, string>;
  /** PEM texts to keep on the server as ssl-ca / ssl-cert / ssl-key files. */
  tlsFiles?: Partial<Record<'ssl-ca' | 'ssl-cert' | 'ssl-key', string>>;
  serverId?: number;
  checkpointDatabase?: string;
}
export type ConnectionTestInput = EndpointInput & { kind: EndpointKind };

/** One preflight check of "test connection". */
export interface CheckResult {
  check: string;
  ok: boolean;
  warn: boolean;
  message: string;
  fix: string | null;
  code: string | null;
}
export interface TestResult { ok: boolean; results: CheckResult[] }

export interface DatabaseInfo { name: string; tables: number }
export interface TableInfo { name: string; rows: number; rowsExact: boolean; engine: string | null; hasPrimaryKey: boolean; dataBytes: number }
export interface DatabasesResponse { databases: DatabaseInfo[] }
export interface TablesResponse { tables: TableInfo[] }

// ---- Pipelines ---------------------------------------------------------------------------------------------

/** `unowned`: in a cluster, a pipeline that should run and that no node holds now (`status.owner.reason` says why). */
export type PipelineState = 'stopped' | 'starting' | 'snapshotting' | 'streaming' | 'retrying' | 'paused' | 'failed' | 'unowned';
export type DesiredState = 'running' | 'paused' | 'stopped';
export type SnapshotMode = 'initial' | 'none';
export type DdlPolicy = 'apply' | 'ignore' | 'fail';

export interface Tuning {
  batchSize: number;
  maxStatementBytes: number;
  maxBatchDelayMs: number;
  maxBatchTables: number;
  snapshotChunkSize: number;
  snapshotParallelism: number;
  snapshotTableWriters: number;
  leaseSeconds: number;
  stallTimeoutSeconds: number;
}

/** A pipeline's definition (as in a config file, defaults filled in). */
export interface PipelineDefinition {
  name: string;
  source: string;
  target: string;
  /** `db.table` patterns with `*`/`?` wildcards. */
  tables: string[];
  exclude: string[];
  targetDatabase?: string;
  snapshot: SnapshotMode;
  ddl: DdlPolicy;
  tuning: Tuning;
}

export interface Pipeline extends PipelineDefinition {
  desiredState: DesiredState;
  managedByConfig: boolean;
  createdAt: string;
  updatedAt: string;
  state: PipelineState;
}

/** Body of `POST /api/pipelines` and `PUT /api/pipelines/:name` (`start` on POST only). */
export interface PipelineInput {
  name: string;
  source: string;
  target: string;
  tables: string[];
  exclude?: string[];
  targetDatabase?: string;
  snapshot?: SnapshotMode;
  ddl?: DdlPolicy;
  tuning?: Partial<Tuning>;
  start?: boolean;
}

/** One source transaction or DDL statement, by the binlog position where it starts. */
export interface SkipTarget { file: string; pos: number; kind: 'transaction' | 'ddl' }
/** A source transaction / DDL passed over on request: its changes are not on the target. */
export interface SkippedEvent { position: SkipTarget; changes: number; time: string }
/** Body of `POST /api/pipelines/:name/skip`: empty skips what the latest error names. */
export type SkipInput = Partial<SkipTarget>;

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
    lastCopies: Array<{ table: string; rowsCopied: number; finishedAt: string }>;
  };
  position: { file: string; pos: number; gtidSet?: string } | null;
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
  /** In a cluster: which node runs the pipeline (its published status is what every node answers); null on a single node. */
  owner: PipelineOwner | null;
}

/** Who runs a pipeline of a cluster, and how fresh the status is. */
export interface PipelineOwner {
  /** The node holding the pipeline's lease (null: none now). */
  node: string | null;
  /** Its lease epoch (null when nobody holds the lease). */
  epoch: number | null;
  /** The node that answered is the owner (a live status, not a published one). */
  self: boolean;
  /** Age of the owner's published status by the store's clock, ms (null when `self`, or no report yet). */
  reportAgeMs: number | null;
  /** Why no node runs a pipeline that should run (state `unowned`); null otherwise. */
  reason: string | null;
}

export type PipelineWithStatus = Pipeline & { status: PipelineStatus };

export interface PipelinesResponse { pipelines: PipelineWithStatus[] }
export interface PipelineResponse { pipeline: Pipeline }
/**
 * `GET …/status` and every action (`start`, `pause`, `resume`, `stop`, `retry`, `skip`, `resync`, `resnapshot`).
 * In a cluster, `retry`, `skip`, `resync` and `resnapshot` sent to a node that does not own the pipeline go to the
 * owner as a `command`: 200 with its outcome, or 202 when the owner has not run it yet (poll the command).
 */
export interface StatusResponse { status: PipelineStatus; command?: PipelineCommand }

/** An action sent through the store to the node that owns the pipeline (times in ms by the store's clock). */
export interface PipelineCommand {
  id: number;
  pipeline: string;
  action: 'retry' | 'skip' | 'resync' | 'resnapshot';
  args: { skip?: SkipTarget; table?: { database: string; table: string } };
  /** pending → running → done | failed; pending → expired when no owner took it in time. */
  state: 'pending' | 'running' | 'done' | 'failed' | 'expired';
  /** The node that received the request, and who made it. */
  requestedBy: string;
  actor: string | null;
  createdAt: number;
  expiresAt: number;
  /** The owner that ran it, and its lease epoch. */
  claimedBy: string | null;
  claimedEpoch: number | null;
  finishedAt: number | null;
  /** The owner's status right after the action (done). */
  result: PipelineStatus | null;
  error: { code: string; message: string; fix: string | null } | null;
}

/** `GET /api/pipelines/:name/commands/:id`. */
export interface CommandResponse { command: PipelineCommand }

export interface MetricSample {
  time: string;
  state: string;
  lagSeconds: number | null;
  rowsPerSecond: number;
  rowsApplied: number;
  snapshotRowsCopied: number;
  errorCount: number;
}
/** `GET /api/metrics/history`: 5 s samples per pipeline. */
export interface MetricsHistory { resolutionSeconds: number; series: Record<string, MetricSample[]> }

// ---- Verify ------------------------------------------------------------------------------------------------

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
  pipeline: string;
  /** Source `db.table`. */
  table: string;
  /** Target `db.table`. */
  target: string;
  key: 'primary' | 'unique' | 'none';
  rowsChecked: number;
  chunks: number;
  differingChunks: number;
  mismatchedRows: number;
  unsettledRows: number;
  /** At most 20 in a run; `differencesTotal` has the count. */
  differences: VerifyDifference[];
  repairedRows: number;
  recheckMismatchedRows?: number;
  /** A table that could not be compared (e.g. missing on the target). */
  problem?: string;
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

/** Body of `POST /api/pipelines/:name/verify`: `tables` also as one comma-separated string. */
export interface VerifyInput { tables?: string[] | string; repair?: boolean }
/** `POST /api/pipelines/:name/verify` (202). */
export interface VerifyStarted { verify: VerifyRun }
/** `GET /api/pipelines/:name/verify`: the latest run (null after a restart) and every table's last result. */
export interface VerifyState { verify: VerifyRun | null; tables: LastVerifyResult[] }

// ---- Errors and the OpenAPI document -----------------------------------------------------------------------

/** The body of every error response. */
export interface ErrorBody { error: { code: string; message: string; fix: string | null } }

/** One operation of `GET /api/openapi.json` (generated from the route table: see openapi.ts). */
export interface OpenApiOperation {
  summary: string;
  tags: string[];
  /** The lowest role allowed (or `anonymous`). */
  'x-sluice-role': string;
  parameters?: Array<{ name: string; in: 'path'; required: true; schema: { type: 'string' } }>;
  /** Empty on anonymous routes. */
  security?: [];
  responses: Record<string, { description: string; content?: Record<string, { schema: { $ref: string } }> }>;
}

/** `GET /api/openapi.json`. */
export interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description: string };
  /** By path (`/api/pipelines/{name}`), then by lower-case method. */
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, Record<string, string>>; schemas: Record<string, unknown> };
  security: Array<Record<string, []>>;
}

/** A node of a cluster on a shared store (`GET /api/cluster`); times in ms since the epoch by the store's clock. */
export interface ClusterNode {
  id: string;
  host: string;
  pid: number;
  version: string;
  startedAt: number;
  heartbeatAt: number;
  heartbeatAgeMs: number;
  draining: boolean;
  /** Heartbeat within the lease time. */
  live: boolean;
  /** Pipelines whose lease it holds. */
  pipelines: string[];
}

/** Who runs a pipeline in the cluster: the lease's owner (null: nobody now), its fencing epoch and lease timings (store clock). */
export interface ClusterPipeline {
  pipeline: string;
  /** Null: a lease left over from a deleted pipeline. */
  desiredState: DesiredState | null;
  owner: string | null;
  epoch: number;
  leaseRemainingMs: number;
  acquiredAt: number;
  /** How long the owner has held the lease, ms (null: nobody holds it). */
  leaseAgeMs: number | null;
  /** Since the lease's last renewal, ms (null: never acquired). */
  renewedAgoMs: number | null;
}

/** `GET /api/cluster`, `POST /api/cluster/nodes/{id}/drain|undrain`. `alertEvaluator`: the node that sends the cluster's alerts. */
export type ClusterResponse = { enabled: false } | { enabled: true; self: string; leaseMs: number; alertEvaluator: string | null; nodes: ClusterNode[]; pipelines: ClusterPipeline[] };
