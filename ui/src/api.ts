// Typed client for the Sluice REST API (docs/api.md). The request and response types are the server's own
// (src/server/api-types.ts, types only): a field the API drops or renames fails this build.
import type {
  ApiToken, ClusterResponse, CreatedToken, DatabaseInfo, DatabasesResponse, Endpoint, EndpointInput, EndpointKind, EndpointList,
  EndpointResponse, LoginInput, MetricsHistory, Ok, OpenApiDoc, PasswordChangeInput, Pipeline, PipelineInput, PipelineResponse,
  PipelinesResponse, PipelineStatus, PipelineWithStatus, Role, Session, SetupInfo, SetupInput, SkipInput, SkipTarget, StatusResponse,
  TableInfo, TablesResponse, TargetKindInfo, TargetKindsResponse, TestResult, TokenInput, TokensResponse, User, UserChangeInput, UserInput, UserResponse, UsersResponse,
  VerifyInput, VerifyRun, VerifyStarted, VerifyState, ConnectionTestInput,
} from '../../src/server/api-types.js';
import { request, setCsrfToken } from './http';

export type * from '../../src/server/api-types.js';

const enc = encodeURIComponent;
const base = (kind: EndpointKind): string => (kind === 'source' ? '/api/sources' : '/api/targets');

function remember<T extends { csrfToken: string | null }>(s: T): T {
  setCsrfToken(s.csrfToken);
  return s;
}

export const api = {
  setupInfo: () => request<SetupInfo>('GET', '/api/setup', undefined, { quiet401: true }),
  setup: async (token: string, username: string, password: string) =>
    remember(await request<Session>('POST', '/api/setup', { token, username, password } satisfies SetupInput, { quiet401: true })),
  login: async (username: string, password: string) =>
    remember(await request<Session>('POST', '/api/login', { username, password } satisfies LoginInput, { quiet401: true })),
  logout: () => request<Ok>('POST', '/api/logout'),
  me: async () => remember(await request<Session>('GET', '/api/me', undefined, { quiet401: true })),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<Ok>('PUT', '/api/me/password', { currentPassword, newPassword } satisfies PasswordChangeInput),

  listEndpoints: async (kind: EndpointKind, signal?: AbortSignal): Promise<Endpoint[]> => {
    const r = await request<EndpointList>('GET', base(kind), undefined, { signal });
    return (kind === 'source' ? r.sources : r.targets) ?? [];
  },
  targetKinds: async (): Promise<TargetKindInfo[]> => (await request<TargetKindsResponse>('GET', '/api/target-kinds')).kinds,
  createEndpoint: (kind: EndpointKind, input: EndpointInput) => request<EndpointResponse>('POST', base(kind), input),
  updateEndpoint: (kind: EndpointKind, name: string, input: EndpointInput) =>
    request<EndpointResponse>('PUT', `${base(kind)}/${enc(name)}`, input),
  deleteEndpoint: (kind: EndpointKind, name: string) => request<Ok>('DELETE', `${base(kind)}/${enc(name)}`),
  testEndpoint: (kind: EndpointKind, name: string) => request<TestResult>('POST', `${base(kind)}/${enc(name)}/test`),
  testConnection: (kind: EndpointKind, input: EndpointInput) =>
    request<TestResult>('POST', '/api/connections/test', { ...input, kind } satisfies ConnectionTestInput),
  databases: async (kind: EndpointKind, name: string): Promise<DatabaseInfo[]> =>
    (await request<DatabasesResponse>('GET', `${base(kind)}/${enc(name)}/databases`)).databases,
  tables: async (kind: EndpointKind, name: string, db: string): Promise<TableInfo[]> =>
    (await request<TablesResponse>('GET', `${base(kind)}/${enc(name)}/databases/${enc(db)}/tables`)).tables,

  pipelines: async (signal?: AbortSignal): Promise<PipelineWithStatus[]> =>
    (await request<PipelinesResponse>('GET', '/api/pipelines', undefined, { signal })).pipelines,
  pipeline: async (name: string, signal?: AbortSignal): Promise<Pipeline> =>
    (await request<PipelineResponse>('GET', `/api/pipelines/${enc(name)}`, undefined, { signal })).pipeline,
  pipelineStatus: async (name: string, signal?: AbortSignal): Promise<PipelineStatus> =>
    (await request<StatusResponse>('GET', `/api/pipelines/${enc(name)}/status`, undefined, { signal })).status,
  createPipeline: async (input: PipelineInput): Promise<Pipeline> =>
    (await request<PipelineResponse>('POST', '/api/pipelines', input)).pipeline,
  deletePipeline: (name: string) => request<Ok>('DELETE', `/api/pipelines/${enc(name)}`),
  pipelineAction: async (name: string, action: 'start' | 'pause' | 'resume' | 'stop' | 'retry'): Promise<PipelineStatus> =>
    (await request<StatusResponse>('POST', `/api/pipelines/${enc(name)}/${action}`)).status,
  /** Copy one table (`db.table`) again while the pipeline streams (409 INVALID_STATE unless streaming). */
  resnapshot: async (name: string, table: string): Promise<PipelineStatus> =>
    (await request<StatusResponse>('POST', `/api/pipelines/${enc(name)}/tables/${enc(table)}/resnapshot`)).status,
  /** Stream from the source's current position and copy every table again (swapped in atomically); restarts the pipeline. */
  resync: async (name: string): Promise<PipelineStatus> =>
    (await request<StatusResponse>('POST', `/api/pipelines/${enc(name)}/resync`)).status,
  /** Skip one source transaction / DDL (default: the one the latest error names) and restart the pipeline. */
  skip: async (name: string, target?: SkipTarget): Promise<PipelineStatus> =>
    (await request<StatusResponse>('POST', `/api/pipelines/${enc(name)}/skip`,
      (target ? { file: target.file, pos: target.pos, kind: target.kind } : {}) satisfies SkipInput)).status,

  /** The latest verify run (null after a restart) and the last result of every table. */
  verifyState: (name: string, signal?: AbortSignal) =>
    request<VerifyState>('GET', `/api/pipelines/${enc(name)}/verify`, undefined, { signal }),
  /** Compare the pipeline's tables (all, or these `db.table` patterns) with the source in the background; `repair` rewrites the differing rows. */
  verify: async (name: string, opts: { tables?: string[]; repair?: boolean } = {}): Promise<VerifyRun> =>
    (await request<VerifyStarted>('POST', `/api/pipelines/${enc(name)}/verify`,
      { ...(opts.tables ? { tables: opts.tables } : {}), repair: opts.repair === true } satisfies VerifyInput)).verify,

  history: (pipeline: string | null, minutes: number, signal?: AbortSignal) =>
    request<MetricsHistory>('GET', `/api/metrics/history?minutes=${minutes}${pipeline ? `&pipeline=${enc(pipeline)}` : ''}`, undefined, { signal }),

  users: async (): Promise<User[]> => (await request<UsersResponse>('GET', '/api/users')).users,
  createUser: (username: string, password: string, role: Role) =>
    request<UserResponse>('POST', '/api/users', { username, password, role } satisfies UserInput),
  updateUser: (username: string, change: UserChangeInput) => request<UserResponse>('PUT', `/api/users/${enc(username)}`, change),
  deleteUser: (username: string) => request<Ok>('DELETE', `/api/users/${enc(username)}`),

  tokens: async (): Promise<ApiToken[]> => (await request<TokensResponse>('GET', '/api/tokens')).tokens,
  createToken: (name: string, role?: Role, expiresInDays?: number) =>
    request<CreatedToken>('POST', '/api/tokens', { name, role, ...(expiresInDays ? { expiresInDays } : {}) } satisfies TokenInput),
  deleteToken: (id: string) => request<Ok>('DELETE', `/api/tokens/${enc(id)}`),

  /** The cluster's nodes and pipeline owners (`enabled: false` on a single node). */
  cluster: (signal?: AbortSignal) => request<ClusterResponse>('GET', '/api/cluster', undefined, { signal }),
  drainNode: (id: string, draining: boolean) =>
    request<ClusterResponse>('POST', `/api/cluster/nodes/${enc(id)}/${draining ? 'drain' : 'undrain'}`),
  /** Forget a lost node (409 while it heartbeats). */
  forgetNode: (id: string) => request<ClusterResponse>('DELETE', `/api/cluster/nodes/${enc(id)}`),

  openapi: () => request<OpenApiDoc>('GET', '/api/openapi.json', undefined, { quiet401: true }),
};
