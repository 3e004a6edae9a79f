// Child process of bench/decode: reads `total` row changes from the server with Sluice and prints figures.
import { BinlogSource } from '../src/source/binlog-source.js';
import { peakRssMb } from './peak-rss.js';

const [url, totalArg] = process.argv.slice(2);
const total = Number(totalArg);
const source = new BinlogSource({ url: url!, serverId: 9001, start: { kind: 'earliest' }, filter: (db) => db === 'bench' });
let rows = 0;
let t0 = 0;
for await (const m of source) {
  if (t0 === 0) t0 = performance.now();
  if (m.kind === 'transaction') {
    rows += m.changes.length;
    if (rows >= total) break;
  }
}
const seconds = (performance.now() - t0) / 1000;
await source.close();
process.stdout.write(JSON.stringify({ rows, seconds, peak_rss_mb: peakRssMb() }) + '\n');
