// A target's log lines name their pipeline exactly once, whether the logger it is given is already the pipeline's
// child (what `buildPipeline` passes) or a bare one.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino, type Logger } from 'pino';
import { MysqlTarget } from '../../../src/targets/mysql/mysql-target.js';
import { PostgresTarget } from '../../../src/targets/postgres/postgres-target.js';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino<never>({ level: 'info' }, { write: (line: string) => { lines.push(line); } }), lines };
}

const logOf = (target: object): Logger => Reflect.get(target, 'log') as Logger;

describe('target log lines', () => {
  for (const [kind, make] of [
    ['mysql', (logger: Logger) => new MysqlTarget({ pipeline: 'p1', connection: 'mysql://root@127.0.0.1:1', logger })],
    ['postgres', (logger: Logger) => new PostgresTarget({ pipeline: 'p1', url: 'postgres://postgres@127.0.0.1:1/x', logger })],
  ] as const) {
    it(`${kind}: name the pipeline once with a pipeline's child logger, and once with a bare logger`, () => {
      for (const bound of [true, false]) {
        const { logger, lines } = capture();
        logOf(make(bound ? logger.child({ pipeline: 'p1' }) : logger)).info('hello');
        assert.equal(lines.length, 1);
        assert.equal(lines[0]!.match(/"pipeline":"p1"/g)?.length, 1, lines[0]);
      }
    });
  }
});
