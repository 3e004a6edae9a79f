import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinlogDecoder } from '../../../../src/mysql/binlog/decoder.js';
import { JsonText } from '../../../../src/core/cell.js';

/** A checksum-less v4 event: 19-byte header + body. */
function event(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(19);
  h.writeUInt32LE(1700000000, 0);
  h[4] = type;
  h.writeUInt32LE(1, 5);
  h.writeUInt32LE(19 + body.length, 9);
  return Buffer.concat([h, body]);
}

const tableMap = event(19, Buffer.from([
  7, 0, 0, 0, 0, 0, 0, 0, // table id 7, flags
  1, 0x64, 0, 1, 0x74, 0, // "d", "t"
  2, 3, 245, // 2 columns: LONG, JSON
  1, 4, // metadata: JSON length bytes 4
  0x02, // nullable: JSON
]));

// {"age":24} in MySQL binary JSON (small object, int16 inlined)
const json24 = Buffer.from('00' + '0100' + '0e00' + '0b000300' + '051800' + '616765', 'hex');
const diff = Buffer.concat([Buffer.from([0, 5]), Buffer.from('$.age'), Buffer.from([3, 5, 26, 0])]);

function partialRows(withJsonBefore: boolean): Buffer {
  const len4 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
  const before = withJsonBefore
    ? Buffer.concat([Buffer.from([0x00, 1, 0, 0, 0]), len4(json24.length), json24])
    : Buffer.from([0x00, 1, 0, 0, 0]);
  return event(39, Buffer.concat([
    Buffer.from([7, 0, 0, 0, 0, 0, 1, 0, 2, 0, 2, withJsonBefore ? 0x03 : 0x01, 0x03]),
    before,
    Buffer.from([1, 0x01]), // value_options PARTIAL_JSON_UPDATES, partial bits: the JSON column
    Buffer.from([0x00, 1, 0, 0, 0]), len4(diff.length), diff,
  ]));
}

test('PARTIAL_UPDATE_ROWS: JSON diffs are applied to the before image', () => {
  const d = new BinlogDecoder();
  d.decode(tableMap);
  const ev = d.decode(partialRows(true));
  assert.ok(ev.kind === 'rows' && ev.partial === true && ev.op === 'update');
  const row = ev.rows[0]!;
  assert.ok(row.before!['@2'] instanceof JsonText);
  assert.deepEqual(JSON.parse((row.before!['@2'] as JsonText).text), { age: 24 });
  assert.ok(row.after!['@2'] instanceof JsonText);
  assert.deepEqual(JSON.parse((row.after!['@2'] as JsonText).text), { age: 26 });
  assert.equal(row.partialJson, undefined);
});

test('PARTIAL_UPDATE_ROWS with a MINIMAL before image: diffs reported, column absent from after', () => {
  const d = new BinlogDecoder();
  d.decode(tableMap);
  const ev = d.decode(partialRows(false));
  assert.ok(ev.kind === 'rows');
  const row = ev.rows[0]!;
  assert.deepEqual(row.before, { '@1': 1 });
  assert.deepEqual(Object.keys(row.after!), ['@1']);
  const diffs = row.partialJson?.['@2'];
  assert.equal(diffs?.length, 1);
  assert.equal(diffs[0]!.op, 'replace');
  assert.equal(diffs[0]!.path, '$.age');
  assert.equal(diffs[0]!.value?.text, '26');
});
