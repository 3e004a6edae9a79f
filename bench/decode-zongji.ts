// Child process of bench/decode: reads `total` row changes from the server with @vlasky/zongji (the peer).
import { createRequire } from 'node:module';
import { peakRssMb } from './peak-rss.js';

interface ZongJiEvent { getEventName(): string; rows?: unknown[] }
interface ZongJiInstance {
  on(ev: 'binlog', fn: (e: ZongJiEvent) => void): void;
  on(ev: 'error', fn: (e: Error) => void): void;
  start(opts: Record<string, unknown>): void;
  stop(): void;
}
type ZongJiCtor = new (dsn: Record<string, unknown>) => ZongJiInstance;

const require = createRequire(import.meta.url);
const ZongJi = (require('@vlasky/zongji') as { default: ZongJiCtor }).default;

const [url, totalArg] = process.argv.slice(2);
const total = Number(totalArg);
const u = new URL(url!);
const zj = new ZongJi({ host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
let rows = 0;
let t0 = 0;
await new Promise<void>((resolve, reject) => {
  zj.on('error', reject);
  zj.on('binlog', (e) => {
    if (t0 === 0) t0 = performance.now();
    if (e.rows) {
      rows += e.rows.length;
      if (rows >= total) resolve();
    }
  });
  zj.start({ serverId: 9002, startAtEnd: false, includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows'], includeSchema: { bench: true } });
});
const seconds = (performance.now() - t0) / 1000;
process.stdout.write(JSON.stringify({ rows, seconds, peak_rss_mb: peakRssMb() }) + '\n');
zj.stop();
process.exit(0);
