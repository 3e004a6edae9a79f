/**
 * Throwaway MariaDB servers for tests, demos and benchmarks: a temp datadir (copied from a per-process
 * initialized template), a free port, binlog in ROW format, and cleanup on stop — and on process exit
 * or signals, so a failing test leaves no server behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, cpSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';

export const MARIADBD = process.env['SLUICE_MARIADBD'] ?? '/usr/sbin/mariadbd';
export const MARIADB_INSTALL_DB = process.env['SLUICE_MARIADB_INSTALL_DB'] ?? '/usr/bin/mariadb-install-db';

export interface MariaDbServerOptions {
  serverId?: number;
  binlogRowMetadata?: 'MINIMAL' | 'FULL';
  binlogRowImage?: 'FULL' | 'MINIMAL' | 'NOBLOB';
  gtidStrictMode?: boolean;
  logBinCompress?: boolean;
  /** Write a binary log (default true). */
  binlog?: boolean;
  /** More mariadbd command-line arguments, e.g. `--max-binlog-size=4096`. */
  extraArgs?: string[];
  /** Milliseconds to wait for the server to accept connections (default 30000). */
  startTimeoutMs?: number;
}

export interface MariaDbServer {
  host: string;
  port: number;
  user: 'root';
  /** `mysql://root@127.0.0.1:PORT` */
  url: string;
  datadir: string;
  serverId: number;
  /** Run one statement on a shared root connection; returns mysql2's result rows (or OkPacket). */
  query<T = unknown>(sql: string, params?: unknown[]): Promise<T>;
  /** Clean shutdown, then remove the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL the server; the datadir stays so that `restart()` can bring it back. */
  kill(): Promise<void>;
  /** Start again on the same datadir and port (after `kill()`). */
  restart(): Promise<void>;
}

const SHARED_INNODB_ARGS = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M'];

/** Every server process started by this module that is still running. */
const running = new Set<ChildProcess>();
let exitHooksInstalled = false;
let templateDir: string | null = null;
let nextServerId = 1;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = (): void => {
    for (const child of running) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
    }
    running.clear();
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

/** Initialize (once per process) a system-table datadir that every server copies. */
function templateDatadir(): string {
  if (templateDir && existsSync(templateDir)) return templateDir;
  if (!existsSync(MARIADBD)) {
    throw new Error(`MariaDB server binary not found at ${MARIADBD}; install mariadb-server (or set SLUICE_MARIADBD)`);
  }
  const root = mkdtempSync(join(tmpdir(), 'sluice-mariadb-template-'));
  const datadir = join(root, 'data');
  const tmp = join(root, 'tmp');
  mkdirSync(tmp);
  // Own tmpdir: concurrent bootstraps in /tmp can trip over each other's temporary tables.
  const res = spawnSync(MARIADB_INSTALL_DB, [
    '--no-defaults', '--auth-root-authentication-method=normal', `--datadir=${datadir}`, '--user=root',
    '--skip-test-db', `--tmpdir=${tmp}`, ...SHARED_INNODB_ARGS,
  ], { encoding: 'utf8' });
  if (res.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed (exit ${res.status}): ${`${res.stdout ?? ''}\n${res.stderr ?? ''}\n${res.error ? String(res.error) : ''}`.trim().slice(-3000)}`);
  }
  process.on('exit', () => rmSync(root, { recursive: true, force: true }));
  templateDir = datadir;
  return datadir;
}

/**
 * Ports held by throwaway servers of every test process on this machine, including servers that were
 * killed and will be restarted on the same port: one file per port naming the owning process. freePort()
 * skips them, so a concurrent test never starts its server on the port of one that is down for a restart.
 */
const PORT_DIR = join(tmpdir(), 'sluice-test-ports');

function reservePort(port: number): boolean {
  mkdirSync(PORT_DIR, { recursive: true });
  const file = join(PORT_DIR, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    // Taken — unless its process is gone (a crashed test run): then take it over.
    let owner = 0;
    try { owner = Number(readFileSync(file, 'utf8')); } catch { return false; }
    if (owner > 0 && owner !== process.pid && isAlive(owner)) return false;
    writeFileSync(file, String(process.pid));
    return true;
  }
}

function releasePort(port: number): void {
  try {
    if (Number(readFileSync(join(PORT_DIR, String(port)), 'utf8')) === process.pid) rmSync(join(PORT_DIR, String(port)), { force: true });
  } catch { /* not reserved */ }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** A free port no other test server holds, reserved for the caller until releasePort(). */
async function reserveFreePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await freePort();
    if (reservePort(port)) return port;
  }
  throw new Error('no free port could be reserved for a test server');
}

/** A TCP port that is free right now (bind port 0 and read it back). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function serverArgs(dir: string, datadir: string, port: number, serverId: number, o: MariaDbServerOptions): string[] {
  const args = [
    '--no-defaults', `--datadir=${datadir}`, '--bind-address=127.0.0.1', `--port=${port}`,
    `--socket=${join(dir, 'mysqld.sock')}`, `--pid-file=${join(dir, 'mysqld.pid')}`,
    `--log-error=${join(dir, 'error.log')}`, `--tmpdir=${join(dir, 'tmp')}`, `--server-id=${serverId}`, '--user=root',
    '--skip-name-resolve', ...SHARED_INNODB_ARGS, '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=200',
  ];
  if (o.binlog !== false) {
    args.push(`--log-bin=${join(datadir, 'bin')}`, '--binlog-format=ROW');
    if (o.binlogRowMetadata) args.push(`--binlog-row-metadata=${o.binlogRowMetadata}`);
    if (o.binlogRowImage) args.push(`--binlog-row-image=${o.binlogRowImage}`);
    if (o.gtidStrictMode !== undefined) args.push(`--gtid-strict-mode=${o.gtidStrictMode ? 'ON' : 'OFF'}`);
    if (o.logBinCompress) args.push('--log-bin-compress=ON', '--log-bin-compress-min-len=10');
  }
  args.push(...(o.extraArgs ?? []));
  return args;
}

function errorLogTail(dir: string): string {
  try {
    const text = readFileSync(join(dir, 'error.log'), 'utf8');
    return text.split('\n').slice(-25).join('\n');
  } catch {
    return '(no error log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Start a throwaway MariaDB server. */
export async function startMariaDb(opts: MariaDbServerOptions = {}): Promise<MariaDbServer> {
  installExitHooks();
  const template = templateDatadir();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-mariadb-'));
  const datadir = join(dir, 'data');
  cpSync(template, datadir, { recursive: true });
  mkdirSync(join(dir, 'tmp'));
  const serverId = opts.serverId ?? 1000 + nextServerId++;
  const host = '127.0.0.1';
  let port = await reserveFreePort();
  const timeoutMs = opts.startTimeoutMs ?? 30_000;

  let child: ChildProcess | null = null;
  let conn: Connection | null = null;
  let removed = false;

  const launch = async (): Promise<void> => {
    const proc = spawn(MARIADBD, serverArgs(dir, datadir, port, serverId, opts), { stdio: 'ignore' });
    child = proc;
    running.add(proc);
    let exited: string | null = null;
    proc.once('exit', (code, signal) => {
      running.delete(proc);
      exited = `exit code ${code ?? '-'} signal ${signal ?? '-'}`;
    });
    const deadline = Date.now() + timeoutMs;
    let lastErr: unknown = null;
    for (;;) {
      if (exited) throw new Error(`mariadbd exited during startup (${exited}); error log tail:\n${errorLogTail(dir)}`);
      try {
        const c = await createConnection({ host, port, user: 'root', multipleStatements: true, connectTimeout: 2000 });
        // Make sure the server that answers is this one (not another test's on a reused port).
        const [rows] = await c.query('SELECT @@datadir AS d');
        const d = String((rows as Array<{ d: string }>)[0]?.d ?? '').replace(/\/+$/, '');
        if (d !== datadir.replace(/\/+$/, '')) {
          c.destroy();
          throw new Error(`another server (datadir ${d}) answers on port ${port}`);
        }
        conn = c;
        return;
      } catch (err) {
        lastErr = err;
        if (/another server/.test(String(err))) {
          proc.kill('SIGKILL');
          throw new Error(`Address already in use: ${String(err)}`);
        }
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`mariadbd did not accept connections on ${host}:${port} within ${timeoutMs} ms (${String(lastErr)}); error log tail:\n${errorLogTail(dir)}`);
      }
      await sleep(100);
    }
  };

  const waitExit = (proc: ChildProcess, ms: number): Promise<boolean> => new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve(true);
    const t = setTimeout(() => resolve(false), ms);
    proc.once('exit', () => { clearTimeout(t); resolve(true); });
  });

  const closeConn = async (): Promise<void> => {
    const c = conn;
    conn = null;
    if (c) {
      try { c.destroy(); } catch { /* ignore */ }
    }
  };

  try {
    await launch();
  } catch (err) {
    // Port races are possible between freePort() and bind: try once more on another port.
    if (/Address already in use|Can't start server: Bind/i.test(String(err))) {
      releasePort(port);
      port = await reserveFreePort();
      await launch();
    } else {
      releasePort(port);
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  // Make root reachable over TCP from anywhere with no password (install-db only creates local hosts).
  await conn!.query("CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION; FLUSH PRIVILEGES");

  const server: MariaDbServer = {
    host,
    get port() { return port; },
    user: 'root',
    get url() { return `mysql://root@${host}:${port}`; },
    datadir,
    serverId,
    async query<T = unknown>(sql: string, params?: unknown[]): Promise<T> {
      if (!conn) {
        conn = await createConnection({ host, port, user: 'root', multipleStatements: true });
      }
      const [rows] = await conn.query(sql, params);
      return rows as T;
    },
    async stop(): Promise<void> {
      if (removed) return;
      removed = true;
      await closeConn();
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        if (!(await waitExit(proc, 15_000))) {
          proc.kill('SIGKILL');
          await waitExit(proc, 5000);
        }
      }
      releasePort(port);
      rmSync(dir, { recursive: true, force: true });
    },
    async kill(): Promise<void> {
      await closeConn();
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await waitExit(proc, 5000);
      }
    },
    async restart(): Promise<void> {
      if (removed) throw new Error('server was stopped and its datadir removed; cannot restart');
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        throw new Error('server is still running; kill() it before restart()');
      }
      await launch();
    },
  };
  return server;
}
