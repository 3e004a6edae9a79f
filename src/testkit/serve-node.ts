/**
 * A `sluice serve` node as a child process on a shared store (cluster tests and `bench:failover`): started with
 * its node id, resolved once it listens, killed or paused by signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ServeNode {
  id: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** The last 200 kB of its stderr (logs). */
  logs(): string;
  /** Bytes of stderr so far: a mark for `logsSince`. */
  logMark(): number;
  /** What it logged after `mark` (as far as the last 200 kB go back). */
  logsSince(mark: number): string;
  /** SIGKILL, wait for the exit, remove its data directory. */
  kill(): Promise<void>;
}

const BIN = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'bin', 'sluice.js');

export function startServeNode(storeUrl: string, id: string, env: Record<string, string>, logLevel = 'warn'): Promise<ServeNode> {
  const dir = mkdtempSync(join(tmpdir(), `sluice-node-${id}-`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--store', storeUrl, '--node-id', id, '--port', '0', '--data-dir', dir],
      { env: { ...process.env, ...env, SLUICE_LOG_LEVEL: logLevel }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    let total = 0;
    const exited = new Promise<void>((r) => child.once('exit', () => { rmSync(dir, { recursive: true, force: true }); r(); }));
    const node: ServeNode = {
      id, child, exited,
      logs: () => err,
      logMark: () => total,
      logsSince: (mark) => (total > mark ? err.slice(-(total - mark)) : ''),
      kill: async () => { child.kill('SIGKILL'); await exited; },
    };
    child.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      total += text.length;
      err = (err + text).slice(-200_000);
      if (err.includes('listening on')) resolve(node);
    });
    child.once('exit', (code, signal) => reject(new Error(`node ${id} exited (${code ?? signal}) before listening: ${err.slice(-2000)}`)));
  });
}
