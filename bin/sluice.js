#!/usr/bin/env node
// Entry point of the `sluice` command: runs the compiled CLI.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
