/** The OpenAPI 3.0 document, generated from the route table. */
import type { OpenApiDoc, OpenApiOperation } from './api-types.js';
import type { RouteDef } from './route-table.js';

export interface ExtraPath { method: string; path: string; summary: string; tag: string; anonymous: boolean }

export function openApiDocument(routes: readonly RouteDef[], extra: readonly ExtraPath[], version: string): OpenApiDoc {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  const all = [
    ...routes.map((r) => ({ method: r.method, path: r.path, summary: r.summary, tag: r.tag, anonymous: r.access === 'anonymous', role: r.access, body: r.body })),
    ...extra.map((e) => ({ ...e, role: e.anonymous ? 'anonymous' : 'viewer', body: undefined })),
  ];
  for (const r of all) {
    const oaPath = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const params = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1]!, in: 'path' as const, required: true as const, schema: { type: 'string' as const } }));
    paths[oaPath] ??= {};
    paths[oaPath][r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      'x-sluice-role': r.role,
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      ...(r.anonymous ? { security: [] } : {}),
      responses: {
        '200': { description: 'OK' },
        ...(r.anonymous ? {} : { '401': { description: 'not authenticated', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          '403': { description: 'role too low, or CSRF token missing' } }),
      },
    };
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Sluice control plane', version, description: 'See docs/api.md for request and response shapes.' },
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'sluice_session' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, fix: { type: 'string', nullable: true } } } },
        },
      },
    },
    security: [{ session: [] }, { bearer: [] }],
  };
}
