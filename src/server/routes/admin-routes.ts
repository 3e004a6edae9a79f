/** Users, API tokens, the audit log and config export. */
import { hashPassword } from '../../store/passwords.js';
import { exportConfigText } from '../../store/config-sync.js';
import { ROLES, type Role } from '../../store/store.js';
import type * as Api from '../api-types.js';
import { optInt, optStr, str } from '../body.js';
import type { ServerDeps } from '../deps.js';
import { HttpError, badRequest, notFound } from '../http-error.js';
import { roleAtLeast, type RouteDef } from '../route-table.js';
import { checkNewPassword, checkUsername, publicUser } from './auth-routes.js';

function role(v: unknown): Role {
  if (typeof v !== 'string' || !(ROLES as readonly string[]).includes(v)) throw badRequest("'role' must be admin, operator or viewer");
  return v as Role;
}

export function adminRoutes(deps: ServerDeps): RouteDef[] {
  const { store } = deps;
  return [
    { method: 'GET', path: '/api/users', access: 'admin', tag: 'users', summary: 'List users',
      handler: async (): Promise<Api.UsersResponse> => ({ users: (await store.listUsers()).map(publicUser) }) },
    { method: 'POST', path: '/api/users', access: 'admin', tag: 'users', summary: 'Create a user',
      handler: async ({ body, reply, audit }): Promise<Api.UserResponse> => {
        const username = str(body, 'username');
        checkUsername(username);
        const r = role(body['role']);
        const password = str(body, 'password');
        checkNewPassword(password);
        if (await store.getUser(username)) throw new HttpError(409, 'CONFLICT', `a user named '${username}' exists`, 'choose another name');
        const user = await store.createUser(username, r, await hashPassword(password));
        audit('user.create', username, { role: r });
        reply.code(201);
        return { user: publicUser(user) };
      } },
    { method: 'PUT', path: '/api/users/:username', access: 'admin', tag: 'users', summary: "Change a user's role or password",
      handler: async ({ params, body, audit }): Promise<Api.UserResponse> => {
        const user = await store.getUser(params['username']!);
        if (!user) throw notFound(`no user named '${params['username']}'`, 'list them with GET /api/users');
        const newRole = body['role'] !== undefined ? role(body['role']) : undefined;
        const password = optStr(body, 'password');
        if (password !== undefined) checkNewPassword(password);
        if (newRole && newRole !== 'admin' && user.role === 'admin' && await store.countAdmins() === 1) {
          throw new HttpError(409, 'CONFLICT', 'this is the last admin', 'make another user admin first');
        }
        await store.updateUser(user.username, { ...(newRole ? { role: newRole } : {}), ...(password ? { passwordHash: await hashPassword(password) } : {}) });
        if (newRole || password) await store.deleteSessionsOf(user.username);
        audit('user.update', user.username, { ...(newRole ? { role: newRole } : {}), passwordChanged: password !== undefined });
        return { user: publicUser((await store.getUser(user.username))!) };
      } },
    { method: 'DELETE', path: '/api/users/:username', access: 'admin', tag: 'users', summary: 'Delete a user (and its sessions and tokens)',
      handler: async ({ params, audit }): Promise<Api.Ok> => {
        const user = await store.getUser(params['username']!);
        if (!user) throw notFound(`no user named '${params['username']}'`, 'list them with GET /api/users');
        if (user.role === 'admin' && await store.countAdmins() === 1) throw new HttpError(409, 'CONFLICT', 'this is the last admin', 'make another user admin first');
        await store.deleteUser(user.username);
        audit('user.delete', user.username);
        return { ok: true };
      } },
    { method: 'GET', path: '/api/tokens', access: 'viewer', tag: 'tokens', summary: 'List API tokens (own; admin: all)',
      handler: async ({ principal }): Promise<Api.TokensResponse> => ({ tokens: await store.listTokens(principal!.role === 'admin' ? undefined : principal!.username) }) },
    { method: 'POST', path: '/api/tokens', access: 'viewer', tag: 'tokens', summary: 'Create an API token (the secret is shown once)',
      handler: async ({ principal, body, reply, audit }): Promise<Api.CreatedToken> => {
        const name = str(body, 'name');
        // Least privilege: a token is a viewer unless a higher role is asked for.
        const r = body['role'] === undefined || body['role'] === null ? 'viewer' : role(body['role']);
        if (!roleAtLeast(principal!.role, r)) throw new HttpError(403, 'FORBIDDEN', `a ${principal!.role} cannot create a ${r} token`, `use role ${principal!.role} or lower`);
        const days = optInt(body, 'expiresInDays', 1, 3650);
        const expiresAt = days === undefined ? null : new Date(Date.now() + days * 86_400_000).toISOString();
        const { token, secret } = await store.createToken(principal!.username, name.slice(0, 100), r, expiresAt);
        audit('token.create', token.id, { name: token.name, role: r, expiresAt });
        reply.code(201);
        return { token, secret };
      } },
    { method: 'DELETE', path: '/api/tokens/:id', access: 'viewer', tag: 'tokens', summary: 'Revoke an API token',
      handler: async ({ principal, params, audit }): Promise<Api.Ok> => {
        const t = (await store.listTokens()).find((x) => x.id === params['id']);
        if (!t || (principal!.role !== 'admin' && t.username !== principal!.username)) throw notFound('no such token', 'list them with GET /api/tokens');
        await store.deleteToken(t.id);
        audit('token.delete', t.id, { name: t.name, owner: t.username });
        return { ok: true };
      } },
    { method: 'GET', path: '/api/audit', access: 'operator', tag: 'audit', summary: 'The audit log, newest first',
      handler: async ({ query }): Promise<Api.AuditPage> => {
        const limit = Math.min(1000, Math.max(1, Number(query['limit'] ?? 100) || 100));
        const before = query['before'] !== undefined ? Number(query['before']) : undefined;
        const entries = await store.listAudit(limit, before !== undefined && Number.isFinite(before) ? before : undefined);
        return { entries, nextBefore: entries.length === limit ? entries[entries.length - 1]!.id : null };
      } },
    { method: 'GET', path: '/api/config/export', access: 'admin', tag: 'config', summary: 'Export sources, targets, pipelines and alert settings as a config file (no secrets)',
      handler: async ({ query, reply, audit }) => {
        const format = query['format'] === 'json' ? 'json' : 'yaml';
        audit('config.export', null, { format });
        reply.header('content-type', format === 'json' ? 'application/json; charset=utf-8' : 'text/yaml; charset=utf-8')
          .header('content-disposition', `attachment; filename="sluice.${format === 'json' ? 'json' : 'yaml'}"`);
        return reply.send(await exportConfigText(store, format, { alerts: deps.exportAlerts?.() }));
      } },
  ];
}
