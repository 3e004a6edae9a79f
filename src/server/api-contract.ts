/**
 * Compile-time proof that the domain types the routes serialize as they are match the API contract
 * (`api-types.ts`) exactly: a field added, removed, renamed, retyped or made optional on either side fails
 * `tsc` here ("Type 'false' does not satisfy the constraint 'true'"), naming the pair. Types only: nothing of
 * this file exists at run time.
 */
import type * as Api from './api-types.js';
import type { PipelineConfig, TuningConfig } from '../config/types.js';
import type { PipelineError, PipelineState, PipelineStatus, TableProgress } from '../control/pipeline-status.js';
import type { SkipTarget, SkippedEvent } from '../pipeline/pipeline.js';
import type { LastVerifyResult, ReportedDifference, RunTableResult } from '../core/verify-result.js';
import type { VerifyRun } from '../verify/verify-runs.js';
import type { AuditEntry, DesiredState, EndpointKind, Role, TokenRecord } from '../store/store.js';
import type { Principal } from './route-table.js';
import type { ClusterView } from '../control/cluster-view.js';
import type { PipelineCommand } from '../control/command-queue.js';

/** True when A and B are the same type (deeply, optional and readonly modifiers included). */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
/** Fails to compile unless T is true. */
export type Expect<T extends true> = T;

/** A type written out field by field (so an intersection compares equal to the interface it amounts to). */
type Flat<T> = T extends object ? { [K in keyof T]: Flat<T[K]> } : T;
type SameFlat<A, B> = Same<Flat<A>, Flat<B>>;

export type ApiContract = [
  Expect<SameFlat<{ enabled: true } & ClusterView, Extract<Api.ClusterResponse, { enabled: true }>>>,
  Expect<Same<Role, Api.Role>>,
  Expect<Same<DesiredState, Api.DesiredState>>,
  Expect<Same<EndpointKind, Api.EndpointKind>>,
  Expect<Same<PipelineState, Api.PipelineState>>,
  Expect<Same<Principal['via'], NonNullable<Api.Session['auth']>>>,
  Expect<SameFlat<TokenRecord, Api.ApiToken>>,
  Expect<SameFlat<AuditEntry, Api.AuditEntry>>,
  Expect<SameFlat<TuningConfig, Api.Tuning>>,
  Expect<SameFlat<PipelineConfig, Api.PipelineDefinition>>,
  Expect<SameFlat<SkipTarget, Api.SkipTarget>>,
  Expect<SameFlat<SkippedEvent, Api.SkippedEvent>>,
  Expect<SameFlat<PipelineError, Api.PipelineError>>,
  Expect<SameFlat<TableProgress, Api.TableProgress>>,
  Expect<SameFlat<PipelineStatus, Api.PipelineStatus>>,
  Expect<SameFlat<PipelineCommand, Api.PipelineCommand>>,
  Expect<SameFlat<ReportedDifference, Api.VerifyDifference>>,
  Expect<SameFlat<RunTableResult, Api.VerifyTableResult>>,
  Expect<SameFlat<LastVerifyResult, Api.LastVerifyResult>>,
  Expect<SameFlat<VerifyRun, Api.VerifyRun>>,
];
