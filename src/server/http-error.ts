/** API errors: `{ error: { code, message, fix } }` with an HTTP status. */
import type { ErrorBody } from './api-types.js';

export type { ErrorBody };
export type ApiErrorCode =
  | 'BAD_REQUEST' | 'BAD_CONFIG' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'CSRF_FAILED' | 'NOT_FOUND' | 'CONFLICT'
  | 'MANAGED_BY_CONFIG' | 'INVALID_STATE' | 'RATE_LIMITED' | 'NOT_IMPLEMENTED' | 'CONNECTION_FAILED' | 'INTERNAL'
  | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'HEADERS_TOO_LARGE' | 'NO_OWNER';

export class HttpError extends Error {
  constructor(readonly status: number, readonly code: ApiErrorCode, message: string, readonly fix: string | null = null,
    readonly headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ErrorBody {
    return { error: { code: this.code, message: this.message, fix: this.fix } };
  }
}

export const notFound = (what: string, fix: string): HttpError => new HttpError(404, 'NOT_FOUND', what, fix);
export const badRequest = (message: string, fix: string | null = null): HttpError => new HttpError(400, 'BAD_REQUEST', message, fix);
export const managedByConfig = (what: string): HttpError => new HttpError(409, 'MANAGED_BY_CONFIG',
  `${what} is declared in the --config file and is read-only here`, 'edit the config file and restart sluice serve (or remove it from the file to manage it here)');
