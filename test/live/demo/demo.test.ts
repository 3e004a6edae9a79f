// Smoke test of `npm run demo`: the demo runs as a child process; we wait for the printed URL and login, log
// in through the API, see both pipelines streaming with rows flowing, then send SIGINT and check that it
// exits and leaves no mariadbd process and no temp directory behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'demo', 'main.js');

/** mariadbd processes whose parent is `pid`, with their datadir. */
function mariadbChildren(pid: number): Array<{ pid: number; datadir: string | null }> {
  const out: Array<{ pid: number; datadir: string | null }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (!args[0]?.endsWith('mariadbd')) continue;
      const dd = args.find((a) => a.startsWith('--datadir='));
      out.push({ pid: Number(d), datadir: dd ? dd.slice('--datadir='.length) : null });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

interface Pipe { name: string; status: { state: string; rowsApplied: number; snapshot: { rowsCopied: number } } }

describe('npm run demo', () => {
  it('starts, prints URL and login, streams both pipelines, and removes everything on SIGINT', { timeout: 180_000 }, async () => {
    const child = spawn(process.execPath, [MAIN, '--port', '0', '--rate', '8'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLUICE_LOG_LEVEL: 'error' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const t0 = Date.now();
      const m = await (async () => {
        for (;;) {
          const url = /Web UI:\s+(http:\/\/\S+)/.exec(out);
          const login = /Login:\s+(\S+) \/ (\S+)/.exec(out);
          if (url && login) return { url: url[1]!, user: login[1]!, password: login[2]! };
          if (child.exitCode !== null) throw new Error(`demo exited early (${child.exitCode}):\n${out}\n${err}`);
          if (Date.now() - t0 > 60_000) throw new Error(`demo not up within a minute:\n${out}\n${err}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      assert.ok(m.password.length >= 16, 'a generated password');
      assert.equal(m.user, 'admin');

      const servers = mariadbChildren(child.pid!);
      assert.equal(servers.length, 2, 'two MariaDB servers');

      const login = await fetch(`${m.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: m.user, password: m.password }) });
      assert.equal(login.status, 200);
      const cookie = /sluice_session=[^;]*/.exec(login.headers.get('set-cookie') ?? '')![0];
      const pipelines = async (): Promise<Pipe[]> => ((await (await fetch(`${m.url}/api/pipelines`, { headers: { cookie } })).json()) as { pipelines: Pipe[] }).pipelines;

      let first: Pipe[] = [];
      const deadline = Date.now() + 60_000;
      for (;;) {
        first = await pipelines();
        if (first.length === 2 && first.every((p) => p.status.state === 'streaming' && p.status.rowsApplied > 0)) break;
        if (Date.now() > deadline) throw new Error(`pipelines not streaming with rows: ${JSON.stringify(first.map((p) => [p.name, p.status.state, p.status.rowsApplied]))}`);
        await new Promise((r) => setTimeout(r, 500));
      }
      assert.deepEqual(first.map((p) => p.name).sort(), ['product-to-order', 'product-to-purchase']);
      for (const p of first) assert.ok(p.status.snapshot.rowsCopied > 5000, `${p.name} copied the product tables`);
      await new Promise((r) => setTimeout(r, 2000));
      const later = await pipelines();
      for (const p of later) {
        const before = first.find((x) => x.name === p.name)!;
        assert.equal(p.status.state, 'streaming');
        assert.ok(p.status.rowsApplied > before.status.rowsApplied, `${p.name}: rows keep flowing`);
      }

      const dataDirs = servers.map((s) => s.datadir).filter((d): d is string => !!d);
      assert.equal(dataDirs.length, 2);
      const sluiceDir = /Data dir:\s+(\S+)/.exec(out)?.[1];
      assert.ok(sluiceDir && existsSync(sluiceDir));
      child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), 45_000); })]);
      clearTimeout(timer);
      assert.notEqual(code, 'timeout', 'the demo exits after SIGINT');
      assert.equal(code, 0, err);
      assert.match(out, /Demo stopped/);
      for (const s of servers) assert.equal(alive(s.pid), false, `mariadbd ${s.pid} still running`);
      for (const d of dataDirs) assert.equal(existsSync(dirname(d)), false, `${dirname(d)} left behind`);
      assert.equal(existsSync(sluiceDir), false, `${sluiceDir} left behind`);
      assert.equal((await fetch(`${m.url}/healthz`).catch(() => null)), null, 'the server is closed');
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        for (const s of mariadbChildren(child.pid!)) process.kill(s.pid, 'SIGKILL');
      }
    }
  });
});
