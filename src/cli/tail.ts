import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { SluiceError } from '../errors.js';
import { createLogger } from '../log.js';
import { ReplicationSession } from '../mysql/protocol/replication-session.js';
import { BinlogSource, type StartSpec } from '../source/binlog-source.js';
import { readBinlogFileMessages } from '../source/binlog-file-source.js';
import { compileTableFilter } from '../source/table-filter.js';
import type { Position, SourceMessage } from '../core/types.js';
import { rowToJson } from './cell-json.js';

/** `sluice tail`: print row changes (and DDL) as JSON lines on stdout. */
export async function tailCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        from: { type: 'string' },
        count: { type: 'string' },
        tables: { type: 'string' },
        exclude: { type: 'string' },
        file: { type: 'string' },
        'server-id': { type: 'string' },
      },
    });
  } catch (err) {
    // node's parseArgs errors (unknown option, `--count -3`, missing value) carry no Sluice code.
    throw badArg((err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' '));
  }
  const { values, positionals } = parsed;
  const count = values.count === undefined ? Infinity : parsePositiveInt(values.count, '--count');
  const include = values.tables ? splitList(values.tables) : ['*.*'];
  const filter = compileTableFilter(include, values.exclude ? splitList(values.exclude) : []);

  let messages: AsyncIterable<SourceMessage>;
  let close: () => Promise<void> = async () => {};
  if (values.file !== undefined) {
    if (positionals.length > 0) throw badArg('give either a server URL or --file, not both');
    messages = readBinlogFileMessages(values.file, { filter });
  } else {
    const url = positionals[0];
    if (!url || positionals.length > 1) throw badArg('expected one MySQL URL, e.g. mysql://user:pass@host:3306');
    checkUrl(url);
    const start = parseFrom(values.from ?? 'now');
    // Fail fast when the server cannot be reached or logged into at startup (the source itself retries
    // connection errors forever, which is right after a drop but leaves a mistyped URL hanging).
    await ReplicationSession.serverStatus(url);
    const source = new BinlogSource({
      url,
      serverId: values['server-id'] === undefined ? undefined : parsePositiveInt(values['server-id'], '--server-id'),
      start,
      filter,
      logger: createLogger('sluice-tail'),
    });
    messages = source;
    close = () => source.close();
  }

  let printed = 0;
  const out = process.stdout;
  const onSignal = (): void => { void close(); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for await (const msg of messages) {
      let text = '';
      if (msg.kind === 'transaction') {
        const pos = posJson(msg.last ? msg.position : msg.startPosition, msg.gtid);
        for (const ch of msg.changes) {
          text += `{"op":"${ch.op}","db":${JSON.stringify(ch.database)},"table":${JSON.stringify(ch.table)},"before":${rowToJson(ch.before)},"after":${rowToJson(ch.after)},"ts":${msg.commitTime},"pos":${pos}}\n`;
          if (++printed >= count) break;
        }
      } else if (msg.kind === 'ddl') {
        text = `{"op":"ddl","db":${JSON.stringify(msg.database)},"sql":${JSON.stringify(msg.sql)},"ts":${msg.commitTime},"pos":${posJson(msg.position, msg.gtid)}}\n`;
      }
      if (text && !out.write(text)) await once(out, 'drain');
      if (printed >= count) break;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close();
  }
  return 0;
}

function posJson(p: Position, gtid: string | undefined): string {
  return `{"file":${JSON.stringify(p.file)},"pos":${p.pos},"gtid":${gtid === undefined ? 'null' : JSON.stringify(gtid)}}`;
}

/** Parses `--from`: now | earliest | <file>:<pos> | gtid:<set>. */
export function parseFrom(from: string): StartSpec {
  if (from === 'now') return { kind: 'now' };
  if (from === 'earliest') return { kind: 'earliest' };
  if (from.startsWith('gtid:')) {
    const set = from.slice(5).trim();
    return { kind: 'gtid', gtidSet: set };
  }
  const m = /^(.+):(\d+)$/.exec(from);
  if (m) return { kind: 'file', file: m[1]!, pos: Number(m[2]) };
  throw badArg(`--from '${from}' is not one of now, earliest, <file>:<pos> (e.g. mysql-bin.000003:4) or gtid:<set>`);
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badArg('the source URL is not a valid URL; expected mysql://user:pass@host:3306 (percent-encode special characters in the password)');
  }
  if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') throw badArg(`unsupported URL scheme '${u.protocol}'; expected mysql://user:pass@host:3306`);
}

function parsePositiveInt(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw badArg(`${what} must be a positive integer, got '${s}'`);
  return n;
}

function splitList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

function badArg(message: string): SluiceError {
  return new SluiceError('BAD_ARGUMENT', message, 'run `sluice help` for the accepted arguments');
}
