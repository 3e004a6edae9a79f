/**
 * Pipeline status and owner-bound actions whichever node of a cluster gets the request: the status is the
 * owner's (published through the store), and retry / skip / resync / re-snapshot are run by the owner — here when
 * this node owns the pipeline (or there is no cluster), otherwise sent as a command through the store and
 * waited for (up to the cluster's wait time: then 202 with the command, which the owner still runs).
 */
import type { CommandAction, CommandArgs, PipelineCommand } from '../../control/command-queue.js';
import type { PipelineStatus } from '../../control/pipeline-status.js';
import { isSluiceError } from '../../errors.js';
import type * as Api from '../api-types.js';
import type { ServerDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import type { RouteContext } from '../route-table.js';

/** The status of each pipeline as this node shows it (in a cluster: the owner's, with `owner`). */
export function statusesOf(deps: ServerDeps, names: readonly string[]): Promise<PipelineStatus[]> {
  return deps.cluster ? deps.cluster.statuses(names) : Promise.all(names.map((n) => deps.manager.status(n)));
}

export async function statusOf(deps: ServerDeps, name: string): Promise<PipelineStatus> {
  return (await statusesOf(deps, [name]))[0]!;
}

const invalid = (message: string, fix: string | null): HttpError => new HttpError(409, 'INVALID_STATE', message, fix);

/**
 * Run `action` where the pipeline runs. `local` is the action on this node's manager (no cluster, or this node
 * owns the pipeline); its SluiceErrors become 409 INVALID_STATE, as the owner's do.
 */
export async function ownerAction(deps: ServerDeps, ctx: RouteContext, name: string, action: CommandAction, args: CommandArgs,
  local: () => Promise<PipelineStatus>): Promise<Api.StatusResponse> {
  const cluster = deps.cluster;
  if (!cluster || cluster.owns(name)) {
    let status: PipelineStatus;
    try {
      status = await local();
    } catch (err) {
      if (isSluiceError(err)) throw invalid(err.message, err.fix);
      throw err;
    }
    ctx.audit(`pipeline.${action}`, name, auditDetails(action, args, status));
    return { status: cluster ? await statusOf(deps, name) : status };
  }
  const rec = await deps.store.getPipeline(name);
  if (action === 'resnapshot' && rec?.desiredState !== 'running') {
    throw invalid(`pipeline ${name} is not running: a table can be re-copied only while it streams`, 'start the pipeline first');
  }
  // Retry, skip and resync restart the pipeline: it must be wanted running for a node to take it (and the command).
  if (rec && rec.desiredState !== 'running') await deps.store.setDesiredState(name, 'running');
  const submitted = await cluster.commands.submit(name, action, args, ctx.principal?.username ?? null);
  ctx.audit(`pipeline.${action}`, name, { ...auditDetails(action, args, null), command: submitted.id, via: 'owner' });
  const cmd = (await cluster.commands.wait(submitted.id, cluster.commandWaitMs)) ?? submitted;
  if (cmd.state === 'done' && cmd.result) {
    return { status: { ...cmd.result, owner: { node: cmd.claimedBy, epoch: cmd.claimedEpoch, self: false, reportAgeMs: 0, reason: null } }, command: cmd };
  }
  if (cmd.state === 'failed' || cmd.state === 'expired') {
    const e = cmd.error ?? { code: 'INTERNAL', message: `command ${cmd.id} ${cmd.state}`, fix: null };
    throw new HttpError(cmd.state === 'expired' ? 503 : 409, cmd.state === 'expired' ? 'NO_OWNER' : 'INVALID_STATE',
      cmd.claimedBy ? `${e.message} (run by node ${cmd.claimedBy})` : e.message, e.fix);
  }
  void ctx.reply.code(202); // still pending or running: the owner runs it (GET …/commands/:id)
  return { status: await statusOf(deps, name), command: cmd };
}

function auditDetails(action: CommandAction, args: CommandArgs, status: PipelineStatus | null): Record<string, unknown> {
  if (action === 'skip') return { skip: status?.pendingSkip ?? args.skip ?? null };
  if (action === 'resnapshot' && args.table) return { table: `${args.table.database}.${args.table.table}` };
  return {};
}

/** `GET /api/pipelines/:name/commands/:id`. */
export async function commandOf(deps: ServerDeps, name: string, id: number): Promise<PipelineCommand | null> {
  const c = deps.cluster ? await deps.cluster.commands.get(id) : null;
  return c && c.pipeline === name ? c : null;
}
