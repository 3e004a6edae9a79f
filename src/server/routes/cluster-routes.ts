/** The cluster (nodes on a shared store): who is alive, who owns which pipeline with which epoch; draining a node. */
import type * as Api from '../api-types.js';
import type { ServerDeps } from '../deps.js';
import { HttpError, badRequest, notFound } from '../http-error.js';
import type { RouteContext, RouteDef } from '../route-table.js';

const notClustered = (): HttpError => notFound('this sluice serve is not in a cluster', 'start the nodes with --store mysql://… or postgresql://…');

export function clusterRoutes(deps: ServerDeps): RouteDef[] {
  const drain = async ({ params, audit }: RouteContext, draining: boolean): Promise<Api.ClusterResponse> => {
    if (!deps.cluster) throw notClustered();
    if (!(await deps.cluster.setDraining(params['id']!, draining))) throw notFound(`no node '${params['id']}'`, 'list them with GET /api/cluster');
    audit(draining ? 'node.drain' : 'node.undrain', params['id']!);
    return { enabled: true, ...(await deps.cluster.view()) };
  };
  return [
    { method: 'GET', path: '/api/cluster', access: 'viewer', tag: 'cluster',
      summary: 'Nodes (heartbeat age by the store clock, version, draining, pipelines owned), the owner, lease epoch and lease age and time left of every pipeline, and the node that sends the alerts',
      handler: async (): Promise<Api.ClusterResponse> => (deps.cluster ? { enabled: true, ...(await deps.cluster.view()) } : { enabled: false }) },
    { method: 'POST', path: '/api/cluster/nodes/:id/drain', access: 'operator', tag: 'cluster',
      summary: 'Drain a node (body {draining: false} undoes it): it hands its pipelines over and takes no new ones',
      handler: (ctx) => {
        const draining = ctx.body['draining'] ?? true;
        if (typeof draining !== 'boolean') throw badRequest("'draining' must be true or false");
        return drain(ctx, draining);
      } },
    { method: 'POST', path: '/api/cluster/nodes/:id/undrain', access: 'operator', tag: 'cluster',
      summary: 'Undo a drain: the node takes its share of the pipelines again',
      handler: (ctx) => drain(ctx, false) },
    { method: 'DELETE', path: '/api/cluster/nodes/:id', access: 'operator', tag: 'cluster',
      summary: 'Forget a lost node (its heartbeat older than the lease): its row goes, and its node-lost alert ends',
      handler: async ({ params, audit }): Promise<Api.ClusterResponse> => {
        if (!deps.cluster) throw notClustered();
        const id = params['id']!;
        const node = (await deps.cluster.view()).nodes.find((n) => n.id === id);
        if (!node) throw notFound(`no node '${id}'`, 'list them with GET /api/cluster');
        if (node.live) throw new HttpError(409, 'INVALID_STATE', `node '${id}' is alive (heartbeat ${Math.round(node.heartbeatAgeMs)} ms ago)`, 'stop it (SIGTERM leaves the cluster by itself) or drain it; only lost nodes can be forgotten');
        await deps.cluster.registry.remove(id);
        audit('node.remove', id);
        return { enabled: true, ...(await deps.cluster.view()) };
      } },
  ];
}
