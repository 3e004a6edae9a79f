/** Setup of the first admin, login, logout, the current user. */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../store/passwords.js';
import type { UserRecord } from '../../store/store.js';
import type * as Api from '../api-types.js';
import { str } from '../body.js';
import { MIN_PASSWORD, SESSION_COOKIE, USERNAME_PATTERN, type ServerDeps } from '../deps.js';
import { HttpError, badRequest } from '../http-error.js';
import { passwordProblem } from '../password-policy.js';
import type { RouteDef } from '../route-table.js';

export const publicUser = (u: Pick<UserRecord, 'username' | 'role' | 'createdAt'>): Api.User =>
  ({ username: u.username, role: u.role, createdAt: u.createdAt });

export function checkNewPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) {
    throw badRequest(problem, `choose a longer pass phrase that is not a common password, e.g. a few unrelated words (at least ${MIN_PASSWORD} characters)`);
  }
}

function rateLimited(wait: number, what: string): HttpError {
  return new HttpError(429, 'RATE_LIMITED', `too many failed ${what}`, `wait ${wait} s and try again`, { 'retry-after': String(wait) });
}

export function checkUsername(username: string): void {
  if (!USERNAME_PATTERN.test(username)) throw badRequest('invalid user name', 'use 1-64 letters, digits, _ . @ - starting with a letter or digit');
}

function isSecure(deps: ServerDeps, req: FastifyRequest): boolean {
  return deps.secureCookies === 'auto' ? req.protocol === 'https' : deps.secureCookies;
}

async function startSession(deps: ServerDeps, req: FastifyRequest, reply: FastifyReply, username: string): Promise<string> {
  const s = await deps.store.createSession(username);
  reply.setCookie(SESSION_COOKIE, s.id, { path: '/', httpOnly: true, sameSite: 'strict', secure: isSecure(deps, req) });
  return s.csrfToken;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authRoutes(deps: ServerDeps): RouteDef[] {
  const { store } = deps;
  return [
    {
      method: 'GET', path: '/api/setup', access: 'anonymous', tag: 'session', summary: 'Whether the first admin still has to be created',
      handler: async (): Promise<Api.SetupInfo> => {
        const none = await store.countAdmins() === 0;
        return { needed: none, tokenRequired: none };
      },
    },
    {
      method: 'POST', path: '/api/setup', access: 'anonymous', tag: 'session', summary: 'Create the first admin (only while none exists)',
      handler: async ({ req, reply, body, audit }): Promise<Api.Session> => {
        if (await store.countAdmins() > 0 || deps.setup.token === null) {
          throw new HttpError(403, 'FORBIDDEN', 'setup is already done: an admin exists', 'log in with POST /api/login');
        }
        const token = typeof body['token'] === 'string' ? body['token'] : '';
        if (!sameText(token, deps.setup.token)) {
          throw new HttpError(403, 'FORBIDDEN', 'the setup token is missing or wrong', 'open the one-time setup link sluice serve printed on stderr at its first start');
        }
        const username = str(body, 'username');
        const password = str(body, 'password');
        checkUsername(username);
        checkNewPassword(password);
        const hash = await hashPassword(password);
        if (await store.countAdmins() > 0) throw new HttpError(403, 'FORBIDDEN', 'setup is already done: an admin exists', 'log in with POST /api/login');
        const user = await store.createUser(username, 'admin', hash);
        deps.setup.token = null;
        audit('setup', username, {});
        const csrfToken = await startSession(deps, req, reply, username);
        return { user: publicUser(user), csrfToken };
      },
    },
    {
      method: 'POST', path: '/api/login', access: 'anonymous', tag: 'session', summary: 'Log in: sets the session cookie, returns the CSRF token',
      handler: async ({ req, reply, body }): Promise<Api.Session> => {
        const username = str(body, 'username');
        const password = str(body, 'password');
        const wait = deps.limiter.retryAfter(req.ip, username);
        if (wait > 0) {
          throw rateLimited(wait, 'logins');
        }
        const user = await store.getUser(username);
        const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
        if (!user || !ok) {
          deps.limiter.fail(req.ip, username);
          await store.audit({ actor: null, action: 'login.failed', target: username, ip: req.ip });
          throw new HttpError(401, 'UNAUTHORIZED', 'wrong user name or password', 'check both; after 5 failures in a minute, logins are refused for a while');
        }
        deps.limiter.succeed(req.ip, username);
        await store.audit({ actor: username, action: 'login', target: username, ip: req.ip });
        const csrfToken = await startSession(deps, req, reply, username);
        return { user: publicUser(user), csrfToken };
      },
    },
    {
      method: 'POST', path: '/api/logout', access: 'viewer', tag: 'session', summary: 'End the session',
      handler: async ({ principal, reply, audit }): Promise<Api.Ok> => {
        if (principal?.sessionId) await store.deleteSession(principal.sessionId);
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        audit('logout', principal?.username ?? null);
        return { ok: true };
      },
    },
    {
      method: 'GET', path: '/api/me', access: 'viewer', tag: 'session', summary: 'The current user and CSRF token',
      handler: async ({ principal }): Promise<Api.Session> => {
        const user = (await store.getUser(principal!.username))!;
        return { user: publicUser(user), csrfToken: principal!.csrfToken ?? null, auth: principal!.via };
      },
    },
    {
      method: 'PUT', path: '/api/me/password', access: 'viewer', tag: 'session', summary: 'Change the own password',
      handler: async ({ req, principal, body, audit }): Promise<Api.Ok> => {
        // A token (of any scope) must not turn into its owner's password: only a signed-in user changes it.
        if (principal!.via !== 'session') {
          throw new HttpError(403, 'FORBIDDEN', 'an API token cannot change its owner\'s password', 'sign in with the user name and password, then change it');
        }
        const user = (await store.getUser(principal!.username))!;
        const current = str(body, 'currentPassword');
        const next = str(body, 'newPassword');
        // Guessing the current password here is limited and audited exactly like logins (same counters; refused
        // attempts are not audited, so that a flood cannot fill the audit log).
        const wait = deps.limiter.retryAfter(req.ip, user.username);
        if (wait > 0) throw rateLimited(wait, 'password checks');
        if (!(await verifyPassword(current, user.passwordHash))) {
          deps.limiter.fail(req.ip, user.username);
          audit('password.change.failed', user.username, { reason: 'wrong current password' });
          throw new HttpError(403, 'FORBIDDEN', 'the current password is wrong', 'enter your current password; after 5 failures in a minute, changes are refused for a while');
        }
        deps.limiter.succeed(req.ip, user.username);
        checkNewPassword(next);
        await store.updateUser(user.username, { passwordHash: await hashPassword(next) });
        await store.deleteSessionsOf(user.username, principal!.sessionId);
        audit('password.change', user.username);
        return { ok: true };
      },
    },
  ];
}
