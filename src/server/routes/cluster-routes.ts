/** The cluster (nodes on a shared store): who is alive, who owns which pipeline with which epoch; draining a node. */
import type * as Api from '../api-types.js';
import type { ServerDeps } from '../deps.js';
import { badRequest, notFound } from '../http-error.js';
import type { RouteDef } from '../route-table.js';

export function clusterRoutes(deps: ServerDeps): RouteDef[] {
  return [
    { method: 'GET', path: '/api/cluster', access: 'viewer', tag: 'cluster',
      summary: 'Nodes (heartbeat age by the store clock, version, draining, pipelines owned) and the owner, lease epoch and lease time left of every pipeline',
      handler: async (): Promise<Api.ClusterResponse> => (deps.cluster ? { enabled: true, ...(await deps.cluster.view()) } : { enabled: false }) },
    { method: 'POST', path: '/api/cluster/nodes/:id/drain', access: 'admin', tag: 'cluster',
      summary: 'Drain a node (body {draining: false} undoes it): it hands its pipelines over and takes no new ones',
      handler: async ({ params, body, audit }): Promise<Api.ClusterResponse> => {
        if (!deps.cluster) throw notFound('this sluice serve is not in a cluster', 'start the nodes with --store mysql://… or postgresql://…');
        const draining = body['draining'] ?? true;
        if (typeof draining !== 'boolean') throw badRequest("'draining' must be true or false");
        if (!(await deps.cluster.setDraining(params['id']!, draining))) throw notFound(`no node '${params['id']}'`, 'list them with GET /api/cluster');
        audit(draining ? 'node.drain' : 'node.undrain', params['id']!);
        return { enabled: true, ...(await deps.cluster.view()) };
      } },
  ];
}
