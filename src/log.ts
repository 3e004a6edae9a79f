import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr (stdout is reserved for data, e.g. `sluice tail`).
 * Level from SLUICE_LOG_LEVEL (default info). Secrets are redacted by key.
 */
export function createLogger(name = 'sluice', level = process.env.SLUICE_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      name,
      level,
      redact: { paths: ['password', '*.password', 'url', '*.url'], censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ fd: 2, sync: true }),
  );
}

/** A mysql URL with its password replaced, safe for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
