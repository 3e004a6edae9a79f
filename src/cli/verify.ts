import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { loadConfig } from '../config/index.js';
import { verify, type TableResult, type VerifySummary } from '../verify/verify.js';

const SAMPLE = 20;

/**
 * `sluice verify --config F [--pipeline P] [--tables PATTERN]… [--repair] [--json] [--chunk-size N] [--wait-seconds N]`:
 * exit 0 when every table is equal, 1 when differences were found (also when they were repaired), 2 on errors.
 */
export async function verifyCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: {
    config: { type: 'string', short: 'c' },
    pipeline: { type: 'string' },
    tables: { type: 'string', multiple: true },
    repair: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'chunk-size': { type: 'string' },
    parallelism: { type: 'string' },
    'wait-seconds': { type: 'string' },
  } });
  if (!values.config) throw new SluiceError('BAD_ARGUMENT', 'missing --config FILE', 'run `sluice verify --config sluice.yaml`');
  const num = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new SluiceError('BAD_ARGUMENT', `${flag} ${v}: not a positive integer`, `write e.g. ${flag} 10`);
    return n;
  };
  const cfg = await loadConfig(values.config);
  const json = values.json;
  const out = (line: string): void => { process.stdout.write(line + '\n'); };
  let lastProgress = 0;
  const chunkSize = num(values['chunk-size'], '--chunk-size');
  const parallelism = num(values.parallelism, '--parallelism');
  const waitSeconds = num(values['wait-seconds'], '--wait-seconds');
  let summary: VerifySummary;
  try {
    summary = await verify(cfg, {
      ...(values.pipeline !== undefined ? { pipeline: values.pipeline } : {}),
      ...(values.tables ? { tables: values.tables.flatMap((t) => t.split(',')).filter(Boolean) } : {}),
      repair: values.repair,
      tuning: { ...(chunkSize ? { chunkSize } : {}), ...(parallelism ? { parallelism } : {}), ...(waitSeconds ? { waitMs: waitSeconds * 1000 } : {}) },
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastProgress < 1000 && p.chunksDone !== p.chunks) return;
        lastProgress = now;
        process.stderr.write(`verify ${p.pipeline} ${p.table}: chunk ${p.chunksDone}/${p.chunks}, ${p.rowsChecked} rows checked, ${p.mismatchedRows} differing\n`);
      },
      onTable: (r) => {
        if (json) out(JSON.stringify(r));
        else for (const line of describeTable(r)) out(line);
      },
    });
  } catch (err) {
    process.stderr.write(`sluice: error ${err instanceof SluiceError ? err.describe() : String(err)}\n`);
    return 2;
  }
  const line = { tables: summary.tables, rows_checked: summary.rows_checked, mismatched_rows: summary.mismatched_rows, repaired_rows: summary.repaired_rows,
    seconds: summary.seconds, unsettled_rows: summary.unsettled_rows };
  if (json) out(JSON.stringify(line));
  else out(`verified ${summary.tables} table(s), ${summary.rows_checked} rows: ${summary.mismatched_rows} differing row(s)${values.repair ? `, ${summary.repaired_rows} repaired` : ''} in ${summary.seconds} s`);
  const problems = summary.results.some((r) => r.problem !== undefined || (r.recheckMismatchedRows ?? 0) > 0);
  return summary.mismatched_rows > 0 || problems ? 1 : 0;
}

/** Human lines for one table: a summary, then a sample of the differing rows. */
export function describeTable(r: TableResult): string[] {
  const keyText = r.key === 'none' ? 'no key: compared whole' : r.key === 'unique' ? 'by unique key' : 'by primary key';
  if (r.problem) return [`${r.pipeline} ${r.table} → ${r.target}: NOT COMPARED: ${r.problem}`];
  const lines = [`${r.pipeline} ${r.table} → ${r.target} (${keyText}): ${r.rowsChecked} rows, ${r.mismatchedRows === 0 ? 'equal' : `${r.mismatchedRows} differing row(s)`}`
    + (r.unsettledRows > 0 ? `, ${r.unsettledRows} row(s) changing too often to compare` : '')
    + (r.repairedRows > 0 ? `; repaired ${r.repairedRows}, re-check: ${r.recheckMismatchedRows === 0 ? 'equal' : `${r.recheckMismatchedRows} still differing`}` : '')];
  for (const d of r.differences.slice(0, SAMPLE)) {
    const what = d.kind === 'different' ? (d.columns ?? []).map((c) => `${c.column}: source ${c.source} target ${c.target}`).join('; ')
      : d.kind === 'missing' ? 'missing on the target' : 'extra on the target';
    lines.push(`  ${d.kind} ${r.key === 'none' ? `row (${d.key})${d.count && d.count > 1 ? ` ×${d.count}` : ''}` : `key (${d.key})`}: ${what}`);
  }
  if (r.differences.length > SAMPLE) lines.push(`  … and ${r.differences.length - SAMPLE} more (--json lists them all)`);
  return lines;
}
