// npm run bench:failover — three `sluice serve` nodes on a shared store (a throwaway MariaDB, see testkit's
// ClusterBed), a steady writer, and N SIGKILLs of the node that owns a pipeline, at random moments: every third
// kill lands while the target applies a large source transaction, every fourth (from the second) in the middle of
// an initial snapshot — a new pipeline of two large tables (one keyed, one key-less) is added and its owner killed
// while it copies them. For each kill: the takeover time = from the SIGKILL until a row written after it is on
// the target (for a snapshot: until the copy's checkpoint moves under a new owner's epoch). The killed node is
// started again (same node id) so three nodes stay up. At the end the key-less, insert-only table and every
// snapshot copy are compared row by row with the source: rows lost and rows applied twice.
//   BENCH_FAILOVERS (10)   kills
//   BENCH_SEED (1)         seed of the random moments
//   BENCH_SNAPSHOT_ROWS (150000) rows of the snapshot's keyed table (the key-less one has half)
// Figures go to stderr; the last stdout line is JSON:
//   {"failovers":…,"takeover_p50_s":…,"takeover_max_s":…,"lost_rows":…,"duplicated_rows":…,"mid_snapshot":…}
import { ClusterBed, seededRandom, until } from '../src/testkit/index.js';

const FAILOVERS = Number(process.env.BENCH_FAILOVERS ?? 10);
const SEED = Number(process.env.BENCH_SEED ?? 1);
const SNAPSHOT_ROWS = Number(process.env.BENCH_SNAPSHOT_ROWS ?? 150_000);
const say = (text: string): void => { process.stderr.write(`bench: ${text}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let exitCode = 0;
const bed = await ClusterBed.start({ logLevel: 'warn' });
try {
  say('three nodes up');
  bed.startWriter(10);
  await until('the pipeline to copy and stream', async () => (await bed.copied()) > 0, 120_000);
  await bed.installWitness();
  const rnd = seededRandom(SEED);
  const random = { int: (n: number): number => Math.floor(rnd() * n) };
  const takeovers: number[] = [];
  const snapshots: string[] = [];
  for (let k = 1; k <= FAILOVERS; k++) {
    await sleep(1000 + random.int(3000));
    if (k % 4 === 2) {
      const name = `snap${k}`;
      snapshots.push(name);
      await bed.addSnapshotPipeline(name, name, SNAPSHOT_ROWS);
      const o = await until(`an owner of ${name}`, () => bed.owner(name), 60_000);
      const at = await until(`${name}'s copy under way`, async () => { const n = await bed.rowCount(`${name}.big`); return n > 0 ? n : null; }, 60_000, 50);
      const killedAt = Date.now();
      await bed.nodes.get(o.owner)!.kill();
      await until(`${name} copied on under a new epoch`, async () => (await bed.checkpointWrites(name)).filter((w) => w.epoch > o.epoch).length >= 2, 60_000, 50);
      const s = (Date.now() - killedAt) / 1000;
      takeovers.push(s);
      say(`kill ${k}/${FAILOVERS} (mid-snapshot, ${at} of ${SNAPSHOT_ROWS} rows copied): ${o.owner} killed, ${(await bed.owner(name))?.owner ?? '?'} copies on after ${s.toFixed(2)} s`);
      await bed.startNode(o.owner);
      await until(`${name}'s copy complete`, async () => (await bed.rowCount(`${name}.big`)) >= SNAPSHOT_ROWS, 180_000, 500);
      await bed.stopPipeline(name);
      continue;
    }
    const o = await until('an owner of the pipeline', () => bed.owner(), 30_000);
    const big = k % 3 === 0;
    if (big) {
      await bed.largeTransaction(20_000);
      // Kill while the target applies it (its parts are in one open target transaction).
      await sleep(200 + random.int(400));
    }
    const atKill = bed.seq;
    const killedAt = Date.now();
    await bed.nodes.get(o.owner)!.kill();
    await until('a row written after the kill on the target', async () => (await bed.copied()) > atKill, 60_000, 50);
    const s = (Date.now() - killedAt) / 1000;
    takeovers.push(s);
    say(`kill ${k}/${FAILOVERS}${big ? ' (inside a large transaction)' : ''}: ${o.owner} killed, ${(await bed.owner())?.owner ?? '?'} applies again after ${s.toFixed(2)} s`);
    await bed.startNode(o.owner);
  }
  await bed.stopWriter();
  const audit = await bed.compare('audit', 'shop', 'copy', 120_000);
  let lost = audit.lost;
  let duplicated = audit.duplicated;
  for (const s of snapshots) {
    for (const t of ['big', 'biglog']) {
      const d = await bed.compare(t, 'shop', s, 60_000);
      lost += d.lost;
      duplicated += d.duplicated;
      if (d.lost || d.duplicated) say(`${s}.${t}: ${d.lost} lost, ${d.duplicated} extra: ${d.samples.join(' ; ')}`);
    }
  }
  const fencing = ClusterBed.fencingProblems(await bed.checkpointWrites());
  if (fencing.length) say(`stale epochs wrote: ${fencing.join('; ')}`);
  const sorted = [...takeovers].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
  const max = sorted[sorted.length - 1] ?? 0;
  say(`summary: ${takeovers.length} failovers (${snapshots.length} mid-snapshot), takeover p50 ${p50.toFixed(2)} s, max ${max.toFixed(2)} s (goal ≤ 5 / ≤ 10); ${audit.rows} source rows in the key-less table, ${lost} lost, ${duplicated} duplicated (snapshot copies included)`);
  process.stdout.write(JSON.stringify({ failovers: takeovers.length, takeover_p50_s: Number(p50.toFixed(2)), takeover_max_s: Number(max.toFixed(2)),
    lost_rows: lost, duplicated_rows: duplicated, mid_snapshot: snapshots.length }) + '\n');
} catch (err) {
  say(`failed: ${(err as Error).stack ?? String(err)}`);
  exitCode = 1;
} finally {
  await bed.close();
}
process.exit(exitCode);
