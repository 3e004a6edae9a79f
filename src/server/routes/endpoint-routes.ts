/** Sources and targets: CRUD, test connection, browse databases and tables. */
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseMysqlUrl, parseTlsOptions } from '../../config/index.js';
import { REDACTED } from '../../config/redact.js';
import { isSluiceError } from '../../errors.js';
import { TARGET_KINDS, findTargetKind, kindTypeText, targetTypesText } from '../../targets/registry.js';
import { endpointUrl, type EndpointInput, type EndpointKind, type EndpointRecord } from '../../store/store.js';
import type * as Api from '../api-types.js';
import { optInt, optStr, optStringMap, str } from '../body.js';
import { listDatabases, listTables } from '../browse.js';
import { testEndpoint } from '../connection-test.js';
import { NAME_PATTERN, type ServerDeps } from '../deps.js';
import { HttpError, badRequest, managedByConfig, notFound } from '../http-error.js';
import type { RouteDef } from '../route-table.js';

/** What the API shows of a source or target: never the password. */
export function publicEndpoint(e: EndpointRecord, usedBy: string[]): Api.Endpoint {
  return {
    name: e.name, type: e.type, host: e.host, port: e.port, user: e.user, password: e.password ? REDACTED : '', hasPassword: !!e.password,
    ...(e.database ? { database: e.database } : {}), options: e.options,
    ...(e.kind === 'source' && e.serverId !== undefined ? { serverId: e.serverId } : {}),
    ...(e.kind === 'target' ? { checkpointDatabase: e.checkpointDatabase ?? '_sluice' } : {}),
    managedByConfig: e.managed, usedBy, createdAt: e.createdAt, updatedAt: e.updatedAt,
  };
}

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/** A DNS name, an IPv4 address or an IPv6 address (brackets optional); anything else is refused. */
export function checkHost(host: string): string {
  const h = host.trim();
  const bare = h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
  if (isIP(bare) === 6) return bare;
  if (HOSTNAME.test(h)) return h;
  throw badRequest("'host' is not a host name or IP address", 'use a DNS name (letters, digits, - and . only), an IPv4 address or an IPv6 address');
}

const TLS_FILES = ['ssl-ca', 'ssl-cert', 'ssl-key'] as const;

/**
 * ssl-* files named through the API must lie in the TLS directory (symbolic links resolved), so that the API
 * cannot be used to probe which files exist on the host; the error is the same whether the file exists or not.
 */
export function checkTlsPaths(options: Record<string, string>, tlsDir: string | null): void {
  for (const param of TLS_FILES) {
    const value = options[param];
    if (value === undefined) continue;
    const fix = tlsDir ? `upload the PEM file in the form (or with tlsFiles in the API), or put it in ${tlsDir} (sluice serve --tls-dir) and name it there`
      : 'upload the PEM file in the form (or with tlsFiles in the API)';
    const refused = (): HttpError => new HttpError(400, 'BAD_CONFIG', `'options.${param}' must name a file in the TLS directory of sluice serve`, fix);
    if (!tlsDir || !isAbsolute(value)) throw refused();
    const dir = realOrSelf(resolve(tlsDir));
    const file = realOrSelf(resolve(value));
    const rel = relative(dir, file);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) throw refused();
  }
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * PEM texts uploaded with an endpoint (`tlsFiles: { "ssl-ca": "-----BEGIN …" }`) are written to the TLS
 * directory (mode 0600) and the endpoint's option points at the file. Returns the files written.
 */
export function storeTlsUploads(body: Record<string, unknown>, tlsDir: string | null, fileStem: string, options: Record<string, string>): string[] {
  const v = body['tlsFiles'];
  if (v === undefined || v === null) return [];
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest("'tlsFiles' must be an object of PEM texts by parameter (ssl-ca, ssl-cert, ssl-key)");
  if (!tlsDir) throw new HttpError(400, 'BAD_CONFIG', 'sluice serve has no TLS directory to keep uploaded files in', 'start sluice serve with --tls-dir DIR');
  const written: string[] = [];
  for (const [param, pem] of Object.entries(v)) {
    if (!(TLS_FILES as readonly string[]).includes(param)) throw badRequest(`'tlsFiles.${param}': only ssl-ca, ssl-cert and ssl-key can be uploaded`);
    if (typeof pem !== 'string' || !/-----BEGIN [A-Z0-9 ]+-----/.test(pem) || pem.length > 512 * 1024) {
      throw new HttpError(400, 'BAD_CONFIG', `'tlsFiles.${param}' is not a PEM file (no -----BEGIN line, or larger than 512 KiB)`, 'upload the PEM text of the certificate or key');
    }
    mkdirSync(tlsDir, { recursive: true, mode: 0o700 });
    const file = join(tlsDir, `${fileStem}-${param}.pem`);
    writeFileSync(file, pem, { mode: 0o600 });
    options[param] = file;
    written.push(file);
  }
  return written;
}

/** A request body → an endpoint definition; `existing` supplies the password when the body keeps it. */
export function endpointInput(kind: EndpointKind, name: string, body: Record<string, unknown>, existing: EndpointRecord | null): EndpointInput {
  if (!NAME_PATTERN.test(name)) throw badRequest(`invalid ${kind} name`, 'use 1-64 letters, digits, _ . - starting with a letter or digit');
  const typeText = optStr(body, 'type') ?? 'mysql';
  // A source is MySQL or MariaDB; a target is any kind of the registry, whose URL format and options it parses.
  const targetKindOf = kind === 'target' ? findTargetKind(typeText) : null;
  if (kind === 'target' && !targetKindOf) throw badRequest(`'type' must be one of ${targetTypesText()}`);
  if (kind === 'source' && typeText !== 'mysql' && typeText !== 'mariadb') throw badRequest("'type' must be mysql or mariadb");
  const parseUrl = targetKindOf ? targetKindOf.endpoint.parseUrl : parseMysqlUrl;
  const url = optStr(body, 'url');
  let host: string; let port: number; let user: string; let password: string | undefined; let database: string | undefined;
  let options: Record<string, string>;
  if (url) {
    const parsed = parseUrl(url);
    if (!parsed.ok) throw badRequest(`'url': ${parsed.message}`, parsed.fix);
    ({ host, port, user, password, database, options } = parsed.value);
    host = checkHost(host);
    if (password === '' && body['password'] !== undefined) password = optStr(body, 'password');
  } else {
    host = checkHost(str(body, 'host'));
    port = optInt(body, 'port', 1, 65535) ?? targetKindOf?.endpoint.defaultPort ?? 3306;
    user = str(body, 'user');
    password = optStr(body, 'password');
    database = optStr(body, 'database') || undefined;
    options = optStringMap(body, 'options') ?? {};
    const bad = targetKindOf ? targetKindOf.endpoint.checkOptions?.(options) ?? null : checkTlsOptions(options);
    if (bad) throw new HttpError(400, 'BAD_CONFIG', `'options': ${bad.message}`, bad.fix);
  }
  // Empty, absent or "***" keeps the stored password; removing it is explicit (clearPassword: true).
  if (password === undefined || password === '' || password === REDACTED) password = existing?.password ?? '';
  if (body['clearPassword'] === true) password = '';
  const serverId = kind === 'source' ? optInt(body, 'serverId', 1, 4294967295) : undefined;
  const checkpointDatabase = kind === 'target' ? (optStr(body, 'checkpointDatabase') || '_sluice') : undefined;
  if (checkpointDatabase !== undefined && (checkpointDatabase.length > 64 || /[\0/\\.]/.test(checkpointDatabase))) {
    throw badRequest("'checkpointDatabase' is not a valid database name");
  }
  return {
    kind, name, type: typeText, host, port, user, password, ...(database ? { database } : {}), options,
    ...(serverId !== undefined ? { serverId } : {}), ...(checkpointDatabase !== undefined ? { checkpointDatabase } : {}),
  };
}

/** The TLS parameters of a MySQL source's URL options: an error, or null when fine. */
function checkTlsOptions(options: Record<string, string>): { message: string; fix: string } | null {
  const tls = parseTlsOptions(options);
  return tls.ok ? null : { message: tls.message, fix: tls.fix };
}

function fromSluiceError(err: unknown): never {
  if (isSluiceError(err)) {
    // A stored endpoint whose ssl-* files cannot be read is a configuration problem, not an unreachable server.
    throw err.code === 'BAD_CONFIG' ? new HttpError(400, 'BAD_CONFIG', err.message, err.fix) : new HttpError(502, 'CONNECTION_FAILED', err.message, err.fix);
  }
  throw err;
}

export function endpointRoutes(deps: ServerDeps, kind: EndpointKind): RouteDef[] {
  const { store } = deps;
  const plural = `${kind}s`;
  const base = `/api/${plural}`;
  const get = async (name: string): Promise<EndpointRecord> => {
    const e = await store.getEndpoint(kind, name);
    if (!e) throw notFound(`no ${kind} named '${name}'`, `list them with GET ${base}`);
    return e;
  };
  const show = async (e: EndpointRecord): Promise<Api.Endpoint> => publicEndpoint(e, await store.pipelinesUsing(kind, e.name));
  return [
    { method: 'GET', path: base, access: 'viewer', tag: plural, summary: `List ${plural}`,
      handler: async (): Promise<Api.EndpointList> => ({ [plural]: await Promise.all((await store.listEndpoints(kind)).map(show)) }) },
    { method: 'POST', path: base, access: 'admin', tag: plural, summary: `Create a ${kind}`, body: endpointBodySchema(kind, true),
      handler: async ({ body, reply, audit }): Promise<Api.EndpointResponse> => {
        const name = str(body, 'name');
        if (await store.getEndpoint(kind, name)) throw new HttpError(409, 'CONFLICT', `a ${kind} named '${name}' exists`, 'choose another name, or edit it with PUT');
        const e = await store.putEndpoint(checkedInput(deps, kind, name, body, null));
        audit(`${kind}.create`, name, { host: e.host, port: e.port, user: e.user });
        reply.code(201);
        return { [kind]: await show(e) };
      } },
    { method: 'GET', path: `${base}/:name`, access: 'viewer', tag: plural, summary: `Get a ${kind}`,
      handler: async ({ params }): Promise<Api.EndpointResponse> => ({ [kind]: await show(await get(params['name']!)) }) },
    { method: 'PUT', path: `${base}/:name`, access: 'admin', tag: plural, summary: `Replace a ${kind}`, body: endpointBodySchema(kind, false),
      handler: async ({ params, body, audit }): Promise<Api.EndpointResponse> => {
        const old = await get(params['name']!);
        if (old.managed) throw managedByConfig(`${kind} '${old.name}'`);
        const e = await store.putEndpoint(checkedInput(deps, kind, old.name, body, old));
        audit(`${kind}.update`, old.name, { host: e.host, port: e.port, user: e.user, passwordChanged: e.password !== old.password, passwordRemoved: !e.password && !!old.password });
        for (const p of await store.pipelinesUsing(kind, old.name)) await deps.manager.reload(p);
        return { [kind]: await show(e) };
      } },
    { method: 'DELETE', path: `${base}/:name`, access: 'admin', tag: plural, summary: `Delete a ${kind}`,
      handler: async ({ params, audit }): Promise<Api.Ok> => {
        const e = await get(params['name']!);
        if (e.managed) throw managedByConfig(`${kind} '${e.name}'`);
        const users = await store.pipelinesUsing(kind, e.name);
        if (users.length > 0) throw new HttpError(409, 'CONFLICT', `${kind} '${e.name}' is used by pipelines ${users.join(', ')}`, 'delete or edit those pipelines first');
        await store.deleteEndpoint(kind, e.name);
        audit(`${kind}.delete`, e.name);
        return { ok: true };
      } },
    { method: 'POST', path: `${base}/:name/test`, access: 'operator', tag: plural, summary: `Test connection: preflight checks of a ${kind}`,
      handler: async ({ params, audit }): Promise<Api.TestResult> => {
        const e = await get(params['name']!);
        const result = await testEndpoint(e);
        audit(`${kind}.test`, e.name, { ok: result.ok });
        return result;
      } },
    { method: 'GET', path: `${base}/:name/databases`, access: 'viewer', tag: plural, summary: `Databases of a ${kind} with their table counts`,
      handler: async ({ params }): Promise<Api.DatabasesResponse> => ({ databases: await listDatabases(endpointUrl(await get(params['name']!))).catch(fromSluiceError) }) },
    { method: 'GET', path: `${base}/:name/databases/:db/tables`, access: 'viewer', tag: plural, summary: `Tables of a database with row counts`,
      handler: async ({ params }): Promise<Api.TablesResponse> => {
        const tables = await listTables(endpointUrl(await get(params['name']!)), params['db']!).catch(fromSluiceError);
        if (tables === null) throw notFound(`no database named '${params['db']}'`, `list them with GET ${base}/${params['name']}/databases`);
        return { tables };
      } },
  ];
}

/** The kinds of target Sluice can write to, with their endpoint form (the UI builds its form from this). */
export function targetKindsRoute(): RouteDef {
  return {
    method: 'GET', path: '/api/target-kinds', access: 'viewer', tag: 'targets', summary: 'Target kinds: types, endpoint fields and defaults (from the targets registry)',
    handler: (): Api.TargetKindsResponse => ({
      kinds: TARGET_KINDS.map((k) => ({
        types: [...k.types], title: k.title, description: k.description, schemes: [...k.endpoint.schemes], defaultPort: k.endpoint.defaultPort,
        checkpointPlace: k.checkpointPlace, fields: k.endpoint.fields.map((f) => ({ ...f })),
      })),
    }),
  };
}

/** JSON schema of a source's or target's request body (the target `type`s from the targets registry). */
export function endpointBodySchema(kind: EndpointKind, create: boolean): Record<string, unknown> {
  // A target's type: one choice per kind (its title), listing the aliases it also accepts (`mariadb` for `mysql`).
  const type = kind === 'target'
    ? { type: 'string', default: 'mysql', oneOf: TARGET_KINDS.map((k) => ({ title: k.title, enum: [...k.types], description: kindTypeText(k) })) }
    : { type: 'string', enum: ['mysql', 'mariadb'], default: 'mysql' };
  const ports = kind === 'target' ? TARGET_KINDS.map((k) => `${k.types[0]}: ${k.endpoint.defaultPort}`).join(', ') : '3306';
  return {
    type: 'object',
    ...(create ? { required: ['name'] } : {}),
    properties: {
      ...(create ? { name: { type: 'string', pattern: NAME_PATTERN.source } } : {}),
      type,
      url: { type: 'string', description: `instead of host, port, user, password, database, options: ${kind === 'target' ? TARGET_KINDS.map((k) => `${k.endpoint.schemes[0]}://user:pass@host:${k.endpoint.defaultPort}/`).join(' or ') : 'mysql://user:pass@host:3306/'}` },
      host: { type: 'string' },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: `default by type (${ports})` },
      user: { type: 'string' },
      password: { type: 'string', description: 'empty or *** keeps the stored password' },
      clearPassword: { type: 'boolean' },
      database: { type: 'string' },
      options: { type: 'object', additionalProperties: { type: 'string' } },
      tlsFiles: { type: 'object', properties: { 'ssl-ca': { type: 'string' }, 'ssl-cert': { type: 'string' }, 'ssl-key': { type: 'string' } } },
      ...(kind === 'source' ? { serverId: { type: 'integer', minimum: 1 } } : { checkpointDatabase: { type: 'string', default: '_sluice' } }),
    },
  };
}

/** endpointInput plus the checks of API input: uploaded PEM files stored, ssl-* paths inside the TLS directory. */
function checkedInput(deps: ServerDeps, kind: EndpointKind, name: string, body: Record<string, unknown>, existing: EndpointRecord | null): EndpointInput {
  const input = endpointInput(kind, name, body, existing);
  const uploaded = new Set(storeTlsUploads(body, deps.tlsDir, `${kind}-${name}`, input.options));
  checkTlsPaths(Object.fromEntries(Object.entries(input.options).filter(([k, v]) => !(TLS_FILES as readonly string[]).includes(k) || !uploaded.has(v))), deps.tlsDir);
  return input;
}

/**
 * Test an unsaved source or target: admin only (the same people who can save one), since it connects to any
 * address given; ssl-* files as for saved endpoints (TLS directory or uploaded, uploads removed afterwards).
 */
export function connectionTestRoute(deps: ServerDeps): RouteDef {
  return {
    method: 'POST', path: '/api/connections/test', access: 'admin', tag: 'sources', summary: 'Test an unsaved source or target (admin)',
    handler: async ({ body, audit }): Promise<Api.TestResult> => {
      const kind = body['kind'] === 'target' ? 'target' : body['kind'] === 'source' ? 'source' : null;
      if (!kind) throw badRequest("'kind' must be source or target");
      const name = optStr(body, 'name') || 'unsaved';
      const input = endpointInput(kind, name, body, null);
      const stem = `test-${randomBytes(6).toString('hex')}`;
      const uploaded = storeTlsUploads(body, deps.tlsDir, stem, input.options);
      try {
        checkTlsPaths(Object.fromEntries(Object.entries(input.options).filter(([, v]) => !uploaded.includes(v))), deps.tlsDir);
        const result = await testEndpoint(input);
        audit(`${kind}.test`, null, { host: input.host, port: input.port, ok: result.ok });
        return result;
      } finally {
        for (const f of uploaded) rmSync(f, { force: true });
      }
    },
  };
}
