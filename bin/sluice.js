#!/usr/bin/env node
// Entry point of the `sluice` command: runs the compiled CLI.
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed by now; a handle that a driver failed to release must not keep us running.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (err) => { process.stderr.write(`sluice: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
