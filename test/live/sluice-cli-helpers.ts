// Helpers for tests that run the `sluice` binary as a child process.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const BIN = join(process.cwd(), 'bin', 'sluice.js');

export interface CliRun { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Run `sluice …` to completion (killed with SIGKILL and reported after `timeoutMs`). */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 30_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not exit within ${timeoutMs} ms (retrying forever?); stdout:\n${stdout.slice(-2000)}\nstderr:\n${stderr.slice(-3000)}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A long-running `sluice run` whose stderr is collected. */
export interface RunningSluice {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string | null>;
}

export function startSluice(configPath: string, env: Record<string, string | undefined> = {}, extraArgs: string[] = []): RunningSluice {
  const child = spawn(process.execPath, [BIN, 'run', '--config', configPath, ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (process.env.SLUICE_TEST_VERBOSE) process.stderr.write(d);
  });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | string | null>((r) => child.once('close', (code, signal) => r(code ?? signal)));
  return { child, stderr: () => err, stdout: () => out, exited };
}

/** SIGKILL a running `sluice run` (as a crash would) and wait until it is gone. */
export async function killHard(s: RunningSluice): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGKILL');
  await s.exited;
}

/** Structured JSON log lines of a stderr text (other lines are skipped). */
export function logLines(stderr: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch { /* not JSON */ }
  }
  return out;
}

/** Lines of stderr that are not structured log lines. */
export function plainLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
}
