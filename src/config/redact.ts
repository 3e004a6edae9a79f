/**
 * Secrets out of logs: `redactConfig` returns a copy with passwords and URL passwords masked, and
 * `attachRedaction` makes an object print redacted through JSON.stringify (pino), String() and
 * util.inspect (console.log), so a config logged by mistake still shows no password.
 */
import { redactUrl } from '../log.js';
import { redactWebhookUrl, type AlertSettingsInput } from './alert-settings.js';
import type { SluiceConfig, SourceConfig, TargetConfig } from './types.js';

export const REDACTED = '***';

type Endpoint = SourceConfig | TargetConfig;

function redactEndpoint<T extends Endpoint>(e: T): T {
  return {
    ...e,
    url: redactUrl(e.url),
    connection: { ...e.connection, options: { ...e.connection.options }, password: e.connection.password ? REDACTED : '' },
  };
}

function redactAlerts(a: AlertSettingsInput): AlertSettingsInput {
  return {
    ...a,
    ...(a.webhookUrl ? { webhookUrl: redactWebhookUrl(a.webhookUrl) } : {}),
    ...(a.smtp ? { smtp: { ...a.smtp, ...(a.smtp.to ? { to: [...a.smtp.to] } : {}), ...(a.smtp.password ? { password: REDACTED } : {}) } } : {}),
  };
}

/** A plain deep copy of the config with every secret masked. */
export function redactConfig(cfg: SluiceConfig): SluiceConfig {
  const sources: Record<string, SourceConfig> = {};
  for (const [k, v] of Object.entries(cfg.sources)) sources[k] = redactEndpoint(v);
  const targets: Record<string, TargetConfig> = {};
  for (const [k, v] of Object.entries(cfg.targets)) targets[k] = redactEndpoint(v);
  return {
    sources,
    targets,
    pipelines: cfg.pipelines.map((p) => ({ ...p, tables: [...p.tables], exclude: [...p.exclude], tuning: { ...p.tuning } })),
    ...(cfg.alerts ? { alerts: redactAlerts(cfg.alerts) } : {}),
  };
}

function isConfig(o: SluiceConfig | Endpoint): o is SluiceConfig {
  return 'pipelines' in o;
}

/** Define non-enumerable toJSON / toString / inspect hooks that print the redacted form. */
export function attachRedaction<T extends SluiceConfig | Endpoint>(obj: T): T {
  const redacted = (): unknown => (isConfig(obj) ? redactConfig(obj) : redactEndpoint(obj));
  Object.defineProperties(obj, {
    toJSON: { value: redacted, enumerable: false },
    toString: { value: () => JSON.stringify(redacted()), enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: { value: redacted, enumerable: false },
  });
  return obj;
}
