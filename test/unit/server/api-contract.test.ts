/**
 * The API contract's drift checks bite: each `@ts-expect-error` below is a drift that must fail `tsc`; if a
 * check were weakened (e.g. `Same` made lax), the directive would be unused and `tsc` fails instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Api from '../../../src/server/api-types.js';
import type { Expect, Same } from '../../../src/server/api-contract.js';
import type { PipelineStatus } from '../../../src/control/pipeline-status.js';
import { publicEndpoint } from '../../../src/server/routes/endpoint-routes.js';

type Flat<T> = { [K in keyof T]: T[K] };

// A domain type that gains a field (here: one more on the pipeline status) no longer matches the contract.
// @ts-expect-error PipelineStatus with an extra field is not the API's PipelineStatus
export type _ExtraField = Expect<Same<Flat<PipelineStatus & { leaseOwner: string }>, Api.PipelineStatus>>;
// …nor one that loses a field, or makes it optional.
// @ts-expect-error PipelineStatus without bytesRead is not the API's PipelineStatus
export type _MissingField = Expect<Same<Flat<Omit<PipelineStatus, 'bytesRead'>>, Api.PipelineStatus>>;
// An extra optional field (the UI's old copy had `position.gtid?`) is drift too; plain assignability misses it.
// @ts-expect-error TableInfo with an extra optional field is not the API's TableInfo
export type _ExtraOptional = Expect<Same<Flat<Api.TableInfo & { engineVersion?: string }>, Api.TableInfo>>;
// @ts-expect-error an optional field is not a required one
export type _OptionalField = Expect<Same<Flat<Omit<Api.TableInfo, 'rows'> & { rows?: number }>, Api.TableInfo>>;

function drift(status: Api.PipelineStatus, table: Api.TableInfo): unknown[] {
  // A route answering with a field the contract lacks (the handlers declare these return types).
  // @ts-expect-error 'lag' does not exist in type 'StatusResponse'
  const answer: Api.StatusResponse = { status, lag: 0 };
  // The UI reading a field the API does not send.
  // @ts-expect-error 'gtid' does not exist on the position
  const gtid: unknown = status.position?.gtid;
  // @ts-expect-error 'estimate' does not exist on TableInfo
  const estimate: unknown = table.estimate;
  return [answer, gtid, estimate];
}

test('API contract: the drift checks compile only as expected errors (see the @ts-expect-error lines)', () => {
  assert.equal(typeof drift, 'function');
  // The public shape of an endpoint never carries the password.
  const shown: Api.Endpoint = publicEndpoint({
    kind: 'target', name: 't', type: 'mysql', host: 'h', port: 3306, user: 'u', password: 'secret', options: {},
    managed: false, createdAt: 'c', updatedAt: 'u',
  }, []);
  assert.equal(shown.password, '***');
  assert.equal(shown.hasPassword, true);
  assert.equal(shown.checkpointDatabase, '_sluice');
});
