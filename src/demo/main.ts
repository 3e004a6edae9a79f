/**
 * `npm run demo` [-- --port N]: starts the demo (see demo.ts), prints the UI address and the login, and
 * removes everything on Ctrl-C (SIGINT) or SIGTERM.
 */
import { parseArgs } from 'node:util';
import { defaultUiDir } from '../server/server.js';
import { startDemo, type RunningDemo } from './demo.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' }, rate: { type: 'string' } } });
  const portText = values.port ?? process.env['DEMO_PORT'];
  const port = portText !== undefined ? Number(portText) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    process.stderr.write(`demo: invalid port '${portText}'\n`);
    return 2;
  }
  const rate = Number(values.rate ?? process.env['DEMO_RATE'] ?? 4);
  const t0 = Date.now();
  process.stdout.write('Starting the Sluice demo: two throwaway MariaDB servers, the supply-chain example, sluice serve …\n');

  let demo: RunningDemo | null = null;
  let signals = 0;
  let resolveStop: () => void = () => undefined;
  const stopRequested = new Promise<void>((r) => { resolveStop = r; });
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      process.stdout.write(`\n${sig}: stopping the demo (servers and temp files are removed) …\n`);
      resolveStop();
      // Never hang on the way out.
      setTimeout(() => process.exit(1), 30_000).unref();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const starting = startDemo({ ...(port !== undefined ? { port } : {}), ...(values.host ? { host: values.host } : {}), writesPerSecond: Number.isFinite(rate) && rate > 0 ? rate : 4 });
  const first = await Promise.race([starting.then((d) => ({ d }), (err: unknown) => ({ err })), stopRequested.then(() => null)]);
  if (first === null) {
    // Stopped while starting: wait for the start to end, then clean up what it made.
    const late = await starting.catch(() => null);
    await late?.stop();
    return 130;
  }
  if ('err' in first) {
    process.stderr.write(`demo: could not start: ${first.err instanceof Error ? first.err.message : String(first.err)}\n`);
    return 1;
  }
  demo = first.d;
  // The testkit kills its servers with SIGKILL on a signal (a safety net for tests); the demo stops them
  // cleanly instead (pipelines first, then the servers). Its exit hook still kills any server left over.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    for (const l of process.listeners(sig)) if (l !== onSignal) process.removeListener(sig, l);
  }
  const ui = defaultUiDir() ? '' : '\n  (the web UI is not built: run `npm run build:ui`; the API works without it)\n';
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write([
    '',
    `Sluice demo is up (${secs} s).`,
    '',
    `  Web UI:     ${demo.url}`,
    `  Login:      ${demo.username} / ${demo.password}   (generated for this run, shown only once)`,
    '',
    `  Source:     MariaDB 127.0.0.1:${demo.source.port}  database product_service (product, category, batch, warranty)`,
    `  Target:     MariaDB 127.0.0.1:${demo.target.port}  databases order_service (orders) and purchase_service (purchases)`,
    '  Pipelines:  product-to-order     product_service → order_service',
    '              product-to-purchase  product_service → purchase_service',
    `  Writer:     ~${rate} changes per second on the product tables`,
    `  Look:       mariadb -h 127.0.0.1 -P ${demo.target.port} -u root order_service   (root has no password on these throwaway servers)`,
    `  Data dir:   ${demo.dataDir}`,
    ui,
    'Press Ctrl-C to stop: the servers, their data and the temp files are removed.',
    '',
  ].join('\n'));
  await stopRequested;
  const writes = demo.writer.count;
  await demo.stop();
  process.stdout.write(`Demo stopped (${writes} changes written). Everything was removed.\n`);
  return 0;
}

main().then((code) => {
  process.exitCode = code;
  // Drivers may keep a handle for a moment; everything is closed by now.
  setTimeout(() => process.exit(code), 2000).unref();
}, (err: unknown) => {
  process.stderr.write(`demo: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
