/**
 * Where alert messages go: a Slack-compatible webhook (`POST {"text": "…"}`) and e-mail over SMTP
 * (nodemailer). Both retry with exponential backoff; failures are returned, never thrown, and never carry
 * the webhook URL or the SMTP password.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpSettings } from '../config/alert-settings.js';

export interface AlertMessage {
  /** One line: the e-mail subject and the first line of the chat message. */
  title: string;
  /** More lines (details, the fix). */
  body: string;
}

export interface DeliveryResult { channel: string; ok: boolean; attempts: number; error?: string }

export interface AlertChannel {
  readonly name: string;
  send(msg: AlertMessage): Promise<DeliveryResult>;
}

export interface RetryOptions {
  /** Attempts in all (default 6). */
  attempts?: number;
  /** First delay (default 1000 ms), doubled each time up to maxDelayMs (default 30000 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Per-attempt timeout (default 10000 ms). */
  timeoutMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

class Permanent extends Error {}

async function withRetry(channel: string, o: RetryOptions, attempt: (timeoutMs: number) => Promise<void>): Promise<DeliveryResult> {
  const max = Math.max(1, o.attempts ?? 6);
  const base = o.baseDelayMs ?? 1000;
  let lastErr = '';
  for (let i = 1; i <= max; i++) {
    try {
      await attempt(o.timeoutMs ?? 10_000);
      return { channel, ok: true, attempts: i };
    } catch (err) {
      lastErr = err instanceof Error ? err.message : String(err);
      if (err instanceof Permanent || i === max) return { channel, ok: false, attempts: i, error: lastErr };
      const retryAfter = (err as { retryAfterMs?: number }).retryAfterMs;
      await sleep(Math.min(o.maxDelayMs ?? 30_000, retryAfter ?? base * 2 ** (i - 1)));
    }
  }
  return { channel, ok: false, attempts: max, error: lastErr };
}

/** Slack-compatible incoming webhook. */
export class WebhookChannel implements AlertChannel {
  readonly name = 'webhook';
  constructor(private readonly url: string, private readonly retry: RetryOptions = {}) {}

  send(msg: AlertMessage): Promise<DeliveryResult> {
    const text = `${msg.title}\n${msg.body}`.trim();
    return withRetry(this.name, this.retry, async (timeoutMs) => {
      let res: Response;
      try {
        res = await fetch(this.url, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        // fetch errors name the cause, not the URL; keep only the cause.
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        throw new Error(`webhook request failed: ${cause?.code ?? cause?.message ?? (err instanceof Error ? err.name : 'error')}`);
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return;
      const e = new (res.status === 429 || res.status >= 500 || res.status === 408 ? Error : Permanent)(`webhook answered HTTP ${res.status}`);
      const ra = Number(res.headers.get('retry-after'));
      if (Number.isFinite(ra) && ra > 0) (e as Error & { retryAfterMs?: number }).retryAfterMs = ra * 1000;
      throw e;
    });
  }
}

/** E-mail over SMTP. */
export class EmailChannel implements AlertChannel {
  readonly name = 'email';
  private readonly transport: Transporter;

  constructor(private readonly smtp: SmtpSettings, private readonly retry: RetryOptions = {}) {
    this.transport = nodemailer.createTransport({
      host: smtp.host, port: smtp.port, secure: smtp.secure,
      ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      connectionTimeout: retry.timeoutMs ?? 10_000, greetingTimeout: retry.timeoutMs ?? 10_000, socketTimeout: retry.timeoutMs ?? 10_000,
    });
  }

  send(msg: AlertMessage): Promise<DeliveryResult> {
    return withRetry(this.name, { attempts: 4, ...this.retry }, async () => {
      try {
        await this.transport.sendMail({ from: this.smtp.from, to: this.smtp.to, subject: msg.title, text: `${msg.body}\n` });
      } catch (err) {
        const e = err as { responseCode?: number; code?: string; message?: string };
        const text = `SMTP ${e.code ?? 'error'}${e.responseCode ? ` ${e.responseCode}` : ''}`;
        // 5xx answers (bad recipient, auth refused) will not get better by retrying.
        if (e.responseCode !== undefined && e.responseCode >= 500) throw new Permanent(text);
        throw new Error(text);
      }
    });
  }

  close(): void {
    this.transport.close();
  }
}
