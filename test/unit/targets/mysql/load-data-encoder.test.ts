// The LOAD DATA text encoder: escapes, NULL, bytes as hex, BIT and YEAR, columns left out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeLoadData, escapeField, loadDataPlan, loadDataStatement, quotedTextStatement, storedAsIs, timestampText } from '../../../../src/targets/mysql/load-data-encoder.js';
import { JsonText, TimestampValue } from '../../../../src/core/cell.js';

const table = {
  database: 'd', table: 't',
  types: new Map([['id', 'int'], ['s', 'varchar'], ['b', 'blob'], ['bits', 'bit'], ['y', 'year'], ['ts', 'timestamp'], ['j', 'json'], ['set', 'set'], ['g', 'int'], ['d', 'double']]),
  generated: new Set(['g']),
};

describe('LOAD DATA encoder', () => {
  it('escapes backslash, TAB, LF, CR and NUL, and nothing else', () => {
    assert.equal(escapeField('a\\b\tc\nd\re\0f\x1A"\',N'), 'a\\\\b\\tc\\nd\\re\\0f\x1A"\',N');
    assert.equal(escapeField('plain'), 'plain');
  });

  it('encodes each mode; NULL is \\N, the text "\\N" is not NULL', () => {
    const cols = ['id', 's', 'b', 'bits', 'y', 'ts', 'j', 'set', 'g', 'd', 'gone'];
    const plan = loadDataPlan(table, cols);
    assert.equal(plan.target, '(`id`, `s`, @v2, @v3, `y`, `ts`, `j`, `set`, `d`) SET `b` = UNHEX(@v2), `bits` = CAST(@v3 AS UNSIGNED)');
    const data = encodeLoadData(plan, [
      [1, '\\N', Buffer.from([0, 9, 10, 92]), 18446744073709551615n, 0, new TimestampValue(1, 5, 6), new JsonText('{"a":"\\n"}'), ['x', 'y'], 99, -0, 'x'],
      [2, null, null, null, null, null, null, [], null, 1e-7, null],
    ])!;
    assert.equal(data.toString('utf8'),
      '1\t\\\\N\t00090a5c\t18446744073709551615\t0000\t1970-01-01 00:00:01.000005\t{"a":"\\\\n"}\tx,y\t-0\n' +
      '2\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\t1e-7\n');
  });

  it('refuses a cell that does not fit its column (the caller falls back to INSERT statements)', () => {
    assert.equal(encodeLoadData(loadDataPlan(table, ['s']), [[Buffer.from('x')]]), null);
    assert.equal(encodeLoadData(loadDataPlan(table, ['b']), [['text']]), null);
  });

  it('statements name the table, REPLACE and the format', () => {
    assert.match(loadDataStatement(table, loadDataPlan(table, ['id']), true),
      /^LOAD DATA LOCAL INFILE '[^']+' REPLACE INTO TABLE `d`.`t` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' STARTING BY '' \(`id`\)$/);
    assert.match(quotedTextStatement(table, [{ name: 'id', as: 'text' }, { name: 'b', as: 'hex' }, { name: 'gone', as: 'text' }], false),
      /INTO TABLE `d`.`t` .*OPTIONALLY ENCLOSED BY '\\'' .*\(`id`, @v1, @skip\) SET `b` = UNHEX\(@v1\)$/);
  });

  it('reads source text as binary only where every text column is in the text\'s character set', () => {
    const shape = (charsets: Array<[string, string | null]>, types: Array<[string, string]> = []): Parameters<typeof storedAsIs>[0] => ({
      database: 'd', table: 't', types: new Map([...charsets.map(([n]): [string, string] => [n, 'varchar']), ...types]), charsets: new Map(charsets),
    });
    const text = (...names: string[]): Array<{ name: string; as: 'text' | 'hex' | 'bit' }> => names.map((name) => ({ name, as: 'text' as const }));
    assert.equal(storedAsIs(shape([['a', 'utf8mb4'], ['n', null]]), text('a', 'n'), 'utf8mb4'), true);
    assert.equal(storedAsIs(shape([['a', 'latin1'], ['b', 'latin1']]), text('a', 'b'), 'latin1'), true);
    assert.equal(storedAsIs(shape([['a', 'utf8mb3']]), text('a'), 'utf8'), true, 'utf8 is utf8mb3');
    assert.equal(storedAsIs(shape([['a', 'utf8mb4'], ['b', 'latin1']]), text('a', 'b'), 'utf8mb4'), false, 'a latin1 column needs the conversion');
    assert.equal(storedAsIs(shape([['a', 'latin1']]), text('a'), 'utf8mb4'), false, 'utf8mb4 text into a latin1 column');
    assert.equal(storedAsIs(shape([['a', 'utf8mb4'], ['b', 'latin1']]), [{ name: 'a', as: 'text' }, { name: 'b', as: 'hex' }], 'utf8mb4'), true, 'hex goes through UNHEX');
    assert.equal(storedAsIs(shape([['a', 'utf8mb4'], ['j', null]], [['j', 'json']]), text('a', 'j'), 'utf8mb4'), false, "MySQL's JSON refuses binary");
    assert.equal(storedAsIs({ database: 'd', table: 't', types: new Map([['a', 'varchar']]) }, text('a'), 'utf8mb4'), false, 'charsets unknown');
    assert.match(quotedTextStatement(shape([['a', 'latin1']]), text('a'), true, 'latin1'), / CHARACTER SET binary FIELDS /);
    assert.match(quotedTextStatement(shape([['a', 'latin1']]), text('a'), true), / CHARACTER SET utf8mb4 FIELDS /);
  });

  it('formats TIMESTAMPs exactly like TimestampValue.toSQL (without a Date)', () => {
    let seed = 7;
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
    for (let i = 0; i < 20000; i++) {
      const v = new TimestampValue(i < 3 ? i : next(), i === 0 ? 0 : next() % 1_000_000, i % 7);
      assert.equal(timestampText(v), v.toSQL());
    }
    assert.equal(timestampText(new TimestampValue(0, 0, 3)), '0000-00-00 00:00:00.000');
    assert.equal(timestampText(new TimestampValue(2147483647, 999999, 6)), '2038-01-19 03:14:07.999999');
  });
});
