/**
 * `npm run chaos -- --faults N --seed S [--kinds a,b,…] [--target mysql|postgres]`: the fault-injection harness
 * on the supply-chain workload (see src/testkit/chaos); `--target postgres` puts the copies in a throwaway
 * database of the local PostgreSQL (127.0.0.1:5432, trust, user postgres; SLUICE_CHAOS_PG_URL overrides). Prints the seed, each fault with its recovery time, the per-table
 * comparison, and as its last line
 * {"faults":…,"duplicated_rows":…,"lost_rows":…,"tables_identical":…,"max_recovery_s":…}.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHAOS_TARGET_KINDS, FAULT_KINDS, runChaos, type ChaosTargetKind, type FaultKind } from '../src/testkit/chaos/index.js';

const { values } = parseArgs({ options: {
  faults: { type: 'string', default: '40' },
  seed: { type: 'string' },
  kinds: { type: 'string' },
  products: { type: 'string' },
  'keep-logs': { type: 'string' },
  target: { type: 'string', default: 'mysql' },
} });
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()) : [...FAULT_KINDS];
for (const k of kinds) {
  if (!(FAULT_KINDS as readonly string[]).includes(k)) {
    process.stderr.write(`chaos: unknown fault kind '${k}'; known: ${FAULT_KINDS.join(', ')}\n`);
    process.exit(2);
  }
}
if (!(CHAOS_TARGET_KINDS as readonly string[]).includes(values.target)) {
  process.stderr.write(`chaos: unknown target '${values.target}'; known: ${CHAOS_TARGET_KINDS.join(', ')}\n`);
  process.exit(2);
}
const target = values.target as ChaosTargetKind;
const faults = Number(values.faults);
console.log(`chaos: seed ${seed}, ${faults} faults of kinds ${kinds.join(', ')}, ${target} target (replay with --seed ${seed} --target ${target})`);
const result = await runChaos({
  sluiceBin: join(process.cwd(), 'bin', 'sluice.js'),
  faults, seed, kinds: kinds as FaultKind[], target,
  ...(values.products ? { products: Number(values.products) } : {}),
  ...(values['keep-logs'] ? { keepLogsIn: values['keep-logs'] } : {}),
  log: (line) => console.log(line),
});
for (const t of result.tables) {
  if (t.extra !== 0 || t.missing !== 0) console.log(`DIFFERS ${t.copy}.${t.table}: source ${t.sourceRows} rows, copy ${t.targetRows}, ${t.extra} extra, ${t.missing} missing; e.g. ${t.samples.join(' ; ')}`);
}
console.log(`tables compared: ${result.tables.length}, identical: ${result.tablesIdentical}; problems: ${result.problems.length ? result.problems.join(' | ') : 'none'}; ${result.seconds.toFixed(0)} s`);
const recoveries = result.faults.map((f) => f.recoverySeconds).filter((r): r is number => r !== null).sort((a, b) => a - b);
console.log(`recovery after a fault: p50 ${recoveries.length ? recoveries[Math.floor(recoveries.length / 2)]!.toFixed(1) : '-'} s, max ${result.maxRecoverySeconds === null ? 'NOT RECOVERED' : result.maxRecoverySeconds.toFixed(1)} s`);
console.log(JSON.stringify({ faults: result.faults.length, duplicated_rows: result.duplicatedRows, lost_rows: result.lostRows,
  tables_identical: result.tablesIdentical, max_recovery_s: result.maxRecoverySeconds === null ? null : Number(result.maxRecoverySeconds.toFixed(2)), problems: result.problems.length, seed, target }));
process.exit(result.duplicatedRows === 0 && result.lostRows === 0 && result.tablesIdentical && result.problems.length === 0 ? 0 : 1);
