// `sluice <command> --help` prints the usage and exits 0 (it was "error: Unknown option '--help'", exit 1).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../src/cli/main.js';

describe('sluice <command> --help', () => {
  it('prints the usage for every command', async () => {
    const write = process.stdout.write.bind(process.stdout);
    let out = '';
    process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
    const codes: number[] = [];
    try {
      for (const cmd of ['run', 'check', 'verify', 'tail', 'guard', 'serve']) codes.push(await main([cmd, '--help']), await main([cmd, '-h']));
    } finally {
      process.stdout.write = write;
    }
    assert.deepEqual(codes, codes.map(() => 0));
    assert.match(out, /Usage: sluice <command>/);
  });
});
