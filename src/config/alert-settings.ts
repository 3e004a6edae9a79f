/**
 * Alert settings: where alerts go (a Slack-compatible webhook, e-mail over SMTP) and the thresholds of the
 * rules. They come from four layers, later ones winning field by field: defaults, the store (`PUT
 * /api/alerts`), the `alerts:` section of the --config file, and the environment / `sluice serve` flags.
 * What the config file or the command line sets stays the source of truth: PUT /api/alerts refuses to
 * change those fields (409 MANAGED_BY_CONFIG).
 *
 * Secrets (the SMTP password; webhook URLs, which are bearer secrets for Slack and most chat tools) are never
 * returned by the API or written to logs: `publicAlertSettings` redacts them.
 */
import { SluiceError } from '../errors.js';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string | null;
  password: string | null;
  from: string;
  to: string[];
}

export interface AlertSettings {
  /** Slack-compatible incoming webhook: POST `{"text": "…"}`. */
  webhookUrl: string | null;
  smtp: SmtpSettings | null;
  /** Lag alert: lag above this many seconds … */
  lagSeconds: number;
  /** … for at least this long. */
  lagForSeconds: number;
  /** Purge alert: the pipeline's binlog file is the oldest on the source or within this many files of it. */
  purgeWarnFiles: number;
  /** Cluster: a node whose heartbeat is older than the lease for this many seconds more is lost. */
  nodeLostSeconds: number;
  /** Cluster: a running pipeline that no node holds for this many seconds has no owner. */
  ownerlessSeconds: number;
}

/** Fields that may be set by one layer (smtp may be given partly, e.g. only `to` by a flag). */
export interface AlertSettingsInput {
  webhookUrl?: string | null;
  smtp?: Partial<SmtpSettings> | null;
  lagSeconds?: number;
  lagForSeconds?: number;
  purgeWarnFiles?: number;
  nodeLostSeconds?: number;
  ownerlessSeconds?: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  webhookUrl: null, smtp: null, lagSeconds: 60, lagForSeconds: 120, purgeWarnFiles: 1, nodeLostSeconds: 30, ownerlessSeconds: 30,
};

/** The numeric thresholds of the settings (every layer may set them). */
export const ALERT_THRESHOLDS = ['lagSeconds', 'lagForSeconds', 'purgeWarnFiles', 'nodeLostSeconds', 'ownerlessSeconds'] as const;

/** The field names (dotted for smtp) that an input sets. */
export function fieldsOf(input: AlertSettingsInput): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    if (k === 'smtp' && v !== null && typeof v === 'object') {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) if (sv !== undefined) out.push(`smtp.${sk}`);
    } else out.push(k);
  }
  return out;
}

/** Layers merged in order; an SMTP section needs at least a host and one recipient to be used. */
export function mergeAlertSettings(...layers: AlertSettingsInput[]): AlertSettings {
  const out: AlertSettings = { ...DEFAULT_ALERT_SETTINGS };
  let smtp: Partial<SmtpSettings> | null = null;
  for (const l of layers) {
    if (l.webhookUrl !== undefined) out.webhookUrl = l.webhookUrl || null;
    for (const k of ALERT_THRESHOLDS) {
      const v = l[k];
      if (v !== undefined) out[k] = v;
    }
    if (l.smtp === null) smtp = null;
    else if (l.smtp !== undefined) {
      smtp = { ...(smtp ?? {}) };
      for (const [k, v] of Object.entries(l.smtp)) if (v !== undefined) (smtp as Record<string, unknown>)[k] = v;
    }
  }
  if (smtp?.host && smtp.to && smtp.to.length > 0) {
    const secure = smtp.secure ?? smtp.port === 465;
    out.smtp = {
      host: smtp.host, port: smtp.port ?? (secure ? 465 : 587), secure, user: smtp.user || null, password: smtp.password || null,
      from: smtp.from || `sluice@${hostnameOf(smtp.host)}`, to: [...smtp.to],
    };
  }
  return out;
}

function hostnameOf(host: string): string {
  return /^[0-9.:]+$/.test(host) || host === 'localhost' ? 'localhost.localdomain' : host;
}

/** `smtp://user:pass@host:port` or `smtps://…` (TLS from the start) → SMTP fields. */
export function parseSmtpUrl(text: string): Partial<SmtpSettings> {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new SluiceError('BAD_ARGUMENT', 'the SMTP URL is not a valid URL', 'use smtp://user:password@host:587 or smtps://user:password@host:465');
  }
  if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') {
    throw new SluiceError('BAD_ARGUMENT', `the SMTP URL must start with smtp:// or smtps:// (got ${u.protocol}//)`, 'use smtp://user:password@host:587 or smtps://user:password@host:465');
  }
  const secure = u.protocol === 'smtps:';
  const out: Partial<SmtpSettings> = { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : secure ? 465 : 587, secure };
  if (u.username) out.user = decodeURIComponent(u.username);
  if (u.password) out.password = decodeURIComponent(u.password);
  const from = u.searchParams.get('from');
  if (from) out.from = from;
  const to = u.searchParams.get('to');
  if (to) out.to = splitList(to);
  return out;
}

/** `a@b` without spaces (what the API and the config file accept as a recipient). */
export function isEmailAddress(text: string): boolean {
  return /^[^@\s]+@[^@\s]+$/.test(text);
}

export function splitList(text: string): string[] {
  return text.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean);
}

function num(text: string | undefined, what: string, min: number): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new SluiceError('BAD_ARGUMENT', `invalid ${what} '${text}'`, `use a number ≥ ${min}`);
  return n;
}

/** What the command line and environment of `sluice serve` say (flags win over environment variables). */
export interface AlertFlags {
  webhook?: string;
  smtpUrl?: string;
  emailTo?: string[];
  emailFrom?: string;
  lagSeconds?: string;
  lagForSeconds?: string;
  purgeWarnFiles?: string;
}

/**
 * Environment: SLUICE_ALERT_WEBHOOK, SLUICE_SMTP_URL, SLUICE_ALERT_EMAIL_TO (comma-separated),
 * SLUICE_ALERT_EMAIL_FROM, SLUICE_ALERT_LAG_SECONDS, SLUICE_ALERT_LAG_FOR_SECONDS, SLUICE_ALERT_PURGE_WARN_FILES,
 * SLUICE_ALERT_NODE_LOST_SECONDS, SLUICE_ALERT_OWNERLESS_SECONDS.
 */
export function alertSettingsFromEnv(env: NodeJS.ProcessEnv, flags: AlertFlags = {}): AlertSettingsInput {
  const out: AlertSettingsInput = {};
  const webhook = flags.webhook ?? env['SLUICE_ALERT_WEBHOOK'];
  if (webhook) out.webhookUrl = checkWebhookUrl(webhook);
  const smtp: Partial<SmtpSettings> = {};
  const smtpUrl = flags.smtpUrl ?? env['SLUICE_SMTP_URL'];
  if (smtpUrl) Object.assign(smtp, parseSmtpUrl(smtpUrl));
  const to = flags.emailTo?.length ? flags.emailTo.flatMap(splitList) : env['SLUICE_ALERT_EMAIL_TO'] ? splitList(env['SLUICE_ALERT_EMAIL_TO']) : undefined;
  if (to) smtp.to = to;
  const from = flags.emailFrom ?? env['SLUICE_ALERT_EMAIL_FROM'];
  if (from) smtp.from = from;
  if (Object.keys(smtp).length > 0) out.smtp = smtp;
  const lag = num(flags.lagSeconds ?? env['SLUICE_ALERT_LAG_SECONDS'], 'alert lag threshold (seconds)', 0);
  if (lag !== undefined) out.lagSeconds = lag;
  const lagFor = num(flags.lagForSeconds ?? env['SLUICE_ALERT_LAG_FOR_SECONDS'], 'alert lag duration (seconds)', 0);
  if (lagFor !== undefined) out.lagForSeconds = lagFor;
  const files = num(flags.purgeWarnFiles ?? env['SLUICE_ALERT_PURGE_WARN_FILES'], 'purge warning distance (files)', 0);
  if (files !== undefined) out.purgeWarnFiles = Math.floor(files);
  const lost = num(env['SLUICE_ALERT_NODE_LOST_SECONDS'], 'node-lost alert delay (seconds)', 0);
  if (lost !== undefined) out.nodeLostSeconds = lost;
  const ownerless = num(env['SLUICE_ALERT_OWNERLESS_SECONDS'], 'pipeline-without-owner alert delay (seconds)', 0);
  if (ownerless !== undefined) out.ownerlessSeconds = ownerless;
  return out;
}

export function checkWebhookUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new SluiceError('BAD_ARGUMENT', 'the alert webhook is not a valid URL', 'use the https:// URL of a Slack-compatible incoming webhook');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new SluiceError('BAD_ARGUMENT', `the alert webhook must be http(s) (got ${u.protocol}//)`, 'use the https:// URL of a Slack-compatible incoming webhook');
  }
  return text;
}

/** A webhook URL safe to show: scheme, host and a hint of the path, no credentials, no query. */
export function redactWebhookUrl(url: string): string {
  try {
    const u = new URL(url);
    const path = u.pathname.length > 1 ? '/…' : '/';
    return `${u.protocol}//${u.host}${path}`;
  } catch {
    return '<invalid url>';
  }
}

/** The settings as the API shows them: secrets replaced, flags for what is set. */
export interface PublicAlertSettings {
  webhookUrl: string | null;
  smtp: (Omit<SmtpSettings, 'password'> & { password: '***' | null }) | null;
  lagSeconds: number;
  lagForSeconds: number;
  purgeWarnFiles: number;
  nodeLostSeconds: number;
  ownerlessSeconds: number;
}

export function publicAlertSettings(s: AlertSettings): PublicAlertSettings {
  return {
    webhookUrl: s.webhookUrl ? redactWebhookUrl(s.webhookUrl) : null,
    smtp: s.smtp ? { ...s.smtp, password: s.smtp.password ? '***' : null } : null,
    lagSeconds: s.lagSeconds, lagForSeconds: s.lagForSeconds, purgeWarnFiles: s.purgeWarnFiles,
    nodeLostSeconds: s.nodeLostSeconds, ownerlessSeconds: s.ownerlessSeconds,
  };
}

/** The secrets of the settings (to scrub from any text that leaves the process). */
export function secretsOf(s: AlertSettings): string[] {
  const out: string[] = [];
  if (s.smtp?.password) out.push(s.smtp.password);
  if (s.webhookUrl) out.push(s.webhookUrl);
  return out;
}
