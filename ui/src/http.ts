// Fetch wrapper for the Sluice REST API: JSON in and out, the session cookie, and the CSRF header on
// state-changing calls.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fix?: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

function cookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return null;
}

export interface RequestOptions {
  /** Do not call the unauthorized handler on 401 (login / session probes). */
  quiet401?: boolean;
  signal?: AbortSignal;
}

export async function request<T>(method: string, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrfToken ?? cookie('sluice_csrf');
    if (token) headers['x-csrf-token'] = token;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: opts.signal,
  });
  const text = await res.text();
  let data: unknown = null;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401 && onUnauthorized) onUnauthorized();
    throw toApiError(res.status, data);
  }
  return data as T;
}

function toApiError(status: number, data: unknown): ApiError {
  if (data && typeof data === 'object') {
    const rec = data as Record<string, unknown>;
    const e = (rec['error'] && typeof rec['error'] === 'object' ? rec['error'] : rec) as Record<string, unknown>;
    const message = typeof e['message'] === 'string' ? e['message'] : typeof rec['error'] === 'string' ? rec['error'] : `HTTP ${status}`;
    const code = typeof e['code'] === 'string' ? e['code'] : String(status);
    const fix = typeof e['fix'] === 'string' ? e['fix'] : undefined;
    return new ApiError(status, code, message, fix, e['details']);
  }
  return new ApiError(status, String(status), typeof data === 'string' && data ? data.slice(0, 300) : `HTTP ${status}`);
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.fix ? `${e.message} — ${e.fix}` : e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
