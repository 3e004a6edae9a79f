/**
 * The alerts' admin API (`GET/PUT /api/alerts`, `POST /api/alerts/test`, `GET /api/alerts/incidents`) over the
 * AlertService (src/alerts). Fields set by the config file or the command line are read-only here.
 */
import type { AlertService } from '../../alerts/service.js';
import {
  ALERT_THRESHOLDS, checkWebhookUrl, fieldsOf, isEmailAddress, splitList, type AlertSettingsInput, type SmtpSettings,
} from '../../config/alert-settings.js';
import { HttpError, badRequest, managedByConfig } from '../http-error.js';
import type { RouteDef } from '../route-table.js';

export function alertRoutes(alerts: AlertService): RouteDef[] {
  return [
    { method: 'GET', path: '/api/alerts', access: 'admin', tag: 'alerts', summary: 'Alert settings (secrets redacted) and the channels in use',
      handler: () => alerts.view() },
    { method: 'PUT', path: '/api/alerts', access: 'admin', tag: 'alerts', summary: 'Change the alert settings (null clears a field; *** keeps a secret)',
      handler: async ({ body, audit }) => {
        const stored = await alerts.storedSettings();
        applyChange(stored, body); // 400 for a malformed body before any 409
        const locked = alerts.lockedLayers();
        const change = withoutLocked(body, locked.config, locked.env);
        await alerts.saveSettings(applyChange(stored, change));
        audit('alerts.update', null, { fields: fieldsOf(change as AlertSettingsInput).filter((f) => f !== 'smtp.password') });
        return alerts.view();
      } },
    { method: 'POST', path: '/api/alerts/test', access: 'admin', tag: 'alerts', summary: 'Send a test message to every alert channel',
      handler: async ({ principal, audit }) => {
        const deliveries = await alerts.engine.test(principal!.username);
        audit('alerts.test', null, { channels: deliveries.map((d) => d.channel) });
        return { ok: deliveries.length > 0 && deliveries.every((d) => d.ok), deliveries };
      } },
    { method: 'GET', path: '/api/alerts/incidents', access: 'viewer', tag: 'alerts', summary: 'Open alert incidents and the latest notifications',
      handler: () => ({ incidents: alerts.engine.incidents(), notifications: alerts.engine.history() }) },
  ];
}

const KEYS = new Set(['webhookUrl', 'smtp', ...ALERT_THRESHOLDS]);
const SMTP_KEYS = new Set(['host', 'port', 'secure', 'user', 'password', 'from', 'to']);

function nonNegative(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw badRequest(`'${key}' must be a number ≥ 0`);
  return v;
}

/** A PUT body applied to the stored settings: given fields replace, null clears, '***' keeps a secret. */
export function applyChange(stored: AlertSettingsInput, body: Record<string, unknown>): AlertSettingsInput {
  for (const k of Object.keys(body)) if (!KEYS.has(k)) throw badRequest(`unknown alert setting '${k}'`, `use ${[...KEYS].join(', ')}`);
  const next: AlertSettingsInput = { ...stored, ...(stored.smtp ? { smtp: { ...stored.smtp } } : {}) };
  const w = body['webhookUrl'];
  if (w === null || w === '') delete next.webhookUrl;
  else if (typeof w === 'string') {
    if (!w.includes('…')) {
      try { next.webhookUrl = checkWebhookUrl(w); } catch (err) { throw badRequest((err as Error).message, 'use the https:// URL of a Slack-compatible incoming webhook'); }
    }
  } else if (w !== undefined) throw badRequest("'webhookUrl' must be a string or null");
  for (const k of ALERT_THRESHOLDS) {
    const n = nonNegative(body, k);
    if (n !== undefined) next[k] = k === 'purgeWarnFiles' ? Math.floor(n) : n;
  }
  const sm = body['smtp'];
  if (sm === null) delete next.smtp;
  else if (sm !== undefined) {
    if (typeof sm !== 'object' || Array.isArray(sm)) throw badRequest("'smtp' must be an object or null");
    const s = sm as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!SMTP_KEYS.has(k)) throw badRequest(`unknown smtp setting '${k}'`, `use ${[...SMTP_KEYS].join(', ')}`);
    const out: Partial<SmtpSettings> = { ...(next.smtp ?? {}) };
    for (const k of ['host', 'user', 'from'] as const) {
      const v = s[k];
      if (v === null) delete out[k];
      else if (typeof v === 'string') out[k] = v;
      else if (v !== undefined) throw badRequest(`'smtp.${k}' must be a string`);
    }
    if (s['password'] === null || s['password'] === '') delete out.password;
    else if (typeof s['password'] === 'string') { if (s['password'] !== '***') out.password = s['password']; }
    else if (s['password'] !== undefined) throw badRequest("'smtp.password' must be a string");
    if (s['port'] !== undefined) {
      const p = s['port'];
      if (typeof p !== 'number' || !Number.isInteger(p) || p < 1 || p > 65535) throw badRequest("'smtp.port' must be an integer from 1 to 65535");
      out.port = p;
    }
    if (s['secure'] !== undefined) {
      if (typeof s['secure'] !== 'boolean') throw badRequest("'smtp.secure' must be true or false");
      out.secure = s['secure'];
    }
    const to = s['to'];
    if (typeof to === 'string') out.to = splitList(to);
    else if (Array.isArray(to) && to.every((x) => typeof x === 'string')) out.to = to.flatMap((x) => splitList(x as string));
    else if (to !== undefined) throw badRequest("'smtp.to' must be a list of e-mail addresses");
    for (const a of out.to ?? []) if (!isEmailAddress(a)) throw badRequest(`'${a}' is not an e-mail address`);
    next.smtp = out;
  }
  return next;
}

/** The value a settings layer gives a field (`webhookUrl`, `smtp.host`, …), or undefined. */
function layerValue(layer: AlertSettingsInput, field: string): unknown {
  if (field.startsWith('smtp.')) return (layer.smtp as Record<string, unknown> | null | undefined)?.[field.slice(5)];
  return (layer as Record<string, unknown>)[field];
}

const sameList = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Whether a PUT value leaves a field as it is (the value in force, or the redacted form the GET shows). */
function unchanged(field: string, value: unknown, inForce: unknown): boolean {
  if (field === 'webhookUrl' && typeof value === 'string' && value.includes('…')) return true;
  if (field === 'smtp.password' && value === '***') return true;
  if (field === 'smtp.to') {
    const list = typeof value === 'string' ? splitList(value) : Array.isArray(value) ? value.flatMap((x) => (typeof x === 'string' ? splitList(x) : [x])) : value;
    return sameList(list, inForce);
  }
  if (field === 'purgeWarnFiles' && typeof value === 'number') return Math.floor(value) === inForce;
  return value === inForce;
}

/**
 * A PUT body without the fields that the config file or the command line set and that the body leaves as
 * they are (so a client may send back what GET showed); a change to such a field is refused with 409
 * MANAGED_BY_CONFIG, like a change to a source or pipeline declared in the config file.
 */
export function withoutLocked(body: Record<string, unknown>, config: AlertSettingsInput, env: AlertSettingsInput): Record<string, unknown> {
  const byConfig = new Set(fieldsOf(config));
  const byEnv = new Set(fieldsOf(env));
  const inForce = (f: string): unknown => (byEnv.has(f) ? layerValue(env, f) : layerValue(config, f));
  const locked = (f: string): boolean => byConfig.has(f) || byEnv.has(f);
  const refused: string[] = [];
  const out: Record<string, unknown> = { ...body };
  for (const k of ['webhookUrl', ...ALERT_THRESHOLDS]) {
    if (body[k] === undefined || !locked(k)) continue;
    if (unchanged(k, body[k], inForce(k))) delete out[k];
    else refused.push(k);
  }
  const sm = body['smtp'];
  if (sm === null) {
    refused.push(...[...byConfig, ...byEnv].filter((f) => f.startsWith('smtp.')));
  } else if (sm !== undefined && typeof sm === 'object' && !Array.isArray(sm)) {
    const copy: Record<string, unknown> = { ...(sm as Record<string, unknown>) };
    for (const [k, v] of Object.entries(sm as Record<string, unknown>)) {
      const f = `smtp.${k}`;
      if (v === undefined || !locked(f)) continue;
      if (unchanged(f, v, inForce(f))) delete copy[k];
      else refused.push(f);
    }
    if (Object.keys(copy).length === 0) delete out['smtp'];
    else out['smtp'] = copy;
  }
  const fields = [...new Set(refused)];
  if (fields.length === 0) return out;
  const fromEnv = fields.filter((f) => byEnv.has(f));
  if (fromEnv.length === 0) throw managedByConfig(`alert setting${fields.length > 1 ? 's' : ''} ${fields.join(', ')} (alerts: section)`);
  const fromFile = fields.filter((f) => !byEnv.has(f));
  throw new HttpError(409, 'MANAGED_BY_CONFIG',
    `alert setting${fields.length > 1 ? 's' : ''} ${fromEnv.join(', ')}${fromFile.length ? ` (and ${fromFile.join(', ')} from the --config file)` : ''} `
    + 'set by sluice serve flags or environment variables, read-only here',
    'change the flag or environment variable (or the config file) and restart sluice serve, or leave these fields out of the request (GET /api/alerts lists them in setByEnvironment and setByConfig)');
}
