import { isSluiceError } from '../errors.js';
import { tailCommand } from './tail.js';
import { runCommand } from './run.js';
import { checkCommand } from './check.js';
import { serveCommand } from './serve.js';
import { verifyCommand } from './verify.js';
import { guardCommand } from './guard.js';

const USAGE = `Usage: sluice <command> [options]

Commands:
  tail <mysql-url> [--from now|earliest|<file>:<pos>|gtid:<set>] [--count N] [--tables db.t,db.*] [--server-id N]
  tail --file <binlog file> [--count N] [--tables …]
                     Print row changes as JSON lines on stdout.
  run --config FILE  Run every pipeline of the config in the foreground (stops cleanly on SIGINT/SIGTERM).
        [--resync PIPELINE]          stream from the source's current position and copy every table again (swapped in)
        [--skip PIPELINE=FILE:POS[:ddl]]  pass over the one source transaction (or DDL) an error named
        [--resnapshot PIPELINE=DB.TABLE]  copy one table again once the pipeline streams
  check --config FILE
                     Validate the config and run the preflight checks on every source and target.
  serve [--config FILE] [--data-dir DIR] [--port 8080] [--host 127.0.0.1] [--metrics-auth] [--secure-cookies] [--trust-proxy ADDR,…] [--tls-dir DIR] [--secret-key-file FILE]
                     Run the pipelines with the web UI, REST API and /metrics (control plane).
        [--alert-webhook URL] [--alert-smtp smtp://user:pass@host:port] [--alert-email-to ADDR …] [--alert-email-from ADDR]
        [--alert-lag-seconds N] [--alert-lag-for N] [--alert-purge-files N]
                     Alerts (also alerts: in the config file, SLUICE_ALERT_WEBHOOK, SLUICE_SMTP_URL, SLUICE_ALERT_EMAIL_TO, …; see README).
        [--verify-every 24h] Verify every streaming pipeline when its last verify is older (SLUICE_VERIFY_EVERY; default off).
  verify --config FILE [--pipeline P] [--tables DB.T,…] [--repair] [--json] [--chunk-size N] [--wait-seconds N]
                     Compare source and target tables of running pipelines (exit 0 equal, 1 differences, 2 error);
                     --repair rewrites the differing rows on the target.
  guard --config FILE [--pipeline P] [--off]
                     Triggers on the copied tables that refuse writes by anyone but Sluice (--off removes them).
  help               This text.
  version            Print the version.
`;

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== undefined && !command.startsWith('-') && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'tail':
        return await tailCommand(rest);
      case 'run':
        return await runCommand(rest);
      case 'check':
        return await checkCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'verify':
        return await verifyCommand(rest);
      case 'guard':
        return await guardCommand(rest);
      case 'version':
      case '--version':
        process.stdout.write('sluice 0.1.0\n');
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        process.stderr.write(`sluice: unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    process.stderr.write(formatError(err) + '\n');
    // Usage and config mistakes: 2 (like an unknown command); anything else: 1.
    return isSluiceError(err) && (err.code === 'BAD_CONFIG' || err.code === 'BAD_ARGUMENT') ? 2 : 1;
  }
}

/** One clear line for a user: code, cause, fix. */
export function formatError(err: unknown): string {
  if (isSluiceError(err)) return `sluice: error ${err.describe()}`;
  if (err instanceof Error) return `sluice: error: ${err.message}`;
  return `sluice: error: ${String(err)}`;
}
