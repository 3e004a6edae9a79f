// Child process of bench/sync: runs one Sluice pipeline in-process (so its peak RSS is its own) and
// prints figures. Usage: sync-sluice.js CONFIG.json MODE [END]
//   prime     stop as soon as the pipeline streams (target tables created, checkpoint written)
//   snapshot  stop when the initial snapshot is done (status becomes 'streaming')
//   until     stop when the applied position reaches END (`file:pos`, or `-`: read from the first stdin line)
// Prints `streaming` on stdout when the pipeline starts streaming, `applying` once it applied its first row; the last
// stdout line is JSON.
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { writeHeapSnapshot } from 'node:v8';
import { parseConfig } from '../src/config/index.js';
import { createLogger } from '../src/log.js';
import { comparePositions } from '../src/mysql/schema/schema-history.js';
import { buildPipeline } from '../src/pipeline/build.js';
import type { Position } from '../src/core/types.js';
import { peakRssMb } from './peak-rss.js';

export interface SluiceChildResult {
  seconds: number;
  /** Seconds from start until the pipeline's status became 'streaming'. */
  streaming_after_s: number | null;
  rows_applied: number;
  transactions_applied: number;
  snapshot_rows: number;
  restarts: number;
  errors: number;
  last_error: string | null;
  peak_rss_mb: number;
  /** CPU seconds this process used (user + system): with `seconds`, whether Sluice or the servers are the bottleneck. */
  cpu_s: number;
  /** CPU seconds this process used from the moment it streamed until it was done (the stream alone). */
  stream_cpu_s: number | null;
  /** Seconds from start until the first row was applied (the stream's start-up — target shapes, first reads — done). */
  first_applied_s: number | null;
  /** CPU seconds from the first rows applied until done: the steady stream. */
  applying_cpu_s: number | null;
  /** Rows applied at that moment (the first batch or group). */
  rows_at_first_applied: number;
  /** Peaks of process.memoryUsage() sampled every 50 ms: V8 heap in use, and memory outside it (Buffers). */
  peak_heap_mb: number;
  peak_external_mb: number;
  /** Peak RSS (MB, sampled every 50 ms) per pipeline status: where the peak comes from. */
  peak_rss_mb_by_status: Record<string, number>;
  /** CPU seconds (user + system) of this process's threads by name (main thread, V8 GC helpers, libuv pool). */
  thread_cpu_s: Record<string, number>;
  /** CPU seconds in system calls (of cpu_s). */
  system_cpu_s: number;
}

/** CPU seconds of this process's threads by thread name (Linux /proc; empty elsewhere). */
function threadCpu(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const t of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/[0-9]+$/, '');
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out[name] = Number(((out[name] ?? 0) + (Number(f[11]) + Number(f[12])) / 100).toFixed(2));
    }
  } catch { /* not Linux */ }
  return out;
}

function parsePosition(text: string): Position {
  const i = text.lastIndexOf(':');
  const pos = Number(text.slice(i + 1));
  if (i <= 0 || !Number.isInteger(pos)) throw new Error(`bad position ${text} (want file:pos)`);
  return { file: text.slice(0, i), pos };
}

const [configPath, mode, endArg] = process.argv.slice(2);
if (!configPath || (mode !== 'prime' && mode !== 'snapshot' && mode !== 'until')) {
  throw new Error('usage: sync-sluice.js CONFIG.json prime|snapshot|until [file:pos|-]');
}
// BENCH_SQL_LOG=file: every query text sent by this process (port, then the SQL, NUL-separated records), to replay it.
if (process.env.BENCH_SQL_LOG) {
  const { default: core } = await import('mysql2');
  const proto = (core as unknown as { Connection: { prototype: { query: (...a: unknown[]) => unknown; config: { port: number } } } }).Connection.prototype;
  const orig = proto.query;
  const file = `${process.env.BENCH_SQL_LOG}.${process.argv[3] ?? ""}.${process.pid}`;
  proto.query = function (this: { config: { port: number } }, ...a: unknown[]): unknown {
    const q = a[0];
    const text = typeof q === 'string' ? q : (q as { sql?: string }).sql ?? '';
    appendFileSync(file, `${this.config.port}\u0001${text}\u0000`);
    return orig.apply(this, a);
  };
}
const cfg = parseConfig(readFileSync(configPath, 'utf8'), { format: 'json' });
const pc = cfg.pipelines[0]!;
const pipeline = buildPipeline(pc, cfg.sources[pc.source]!, cfg.targets[pc.target]!, {
  logger: createLogger('sluice', process.env.SLUICE_LOG_LEVEL ?? 'warn'),
});

let end: Position | null = null;
if (mode === 'until') {
  if (endArg === '-') {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', (line) => { end = parsePosition(line.trim()); rl.close(); });
  } else {
    end = parsePosition(endArg ?? '');
  }
}

const controller = new AbortController();
const t0 = performance.now();
let failure: unknown = null;
let finished = false;
const running = pipeline.run(controller.signal).catch((err: unknown) => { failure = err; }).finally(() => { finished = true; });
let streamingAt: number | null = null;
let streamingCpu = 0;
let firstAppliedAt: number | null = null;
let firstAppliedCpu = 0;
let rowsAtFirstApplied = 0;
const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
let doneAt: number | null = null;
let peakHeap = 0;
let peakExternal = 0;
let lastSample = 0;
const rssByStatus: Record<string, number> = {};
// BENCH_HEAP_SNAPSHOT_MB: write one heap snapshot (to the working directory) the first time the heap in use passes it.
const heapSnapshotAt = Number(process.env.BENCH_HEAP_SNAPSHOT_MB ?? 0) * 1048576;
let heapSnapshotTaken = false;
// BENCH_MEM_TRACE=file: one line per sample (every 50 ms): seconds, status, RSS, peak RSS so far, heap used / total, external, array buffers (MB).
const memTrace = process.env.BENCH_MEM_TRACE;
if (memTrace) writeFileSync(memTrace, 's status rss hwm heapUsed heapTotal external arrayBuffers\n');
while (doneAt === null && !finished) {
  await new Promise((r) => setTimeout(r, 5));
  const s = pipeline.stats;
  const now = performance.now();
  if (now - lastSample >= 50) {
    lastSample = now;
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakExternal = Math.max(peakExternal, m.external);
    const mb = Math.round(m.rss / 1048576);
    rssByStatus[s.status] = Math.max(rssByStatus[s.status] ?? 0, mb);
    if (memTrace) {
      const f = (x: number): string => (x / 1048576).toFixed(0);
      appendFileSync(memTrace, `${((now - t0) / 1000).toFixed(2)} ${s.status} ${f(m.rss)} ${peakRssMb()} ${f(m.heapUsed)} ${f(m.heapTotal)} ${f(m.external)} ${f(m.arrayBuffers)}\n`);
    }
    if (heapSnapshotAt > 0 && !heapSnapshotTaken && m.heapUsed >= heapSnapshotAt) {
      heapSnapshotTaken = true;
      process.stderr.write(`bench: heap snapshot written to ${writeHeapSnapshot()} (heap ${Math.round(m.heapUsed / 1048576)} MB, status ${s.status})\n`);
    }
  }
  if (streamingAt === null && s.status === 'streaming') {
    streamingAt = now;
    streamingCpu = cpuNow();
    process.stdout.write('streaming\n');
    if (mode !== 'until') doneAt = now;
  }
  if (streamingAt !== null && firstAppliedAt === null && s.rowsApplied > 0) {
    firstAppliedAt = now;
    firstAppliedCpu = cpuNow();
    rowsAtFirstApplied = s.rowsApplied;
    process.stdout.write('applying\n');
  }
  if (end !== null && s.position !== null && comparePositions(s.position, end) >= 0) doneAt = now;
}
const doneCpu = cpuNow();
controller.abort();
await running;
if (failure !== null || doneAt === null) {
  process.stderr.write(`bench: sluice child (${mode}) stopped early: ${failure instanceof Error ? failure.message : String(failure ?? pipeline.stats.lastError)}\n`);
  process.exit(1);
}
const s = pipeline.stats;
const result: SluiceChildResult = {
  seconds: (doneAt - t0) / 1000,
  streaming_after_s: streamingAt === null ? null : (streamingAt - t0) / 1000,
  rows_applied: s.rowsApplied,
  transactions_applied: s.transactionsApplied,
  snapshot_rows: s.snapshotRowsCopied,
  restarts: s.restarts,
  errors: s.errors,
  last_error: s.lastError,
  peak_rss_mb: peakRssMb(),
  cpu_s: cpuNow(),
  stream_cpu_s: streamingAt === null ? null : doneCpu - streamingCpu,
  first_applied_s: firstAppliedAt === null ? null : (firstAppliedAt - t0) / 1000,
  applying_cpu_s: firstAppliedAt === null ? null : doneCpu - firstAppliedCpu,
  rows_at_first_applied: rowsAtFirstApplied,
  peak_heap_mb: Math.round(peakHeap / 1048576),
  peak_external_mb: Math.round(peakExternal / 1048576),
  peak_rss_mb_by_status: rssByStatus,
  thread_cpu_s: threadCpu(),
  system_cpu_s: process.cpuUsage().system / 1e6,
};
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(0);
