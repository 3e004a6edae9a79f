/** Verify of a pipeline (background run, latest result): see src/verify and docs/api.md. */
import { isSluiceError } from '../../errors.js';
import type * as Api from '../api-types.js';
import type { ServerDeps } from '../deps.js';
import { HttpError, badRequest, notFound } from '../http-error.js';
import type { RouteDef } from '../route-table.js';

/** `tables`: a list or a comma-separated string of `db.table` patterns. */
function tablesOf(body: Record<string, unknown>): string[] | undefined {
  const v = body['tables'];
  if (v === undefined || v === null || v === '') return undefined;
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((x) => typeof x === 'string') ? v as string[] : null;
  if (list === null) throw badRequest("'tables' must be a list of db.table patterns (or one comma-separated string)");
  return list.map((t) => t.trim()).filter(Boolean);
}

export function verifyRoutes(deps: ServerDeps): RouteDef[] {
  const { store, manager } = deps;
  const known = async (name: string): Promise<string> => {
    if (!await store.getPipeline(name)) throw notFound(`no pipeline named '${name}'`, 'list them with GET /api/pipelines');
    return name;
  };
  return [
    { method: 'POST', path: '/api/pipelines/:name/verify', access: 'operator', tag: 'pipelines',
      summary: 'Compare the pipeline\'s tables with the source while it streams (body {tables?: ["db.t*"], repair?: true}); runs in the background, see GET',
      handler: async ({ params, body, audit, reply }): Promise<Api.VerifyStarted> => {
        const name = await known(params['name']!);
        const repair = body['repair'];
        if (repair !== undefined && typeof repair !== 'boolean') throw badRequest("'repair' must be true or false");
        const tables = tablesOf(body);
        try {
          const run = await manager.verify(name, { ...(tables ? { tables } : {}), repair: repair === true });
          audit(repair === true ? 'pipeline.verify_repair' : 'pipeline.verify', name, tables ? { tables } : {});
          void reply.code(202);
          return { verify: run };
        } catch (err) {
          if (isSluiceError(err)) throw new HttpError(409, 'CONFLICT', err.message, err.fix);
          throw err;
        }
      } },
    { method: 'GET', path: '/api/pipelines/:name/verify', access: 'viewer', tag: 'pipelines',
      summary: 'The latest verify of the pipeline (state, progress, per table rows checked and differences: a sample of keys with both sides\' values), and the last result of every table (kept across restarts)',
      handler: async ({ params }): Promise<Api.VerifyState> => {
        const name = await known(params['name']!);
        return { verify: manager.latestVerify(name), tables: await manager.lastVerifyResults(name) };
      } },
  ];
}
