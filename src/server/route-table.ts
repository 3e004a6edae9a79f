/**
 * The route table: every API route with its method, path, lowest role and handler. The server registers
 * exactly these routes and /api/openapi.json is generated from the same table, so the two cannot drift.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../store/store.js';

/** Who made a request. */
export interface Principal { username: string; role: Role; via: 'session' | 'token'; sessionId?: string; csrfToken?: string }

export type Access = Role | 'anonymous';

export interface RouteContext {
  req: FastifyRequest;
  reply: FastifyReply;
  /** Null only on anonymous routes. */
  principal: Principal | null;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  body: Record<string, unknown>;
  /** Record a change in the audit log (actor and ip filled in). */
  audit(action: string, target?: string | null, details?: Record<string, unknown>): void;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  access: Access;
  summary: string;
  tag: string;
  /** JSON schema of the request body, for the OpenAPI document. */
  body?: Record<string, unknown>;
  /** Returns the JSON body (status 200 unless the handler set another), or undefined when it sent the reply itself. */
  handler(ctx: RouteContext): unknown;
}

/** Every role at or above `role`. */
export function roleAtLeast(have: Role, need: Role): boolean {
  const order: Role[] = ['viewer', 'operator', 'admin'];
  return order.indexOf(have) >= order.indexOf(need);
}
