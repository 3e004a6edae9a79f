import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cellToJson, float32ToString, rowToJson } from '../../../src/cli/cell-json.js';
import { JsonText, TimestampValue } from '../../../src/core/cell.js';
import { parseFrom } from '../../../src/cli/tail.js';
import { SluiceError } from '../../../src/errors.js';

describe('tail JSON values', () => {
  it('prints each value kind as the tail format says', () => {
    assert.equal(cellToJson(null), 'null');
    assert.equal(cellToJson(42), '42');
    assert.equal(cellToJson(-9007199254740991), '-9007199254740991');
    assert.equal(cellToJson(18446744073709551615n), '"18446744073709551615"');
    assert.equal(cellToJson('-0.50'), '"-0.50"');
    assert.equal(cellToJson('😀"\n'), '"😀\\"\\n"');
    assert.equal(cellToJson(Buffer.from([0, 255, 1])), '"AP8B"');
    assert.equal(cellToJson(['a', 'b']), '["a","b"]');
    assert.equal(cellToJson([]), '[]');
    assert.equal(cellToJson(new JsonText('{"a":12345678901234567890}')), '{"a":12345678901234567890}');
    assert.equal(cellToJson(new TimestampValue(1, 500000, 3)), '"1970-01-01T00:00:01.500Z"');
    assert.equal(cellToJson(new TimestampValue(0, 0, 0)), '"0000-00-00T00:00:00Z"');
    assert.equal(cellToJson(new TimestampValue(2147483647, 999999, 6)), '"2038-01-19T03:14:07.999999Z"');
    assert.equal(cellToJson(new Float32Array([1.1, -2.5, 0])), '[1.1,-2.5,0]');
    assert.equal(cellToJson(Number.NaN), '"NaN"');
  });

  it('prints the shortest float32 text that reads back the same', () => {
    assert.equal(float32ToString(Math.fround(3.14159)), '3.14159');
    assert.equal(float32ToString(Math.fround(1e-38)), '1e-38');
    assert.equal(Math.fround(Number(float32ToString(Math.fround(0.3)))), Math.fround(0.3));
  });

  it('prints a row with keys in column order and valid JSON', () => {
    const text = rowToJson({ id: 1, name: 'x', big: 9007199254740993n, doc: new JsonText('[1,2]') });
    assert.equal(text, '{"id":1,"name":"x","big":"9007199254740993","doc":[1,2]}');
    assert.deepEqual(JSON.parse(text), { id: 1, name: 'x', big: '9007199254740993', doc: [1, 2] });
    assert.equal(rowToJson(null), 'null');
  });
});

describe('tail --from', () => {
  it('accepts now, earliest, file:pos and gtid sets', () => {
    assert.deepEqual(parseFrom('now'), { kind: 'now' });
    assert.deepEqual(parseFrom('earliest'), { kind: 'earliest' });
    assert.deepEqual(parseFrom('mysql-bin.000003:1234'), { kind: 'file', file: 'mysql-bin.000003', pos: 1234 });
    assert.deepEqual(parseFrom('gtid:0-1-100,1-2-5'), { kind: 'gtid', gtidSet: '0-1-100,1-2-5' });
    assert.deepEqual(parseFrom('gtid:3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5'), { kind: 'gtid', gtidSet: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5' });
  });
  it('rejects anything else with a typed error', () => {
    assert.throws(() => parseFrom('yesterday'), (e: unknown) => e instanceof SluiceError && e.code === 'BAD_ARGUMENT');
    assert.throws(() => parseFrom('bin.000001:'), (e: unknown) => e instanceof SluiceError && e.code === 'BAD_ARGUMENT');
  });
});
