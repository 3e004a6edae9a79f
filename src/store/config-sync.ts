/**
 * The `--config` file and the store: the file's sources, targets and pipelines are imported as
 * `managed` rows (read-only in the API) at every start, and rows the file no longer declares lose that
 * mark (pipelines the file dropped are removed); `exportConfig` writes everything back as a config file
 * with passwords replaced by `${ENV}` references. (The file's `alerts:` is not imported: it is a settings
 * layer of the AlertService, read-only in the API; the export writes the alert settings in force.)
 */
import { stringify } from 'yaml';
import type { SluiceConfig } from '../config/index.js';
import type { AlertSettings } from '../config/alert-settings.js';
import { endpointUrl, type EndpointKind, type EndpointRecord, type Store } from './store.js';

export async function importConfig(store: Store, cfg: SluiceConfig): Promise<void> {
  await store.transaction(async (tx) => {
    const sync = async (kind: EndpointKind, entries: Array<SluiceConfig['sources'][string] | SluiceConfig['targets'][string]>): Promise<void> => {
      for (const e of entries) {
        const c = e.connection;
        await tx.putEndpoint({
          kind, name: e.name, type: e.type, host: c.host, port: c.port, user: c.user, password: c.password,
          ...(c.database ? { database: c.database } : {}), options: { ...c.options },
          ...('serverId' in e && e.serverId !== undefined ? { serverId: e.serverId } : {}),
          ...('checkpointDatabase' in e ? { checkpointDatabase: e.checkpointDatabase } : {}),
        }, true);
      }
      const declared = new Set(entries.map((e) => e.name));
      for (const r of await tx.listEndpoints(kind)) {
        if (r.managed && !declared.has(r.name)) await tx.putEndpoint({ ...r }, false);
      }
    };
    await sync('source', Object.values(cfg.sources));
    await sync('target', Object.values(cfg.targets));
    const declared = new Set(cfg.pipelines.map((p) => p.name));
    for (const p of cfg.pipelines) {
      const existing = await tx.getPipeline(p.name);
      await tx.putPipeline(p, existing?.managed ? existing.desiredState : 'running', true);
    }
    for (const r of await tx.listPipelines()) if (r.managed && !declared.has(r.config.name)) await tx.deletePipeline(r.config.name);
  });
}

/** The environment variable an exported config reads a password from. */
export function passwordEnvName(kind: EndpointKind, name: string): string {
  return `SLUICE_${kind.toUpperCase()}_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

/** The environment variables an exported config reads the alert secrets from. */
export const ALERT_WEBHOOK_ENV = 'SLUICE_ALERT_WEBHOOK';
export const SMTP_PASSWORD_ENV = 'SLUICE_SMTP_PASSWORD';

/** `alerts:` of a config file (see the config schema). */
export interface ExportedAlerts {
  webhook?: string;
  email?: { smtp: string; to: string[]; from?: string };
  lagSeconds?: number;
  lagForSeconds?: number;
  purgeWarnFiles?: number;
  nodeLostSeconds?: number;
  ownerlessSeconds?: number;
}

/**
 * The alert settings in force as an `alerts:` section, for the fields that some layer sets (`fields`, as
 * fieldsOf gives them; defaults are left out). Secrets are never written: the webhook URL (a bearer
 * secret) becomes `${SLUICE_ALERT_WEBHOOK}` and the SMTP password `${SLUICE_SMTP_PASSWORD}` inside the SMTP
 * URL, so the file loads only where those variables are set (a silently dropped channel would be worse).
 */
export function alertsSection(s: AlertSettings, fields: readonly string[]): ExportedAlerts | undefined {
  const set = new Set(fields);
  const out: ExportedAlerts = {};
  if (s.webhookUrl) out.webhook = `\${${ALERT_WEBHOOK_ENV}}`;
  if (s.smtp) {
    const m = s.smtp;
    const host = m.host.includes(':') ? `[${m.host}]` : m.host;
    const auth = m.user ? `${encodeURIComponent(m.user)}${m.password ? `:\${${SMTP_PASSWORD_ENV}}` : ''}@` : '';
    out.email = { smtp: `${m.secure ? 'smtps' : 'smtp'}://${auth}${host}:${m.port}`, to: [...m.to], ...(set.has('smtp.from') ? { from: m.from } : {}) };
  }
  for (const k of ['lagSeconds', 'lagForSeconds', 'purgeWarnFiles', 'nodeLostSeconds', 'ownerlessSeconds'] as const) if (set.has(k)) out[k] = s[k];
  return Object.keys(out).length > 0 ? out : undefined;
}

export interface ExportedConfig {
  sources: Record<string, { type: string; url: string; serverId?: number }>;
  targets: Record<string, { type: string; url: string; checkpointDatabase?: string }>;
  pipelines: Array<Record<string, unknown>>;
  alerts?: ExportedAlerts;
}

export interface ExportOptions {
  /** The `alerts:` section (AlertService.exportSection()); none when undefined. */
  alerts?: ExportedAlerts | undefined;
}

export async function exportConfig(store: Store, opts: ExportOptions = {}): Promise<ExportedConfig> {
  const url = (kind: EndpointKind, e: EndpointRecord): string =>
    endpointUrl(e, e.password ? `\${${passwordEnvName(kind, e.name)}}` : undefined);
  const sources: ExportedConfig['sources'] = {};
  for (const s of await store.listEndpoints('source')) {
    sources[s.name] = { type: s.type, url: url('source', s), ...(s.serverId !== undefined ? { serverId: s.serverId } : {}) };
  }
  const targets: ExportedConfig['targets'] = {};
  for (const t of await store.listEndpoints('target')) {
    targets[t.name] = { type: t.type, url: url('target', t), ...(t.checkpointDatabase ? { checkpointDatabase: t.checkpointDatabase } : {}) };
  }
  const pipelines = (await store.listPipelines()).map((r) => {
    const p = r.config;
    return {
      name: p.name, source: p.source, target: p.target, tables: p.tables, ...(p.exclude.length ? { exclude: p.exclude } : {}),
      ...(p.targetDatabase ? { targetDatabase: p.targetDatabase } : {}), snapshot: p.snapshot, ddl: p.ddl, tuning: p.tuning,
    };
  });
  return { sources, targets, pipelines, ...(opts.alerts ? { alerts: opts.alerts } : {}) };
}

export async function exportConfigText(store: Store, format: 'yaml' | 'json', opts: ExportOptions = {}): Promise<string> {
  const doc = await exportConfig(store, opts);
  const alertNote = doc.alerts?.webhook || doc.alerts?.email?.smtp.includes(SMTP_PASSWORD_ENV)
    ? `\n# The alert webhook URL and SMTP password are read from ${ALERT_WEBHOOK_ENV} and ${SMTP_PASSWORD_ENV}.` : '';
  return format === 'json' ? JSON.stringify(doc, null, 2) + '\n'
    : `# Exported by sluice serve. Passwords are read from the environment variables named in the URLs.${alertNote}\n${stringify(doc)}`;
}
