/** Small typed readers for JSON bodies and query strings; each throws a 400 naming the field. */
import { badRequest } from './http-error.js';

export function str(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw badRequest(`'${key}' is required (a non-empty string)`);
  return v;
}

export function optStr(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`'${key}' must be a string`);
  return v;
}

export function optInt(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw badRequest(`'${key}' must be an integer from ${min} to ${max}`);
  return n;
}

export function optStringMap(body: Record<string, unknown>, key: string): Record<string, string> | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badRequest(`'${key}' must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw badRequest(`'${key}.${k}' must be a string`);
    out[k] = x;
  }
  return out;
}
