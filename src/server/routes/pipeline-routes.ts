/** Pipelines: CRUD, status, actions, metric history. */
import { parseConfig, type PipelineConfig } from '../../config/index.js';
import { isSluiceError } from '../../errors.js';
import type { PipelineRecord } from '../../store/store.js';
import type { PipelineStatus } from '../../control/pipeline-status.js';
import type * as Api from '../api-types.js';
import { optInt, optStr, str } from '../body.js';
import type { ServerDeps } from '../deps.js';
import { HttpError, badRequest, managedByConfig, notFound } from '../http-error.js';
import type { RouteDef } from '../route-table.js';
import { commandOf, ownerAction, statusOf, statusesOf } from './owner-actions.js';

const PIPELINE_KEYS: ReadonlyArray<keyof Api.PipelineInput> = ['name', 'source', 'target', 'tables', 'exclude', 'targetDatabase', 'snapshot', 'ddl', 'tuning'];

/** Validate a pipeline body with the config validator (same rules and messages as a config file). */
export async function pipelineConfig(deps: ServerDeps, name: string, body: Record<string, unknown>): Promise<PipelineConfig> {
  const raw: Record<string, unknown> = { name };
  for (const k of PIPELINE_KEYS) if (k !== 'name' && body[k] !== undefined && body[k] !== null) raw[k] = body[k];
  const source = str(body, 'source');
  const target = str(body, 'target');
  if (!await deps.store.getEndpoint('source', source)) throw badRequest(`no source named '${source}'`, 'create the source first, or pick one of GET /api/sources');
  if (!await deps.store.getEndpoint('target', target)) throw badRequest(`no target named '${target}'`, 'create the target first, or pick one of GET /api/targets');
  const doc = { sources: { [source]: { type: 'mysql', url: 'mysql://u@localhost' } }, targets: { [target]: { type: 'mysql', url: 'mysql://u@localhost' } }, pipelines: [raw] };
  try {
    return parseConfig(JSON.stringify(doc), { format: 'json', env: {}, origin: 'pipeline' }).pipelines[0]!;
  } catch (err) {
    if (isSluiceError(err)) throw new HttpError(400, 'BAD_CONFIG', err.message.replace(/pipelines\[0\]\.?/g, ''), err.fix);
    throw err;
  }
}

export function pipelineRoutes(deps: ServerDeps): RouteDef[] {
  const { store, manager } = deps;
  const get = async (name: string): Promise<PipelineRecord> => {
    const p = await store.getPipeline(name);
    if (!p) throw notFound(`no pipeline named '${name}'`, 'list them with GET /api/pipelines');
    return p;
  };
  const show = (p: PipelineRecord, status: PipelineStatus): Api.Pipeline => ({
    ...p.config, desiredState: p.desiredState, managedByConfig: p.managed, createdAt: p.createdAt, updatedAt: p.updatedAt,
    state: status.state,
  });
  const shown = async (p: PipelineRecord): Promise<Api.Pipeline> => show(p, await statusOf(deps, p.config.name));
  /** Start, pause, resume, stop: the desired state in the store, which the owner (in a cluster) acts on. */
  const action = (verb: 'start' | 'pause' | 'resume' | 'stop', summary: string, run: (name: string, st: PipelineStatus) => Promise<PipelineStatus> | PipelineStatus): RouteDef => ({
    method: 'POST', path: `/api/pipelines/:name/${verb}`, access: 'operator', tag: 'pipelines', summary,
    handler: async ({ params, audit }): Promise<Api.StatusResponse> => {
      const p = await get(params['name']!);
      const status = await run(p.config.name, await statusOf(deps, p.config.name));
      audit(`pipeline.${verb}`, p.config.name);
      return { status: deps.cluster ? await statusOf(deps, p.config.name) : status };
    },
  });
  const invalid = (msg: string, fix: string): HttpError => new HttpError(409, 'INVALID_STATE', msg, fix);
  return [
    { method: 'GET', path: '/api/pipelines', access: 'viewer', tag: 'pipelines', summary: 'List pipelines with their status',
      handler: async (): Promise<Api.PipelinesResponse> => ({
        pipelines: await (async () => {
          const list = await store.listPipelines();
          const statuses = await statusesOf(deps, list.map((p) => p.config.name));
          return list.map((p, i) => ({ ...show(p, statuses[i]!), status: statuses[i]! }));
        })(),
      }) },
    { method: 'POST', path: '/api/pipelines', access: 'operator', tag: 'pipelines', summary: 'Create a pipeline (start: true to start it)',
      handler: async ({ body, reply, audit }): Promise<Api.PipelineResponse> => {
        const name = str(body, 'name');
        if (await store.getPipeline(name)) throw new HttpError(409, 'CONFLICT', `a pipeline named '${name}' exists`, 'choose another name, or edit it with PUT');
        const cfg = await pipelineConfig(deps, name, body);
        const rec = await store.putPipeline(cfg, 'stopped');
        audit('pipeline.create', name, { source: cfg.source, target: cfg.target, tables: cfg.tables });
        if (body['start'] === true) {
          await manager.start(name);
          audit('pipeline.start', name);
        }
        reply.code(201);
        return { pipeline: await shown((await store.getPipeline(name)) ?? rec) };
      } },
    { method: 'GET', path: '/api/pipelines/:name', access: 'viewer', tag: 'pipelines', summary: 'Get a pipeline',
      handler: async ({ params }): Promise<Api.PipelineResponse> => ({ pipeline: await shown(await get(params['name']!)) }) },
    { method: 'PUT', path: '/api/pipelines/:name', access: 'operator', tag: 'pipelines', summary: 'Replace a pipeline definition (a running pipeline restarts)',
      handler: async ({ params, body, audit }): Promise<Api.PipelineResponse> => {
        const old = await get(params['name']!);
        if (old.managed) throw managedByConfig(`pipeline '${old.config.name}'`);
        const cfg = await pipelineConfig(deps, old.config.name, body);
        await store.putPipeline(cfg, old.desiredState);
        await manager.reload(cfg.name);
        audit('pipeline.update', cfg.name, { source: cfg.source, target: cfg.target, tables: cfg.tables });
        return { pipeline: await shown(await get(cfg.name)) };
      } },
    { method: 'DELETE', path: '/api/pipelines/:name', access: 'operator', tag: 'pipelines', summary: 'Stop and delete a pipeline (the target keeps its checkpoint)',
      handler: async ({ params, audit }): Promise<Api.Ok> => {
        const p = await get(params['name']!);
        if (p.managed) throw managedByConfig(`pipeline '${p.config.name}'`);
        await manager.remove(p.config.name);
        await store.deletePipeline(p.config.name);
        audit('pipeline.delete', p.config.name);
        return { ok: true };
      } },
    { method: 'GET', path: '/api/pipelines/:name/status', access: 'viewer', tag: 'pipelines', summary: 'State, lag, rates, snapshot progress, position, recent errors',
      handler: async ({ params }): Promise<Api.StatusResponse> => ({ status: await statusOf(deps, (await get(params['name']!)).config.name) }) },
    action('start', 'Start (from the checkpoint)', (n) => manager.start(n)),
    action('pause', 'Pause: stop after the current batch, keep the checkpoint', (n) => manager.pause(n)),
    action('resume', 'Resume a paused pipeline from its checkpoint', (n, st) => {
      if (st.state !== 'paused') throw invalid(`pipeline '${n}' is ${st.state}, not paused`, st.state === 'stopped' || st.state === 'failed' ? 'use start or retry' : 'nothing to do');
      return manager.resume(n);
    }),
    action('stop', 'Stop (not restarted when the server starts)', (n) => manager.stop(n)),
    { method: 'POST', path: '/api/pipelines/:name/retry', access: 'operator', tag: 'pipelines', summary: 'Restart a failed or retrying pipeline now',
      handler: async (ctx): Promise<Api.StatusResponse> => {
        const name = (await get(ctx.params['name']!)).config.name;
        return ownerAction(deps, ctx, name, 'retry', {}, () => manager.retry(name));
      } },
    { method: 'POST', path: '/api/pipelines/:name/skip', access: 'operator', tag: 'pipelines',
      summary: 'Skip the source transaction (or DDL) that failed and restart; body {file, pos, kind} names another one',
      handler: async (ctx): Promise<Api.StatusResponse> => {
        const { params, body } = ctx;
        const p = await get(params['name']!);
        const file = optStr(body, 'file');
        const pos = optInt(body, 'pos', 4, Number.MAX_SAFE_INTEGER);
        const kind = optStr(body, 'kind') ?? 'transaction';
        if ((file === undefined) !== (pos === undefined)) throw badRequest("give both 'file' and 'pos', or neither (to skip what the latest error names)");
        if (kind !== 'transaction' && kind !== 'ddl') throw badRequest("'kind' must be 'transaction' or 'ddl'");
        const skip = file !== undefined && pos !== undefined ? { file, pos, kind } as const : undefined;
        return ownerAction(deps, ctx, p.config.name, 'skip', skip ? { skip } : {}, () => manager.skip(p.config.name, skip));
      } },
    { method: 'POST', path: '/api/pipelines/:name/resync', access: 'operator', tag: 'pipelines',
      summary: 'Start over without downtime: stream from the source\'s current position and copy every table again (swapped in atomically)',
      handler: async (ctx): Promise<Api.StatusResponse> => {
        const p = await get(ctx.params['name']!);
        return ownerAction(deps, ctx, p.config.name, 'resync', {}, () => manager.resync(p.config.name));
      } },
    { method: 'POST', path: '/api/pipelines/:name/tables/:table/resnapshot', access: 'operator', tag: 'pipelines',
      summary: 'Copy one table (`db.table`) again while streaming: built in a shadow table, swapped in atomically',
      handler: async (ctx): Promise<Api.StatusResponse> => {
        const p = await get(ctx.params['name']!);
        const key = ctx.params['table'] ?? '';
        const dot = key.indexOf('.');
        if (dot <= 0 || dot === key.length - 1) throw badRequest(`'${key}' is not a table name: use database.table`);
        const table = { database: key.slice(0, dot), table: key.slice(dot + 1) };
        return ownerAction(deps, ctx, p.config.name, 'resnapshot', { table }, () => manager.resnapshot(p.config.name, table.database, table.table));
      } },
    { method: 'GET', path: '/api/pipelines/:name/commands/:id', access: 'viewer', tag: 'pipelines',
      summary: 'An action sent to the pipeline\'s owner in a cluster (retry, skip, resync, resnapshot): its state and outcome',
      handler: async ({ params }): Promise<Api.CommandResponse> => {
        const p = await get(params['name']!);
        const id = Number(params['id']);
        const command = Number.isSafeInteger(id) ? await commandOf(deps, p.config.name, id) : null;
        if (!command) throw notFound(`no command ${params['id']} of pipeline '${p.config.name}'`, 'the id is in the answer (202) of the action');
        return { command };
      } },
    { method: 'GET', path: '/api/metrics/history', access: 'viewer', tag: 'pipelines', summary: 'Metric samples (5 s) for charts',
      handler: async ({ query }): Promise<Api.MetricsHistory> => {
        const minutes = query['minutes'] === undefined ? 60 : Number(query['minutes']);
        if (!Number.isFinite(minutes) || minutes < 1 || minutes > 1440) throw badRequest("'minutes' must be from 1 to 1440");
        const pipeline = query['pipeline'] || undefined;
        if (pipeline !== undefined) await get(pipeline);
        const series: Api.MetricsHistory['series'] = {};
        if (pipeline !== undefined) series[pipeline] = [];
        for (const s of await store.samples(Date.now() - minutes * 60_000, pipeline)) {
          (series[s.pipeline] ??= []).push({ time: new Date(s.time).toISOString(), state: s.state, lagSeconds: s.lagSeconds, rowsPerSecond: s.rowsPerSecond,
            rowsApplied: s.rowsApplied, snapshotRowsCopied: s.snapshotRowsCopied, errorCount: s.errorCount });
        }
        return { resolutionSeconds: 5, series };
      } },
  ];
}
