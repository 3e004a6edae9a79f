/**
 * `npm run chaos:cluster -- --faults N --seed S [--kinds a,b,…] [--target mysql|postgres]`: the cluster
 * fault-injection harness (see src/testkit/chaos/cluster-harness.ts): three `sluice serve` nodes on a shared
 * MariaDB store, a steady writer, seeded faults; `--target postgres` puts the copies in a throwaway database of the
 * local PostgreSQL (127.0.0.1:5432, trust, user postgres; SLUICE_CHAOS_PG_URL overrides). Prints each fault with
 * its recovery time and, as its last line,
 * {"faults":…,"lost_rows":…,"duplicated_rows":…,"tables_identical":…,"recovery_p50_s":…,"recovery_max_s":…,"problems":…,"seed":…,"target":…}.
 */
import { parseArgs } from 'node:util';
import { CHAOS_TARGET_KINDS, CLUSTER_FAULT_KINDS, runClusterChaos, type ChaosTargetKind, type ClusterFaultKind } from '../src/testkit/chaos/index.js';

const { values } = parseArgs({ options: {
  faults: { type: 'string', default: '30' },
  seed: { type: 'string' },
  kinds: { type: 'string' },
  'snapshot-rows': { type: 'string' },
  target: { type: 'string', default: 'mysql' },
} });
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const kinds = values.kinds ? values.kinds.split(',').map((k) => k.trim()) : [...CLUSTER_FAULT_KINDS];
for (const k of kinds) {
  if (!(CLUSTER_FAULT_KINDS as readonly string[]).includes(k)) {
    process.stderr.write(`chaos:cluster: unknown fault kind '${k}'; known: ${CLUSTER_FAULT_KINDS.join(', ')}\n`);
    process.exit(2);
  }
}
if (!(CHAOS_TARGET_KINDS as readonly string[]).includes(values.target)) {
  process.stderr.write(`chaos:cluster: unknown target '${values.target}'; known: ${CHAOS_TARGET_KINDS.join(', ')}\n`);
  process.exit(2);
}
const target = values.target as ChaosTargetKind;
const faults = Number(values.faults);
console.log(`chaos:cluster: seed ${seed}, ${faults} faults of kinds ${kinds.join(', ')}, ${target} target (replay with --seed ${seed} --target ${target})`);
const result = await runClusterChaos({
  faults, seed, kinds: kinds as ClusterFaultKind[], target,
  ...(values['snapshot-rows'] ? { snapshotRows: Number(values['snapshot-rows']) } : {}),
  log: (line) => console.log(line),
});
const fmt = (s: number | null): string => (s === null ? 'NOT RECOVERED' : `${s.toFixed(2)} s`);
console.log(`identical: ${result.tablesIdentical}; problems: ${result.problems.length ? result.problems.join(' | ') : 'none'}; recovery p50 ${fmt(result.recoveryP50Seconds)}, max ${fmt(result.recoveryMaxSeconds)}; ${result.seconds.toFixed(0)} s`);
const round = (s: number | null): number | null => (s === null ? null : Number(s.toFixed(2)));
console.log(JSON.stringify({ faults: result.faults.length, lost_rows: result.lostRows, duplicated_rows: result.duplicatedRows, tables_identical: result.tablesIdentical,
  recovery_p50_s: round(result.recoveryP50Seconds), recovery_max_s: round(result.recoveryMaxSeconds), problems: result.problems.length, seed, target }));
process.exit(result.lostRows === 0 && result.duplicatedRows === 0 && result.tablesIdentical && result.problems.length === 0 ? 0 : 1);
