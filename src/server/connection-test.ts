/** "Test connection": the preflight checks of `sluice check` as `{ check, ok, warn, message, fix, code }`. */
import { checkSource, checkTarget, type CheckResult } from '../preflight/preflight.js';
import { DEFAULT_CHECKPOINT_DATABASE } from '../config/index.js';
import { endpointUrl, type EndpointInput } from '../store/store.js';
import type { CheckResult as ApiCheckResult, TestResult } from './api-types.js';

export async function testEndpoint(e: EndpointInput): Promise<TestResult> {
  const url = endpointUrl(e);
  const raw = e.kind === 'source' ? await checkSource(url) : await checkTarget({ type: e.type, url, checkpointDatabase: e.checkpointDatabase ?? DEFAULT_CHECKPOINT_DATABASE });
  const results = raw.map(toApi);
  return { ok: results.every((r) => r.ok), results };
}

function toApi(r: CheckResult): ApiCheckResult {
  return { check: r.check ?? checkName(r.what), ok: r.ok, warn: !!r.warn, message: r.what, fix: r.fix ?? null, code: r.code ?? null };
}

function checkName(what: string): string {
  if (/^reachable/.test(what)) return 'reachable';
  if (/^TLS:/.test(what)) return 'tls';
  if (/^binary log/.test(what)) return 'binlog';
  if (/binlog_format/.test(what)) return 'binlog_format';
  if (/binlog_row_image/.test(what)) return 'row_image';
  if (/GTID/.test(what)) return 'gtid';
  if (/replication grants/.test(what)) return 'grants';
  if (/server.?id/i.test(what)) return 'server_id';
  if (/privilege/.test(what)) return 'privileges';
  return what.split(/[:\s]/)[0] ?? 'check';
}
