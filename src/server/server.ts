/**
 * The HTTP server of `sluice serve` (fastify): the REST API from the route table with authentication
 * (session cookie + CSRF header, or Bearer token), roles and audit; /api/openapi.json generated from the
 * same table; /metrics, /healthz, /readyz; and the web UI's static files (ui/dist) with SPA fallback.
 */
import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { Logger } from '../log.js';
import type { PipelineManager } from '../control/pipeline-manager.js';
import type { PipelineMetrics } from '../control/metrics.js';
import type { ClusterMember } from '../control/cluster-member.js';
import { clusterRoutes } from './routes/cluster-routes.js';
import type { Store } from '../store/store.js';
import type { ExportedAlerts } from '../store/config-sync.js';
import { SESSION_COOKIE, type ServerDeps } from './deps.js';
import { HttpError } from './http-error.js';
import { LoginLimiter } from './login-limiter.js';
import { openApiDocument, type ExtraPath } from './openapi.js';
import { roleAtLeast, type Principal, type RouteContext, type RouteDef } from './route-table.js';
import { authRoutes } from './routes/auth-routes.js';
import { connectionTestRoute, endpointRoutes, targetKindsRoute } from './routes/endpoint-routes.js';
import { pipelineRoutes } from './routes/pipeline-routes.js';
import { verifyRoutes } from './routes/verify-routes.js';
import { adminRoutes } from './routes/admin-routes.js';

export interface ControlServerOptions {
  store: Store;
  manager: PipelineManager;
  metrics: PipelineMetrics;
  logger: Logger;
  version: string;
  /** Token of the one-time first-admin setup link (null when an admin exists). */
  setupToken: string | null;
  /** Session cookie `Secure`: true, false, or 'auto' (when the request came over https; default). */
  secureCookies?: boolean | 'auto';
  /**
   * Reverse proxies whose X-Forwarded-For / -Proto are trusted: addresses or CIDR ranges (or `loopback`,
   * `linklocal`, `uniquelocal`). The client address is the right-most hop that is not one of them. `true` means
   * `loopback` (a proxy on the same host); trusting every sender is not offered (anyone could fake the address).
   */
  trustProxy?: boolean | string | readonly string[];
  /** Directory API-created endpoints may name ssl-ca / ssl-cert / ssl-key files in (default: none allowed). */
  tlsDir?: string | null;
  /** Require a login (any role) for /metrics. */
  metricsAuth?: boolean;
  /** The built UI (default: ui/dist of the package, when present). */
  uiDir?: string | null;
  /** Login failures allowed per minute per IP + user (default 5). */
  loginFailuresPerMinute?: number;
  /** Login failures allowed per user account from any address in 15 min (default 20). */
  loginFailuresPerAccount?: number;
  /** More API routes (e.g. the alerts'), registered and documented like the built-in ones. */
  extraRoutes?: readonly RouteDef[];
  /** The `alerts:` section of GET /api/config/export (AlertService.exportSection). */
  exportAlerts?: () => ExportedAlerts | undefined;
  /** This node's cluster membership (GET /api/cluster); none for a single node. */
  cluster?: ClusterMember;
}

export interface ControlServer {
  app: FastifyInstance;
  routes: readonly RouteDef[];
  /** Flip to true once the pipelines were started (readyz). */
  readiness: { ready: boolean; reason: string };
  setup: { token: string | null };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const EXTRA_PATHS: readonly ExtraPath[] = [
  { method: 'GET', path: '/healthz', summary: 'Liveness', tag: 'health', anonymous: true },
  { method: 'GET', path: '/readyz', summary: 'Readiness', tag: 'health', anonymous: true },
  { method: 'GET', path: '/api/openapi.json', summary: 'This document', tag: 'health', anonymous: true },
];

export function defaultUiDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return existsSync(join(dir, 'ui', 'dist', 'index.html')) ? join(dir, 'ui', 'dist') : null;
    dir = dirname(dir);
  }
  return null;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function createControlServer(opts: ControlServerOptions): Promise<ControlServer> {
  const { store, logger } = opts;
  const deps: ServerDeps = {
    store, manager: opts.manager,
    limiter: new LoginLimiter({ max: opts.loginFailuresPerMinute ?? 5, windowMs: 60_000, accountMax: opts.loginFailuresPerAccount ?? 20, accountWindowMs: 15 * 60_000 }),
    tlsDir: opts.tlsDir ?? null,
    setup: { token: opts.setupToken }, secureCookies: opts.secureCookies ?? 'auto',
    ...(opts.exportAlerts ? { exportAlerts: opts.exportAlerts } : {}),
    ...(opts.cluster ? { cluster: opts.cluster } : {}),
  };
  const readiness = { ready: false, reason: 'starting' };
  const app = Fastify({
    logger: false, trustProxy: trustedProxies(opts.trustProxy), bodyLimit: 1024 * 1024,
    // Errors raised before routing (a malformed URL, a too-long parameter) get the same body as every other error.
    frameworkErrors: (err, _req, reply) => {
      const e = clientError(err as { statusCode?: number; code?: string; message?: string });
      void (reply as unknown as FastifyReply).code(e.status).send(e.body());
    },
    // … and so do the ones Node.js answers itself (headers too large, a malformed request, a timeout).
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const e = clientError({ statusCode: status, code: err.code ?? '', message: status === 431 ? 'the request headers are too large' : status === 408 ? 'the request took too long' : 'malformed HTTP request' });
      const body = JSON.stringify(e.body());
      if (socket.writable) {
        socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
      }
      socket.destroy(err);
    },
  });
  // The API takes JSON only: other bodies are 415 UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser('text/plain');
  await app.register(cookie);
  await app.register(helmet, {
    // The UI is one same-origin bundle: no inline scripts or styles, no third-party origins, never framed.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"],
        connectSrc: ["'self'"], objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // HSTS belongs to the TLS-terminating proxy (sluice serve itself speaks plain HTTP).
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
  });
  app.setErrorHandler(async (err: unknown, req, reply) => {
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      return reply.code(err.status).send(err.body());
    }
    const e = err as { statusCode?: number; message?: string; code?: string };
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      const ce = clientError(e);
      return reply.code(ce.status).send(ce.body());
    }
    logger.error({ route: `${req.method} ${req.routeOptions.url ?? req.url}`, err: e.message ?? String(err) }, 'API request failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: e.message ?? 'internal error', fix: 'see the server log; this is a bug worth reporting' } });
  });


  const routes: RouteDef[] = [
    ...authRoutes(deps), ...endpointRoutes(deps, 'source'), ...endpointRoutes(deps, 'target'), targetKindsRoute(), connectionTestRoute(deps),
    ...pipelineRoutes(deps), ...verifyRoutes(deps), ...adminRoutes(deps), ...clusterRoutes(deps), ...(opts.extraRoutes ?? []),
  ];
  const extraPaths: ExtraPath[] = [...EXTRA_PATHS, { method: 'GET', path: '/metrics', summary: 'Prometheus metrics', tag: 'health', anonymous: !opts.metricsAuth }];

  const principalOf = async (req: FastifyRequest): Promise<Principal | null> => {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth);
      const t = m ? await store.findToken(m[1]!) : null;
      return t ? { username: t.username, role: t.role, via: 'token' } : null;
    }
    const sid = req.cookies[SESSION_COOKIE];
    if (!sid) return null;
    const s = await store.getSession(sid);
    return s ? { username: s.username, role: s.role, via: 'session', sessionId: sid, csrfToken: s.csrfToken } : null;
  };
  const principals = new WeakMap<FastifyRequest, Principal | null>();

  /** Authentication, role and CSRF, before the body is read. */
  const guard = (def: Pick<RouteDef, 'access' | 'method'>) => async (req: FastifyRequest): Promise<void> => {
    const p = await principalOf(req);
    principals.set(req, p);
    if (def.access === 'anonymous') return;
    if (!p) {
      throw new HttpError(401, 'UNAUTHORIZED', req.headers.authorization ? 'the API token is invalid or revoked' : 'log in first',
        'log in with POST /api/login, or send Authorization: Bearer <API token>');
    }
    if (!roleAtLeast(p.role, def.access)) {
      throw new HttpError(403, 'FORBIDDEN', `this needs the ${def.access} role; you are ${p.role}`, 'ask an admin for a higher role');
    }
    if (p.via === 'session' && !SAFE_METHODS.has(req.method)) {
      const h = req.headers['x-csrf-token'];
      if (typeof h !== 'string' || !sameText(h, p.csrfToken!)) {
        throw new HttpError(403, 'CSRF_FAILED', 'missing or wrong x-csrf-token header', 'send the csrfToken from POST /api/login or GET /api/me in the x-csrf-token header');
      }
    }
  };

  for (const def of routes) {
    app.route({
      method: def.method, url: def.path, onRequest: guard(def),
      handler: async (req: FastifyRequest, reply: FastifyReply) => {
        const principal = principals.get(req) ?? null;
        const rawBody = req.body;
        if (rawBody !== undefined && rawBody !== null && (typeof rawBody !== 'object' || Array.isArray(rawBody))) {
          throw new HttpError(400, 'BAD_REQUEST', 'the body must be a JSON object', 'send content-type: application/json with an object');
        }
        const ctx: RouteContext = {
          req, reply, principal,
          params: (req.params ?? {}) as Record<string, string>,
          query: (req.query ?? {}) as Record<string, string | undefined>,
          body: (rawBody ?? {}) as Record<string, unknown>,
          audit: (action, target, details) => {
            audits.push(store.audit({ actor: principal?.username ?? null, action, target: target ?? null, details: details ?? {}, ip: req.ip }));
          },
        };
        const audits: Array<Promise<void>> = [];
        let out: unknown;
        try {
          out = await def.handler(ctx);
        } catch (err) {
          await Promise.allSettled(audits);
          throw err;
        }
        await Promise.all(audits); // the change is in the audit log before the client hears of it
        return out === reply ? reply : out;
      },
    });
  }

  const openapi = openApiDocument(routes, extraPaths, opts.version);
  app.get('/api/openapi.json', async () => openapi);
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/readyz', async (_req, reply) => (readiness.ready ? { ready: true } : reply.code(503).send({ ready: false, reason: readiness.reason })));
  app.get('/metrics', { onRequest: opts.metricsAuth ? guard({ access: 'viewer', method: 'GET' }) : [] }, async (_req, reply) => {
    reply.header('content-type', opts.metrics.contentType);
    return opts.metrics.text();
  });

  const uiDir = opts.uiDir === undefined ? defaultUiDir() : opts.uiDir;
  if (uiDir) await app.register(fastifyStatic, { root: uiDir, prefix: '/', wildcard: false, index: ['index.html'] });
  const indexHtml = uiDir ? readFileSync(join(uiDir, 'index.html'), 'utf8') : PLACEHOLDER;

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (path.startsWith('/api/') || path === '/api' || req.method !== 'GET') {
      return reply.code(404).send(new HttpError(404, 'NOT_FOUND', `no route ${req.method} ${path}`, 'see /api/openapi.json for the routes').body());
    }
    return reply.type('text/html; charset=utf-8').send(indexHtml);
  });

  return { app, routes, readiness, setup: deps.setup };
}

/** The proxy addresses fastify trusts (proxy-addr: the client is the right-most untrusted hop). */
export function trustedProxies(v: ControlServerOptions['trustProxy']): false | string[] {
  if (v === undefined || v === false) return false;
  if (v === true) return ['loopback'];
  const list = (typeof v === 'string' ? v.split(',') : [...v]).map((x) => x.trim()).filter((x) => x.length > 0);
  return list.length > 0 ? list : false;
}

/** A 4xx raised by fastify or Node.js (body limits, content types, bad URLs, …) as an API error. */
function clientError(e: { statusCode?: number; code?: string; message?: string }): HttpError {
  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500 ? e.statusCode : 400;
  switch (status) {
    case 413: return new HttpError(413, 'PAYLOAD_TOO_LARGE', 'the request body is too large', 'send at most 1 MiB');
    case 415: return new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'the request body must be JSON', 'send content-type: application/json with a JSON object');
    case 431: return new HttpError(431, 'HEADERS_TOO_LARGE', e.message ?? 'the request headers are too large', 'send fewer or shorter headers (cookies)');
    case 408: return new HttpError(408, 'BAD_REQUEST', e.message ?? 'the request took too long', 'send the whole request at once');
    case 404: return new HttpError(404, 'NOT_FOUND', e.message ?? 'not found', 'see /api/openapi.json for the routes');
    default: {
      const msg = e.code === 'FST_ERR_BAD_URL' ? 'the URL is malformed (bad percent-encoding)'
        : e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || /JSON/.test(e.message ?? '') ? 'the request body is not valid JSON'
          : e.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the request body is empty but content-type says JSON'
            : e.message ?? 'bad request';
      return new HttpError(status, 'BAD_REQUEST', msg, 'send a valid URL and, where a body is expected, a JSON object');
    }
  }
}

const PLACEHOLDER = `<!doctype html><html><head><meta charset="utf-8"><title>Sluice</title></head>
<body><h1>Sluice</h1><p>The web UI is not built. Run <code>npm run build:ui</code>, or use the REST API: <a href="/api/openapi.json">/api/openapi.json</a>.</p></body></html>`;
