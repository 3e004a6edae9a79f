import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BinlogDecoder } from '../../../../src/mysql/binlog/decoder.js';
import { EventType } from '../../../../src/mysql/binlog/event-types.js';
import { SluiceError } from '../../../../src/errors.js';
import { FIXTURES, SKIP } from '../../../fixtures/fixture-files.js';
import { startMariaDb } from '../../../../src/testkit/mariadb-server.js';
import { seededRandom } from '../../../helpers/seeded-random.js';


interface Sample { name: string; file: Buffer; fde: [number, number]; events: Array<[number, number]> }

/** Event boundaries of a binlog file (raw framing, no decoding). */
function sample(name: string, file: Buffer): Sample | null {
  const events: Array<[number, number]> = [];
  let p = 4;
  while (p + 19 <= file.length) {
    const size = file.readUInt32LE(p + 9);
    if (size < 19 || p + size > file.length) break;
    events.push([p, size]);
    p += size;
  }
  if (events.length === 0 || file[events[0]![0] + 4] !== EventType.FORMAT_DESCRIPTION) return null;
  return { name, file, fde: events[0]!, events };
}

export interface FuzzStats { decodes: number; ok: number; typed: Record<string, number>; internal: number; maxMs: number }

/** Mutate each sample's events `rounds` times and decode; only SluiceErrors may escape. */
export function fuzz(samples: Sample[], rounds: number, seed: number): FuzzStats {
  const rnd = seededRandom(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const stats: FuzzStats = { decodes: 0, ok: 0, typed: {}, internal: 0, maxMs: 0 };
  const internalMsgs = new Set<string>();
  for (const s of samples) {
    // prime a decoder: FDE + table maps, without checksum checks so mutations reach the body decoders
    const d = new BinlogDecoder({ verifyChecksum: false });
    for (const [o, l] of s.events) { try { d.decode(s.file, o, l); } catch { /* corrupt fixtures */ } }
    for (let round = 0; round < rounds; round++) {
      for (const [o, l] of s.events.slice(1)) {
        const ev = Buffer.from(s.file.subarray(o, o + l));
        let buf = ev;
        switch (int(5)) {
          case 0: { const n = 1 + int(4); for (let i = 0; i < n; i++) { const k = int(buf.length); buf[k] = buf[k]! ^ (1 << int(8)); } break; }
          case 1: { const n = 1 + int(8); for (let i = 0; i < n; i++) buf[19 + int(Math.max(1, buf.length - 19)) % buf.length] = int(256); break; }
          case 2: { const cut = 19 + int(Math.max(1, buf.length - 19)); buf = buf.subarray(0, Math.min(cut, buf.length)); buf.writeUInt32LE(buf.length, 9); break; }
          case 3: { const at = 19 + int(Math.max(1, buf.length - 19)); const fill = int(2) ? 0xff : 0x00; buf.fill(fill, Math.min(at, buf.length), Math.min(buf.length, at + 1 + int(8))); break; }
          default: { const extra = Buffer.alloc(1 + int(16)); for (let i = 0; i < extra.length; i++) extra[i] = int(256);
            const at = 19 + int(Math.max(1, buf.length - 19)); buf = Buffer.concat([buf.subarray(0, at), extra, buf.subarray(at)]); buf.writeUInt32LE(buf.length, 9); }
        }
        const t0 = performance.now();
        stats.decodes++;
        try {
          d.decode(buf, 0, buf.length);
          stats.ok++;
        } catch (err) {
          if (!(err instanceof SluiceError)) {
            assert.fail(`${s.name} @${o}: non-typed error ${String(err)}\n${(err as Error).stack ?? ''}`);
          }
          stats.typed[err.code] = (stats.typed[err.code] ?? 0) + 1;
          if (err.details['internal'] === true) { stats.internal++; internalMsgs.add(err.message.slice(0, 160)); }
        }
        const ms = performance.now() - t0;
        if (ms > stats.maxMs) stats.maxMs = ms;
        if (buf[4] === EventType.FORMAT_DESCRIPTION || int(50) === 0) {
          // restore a sane format description after a mutated one
          try { d.decode(s.file, s.fde[0], s.fde[1]); } catch { /* ignore */ }
        }
      }
    }
  }
  if (internalMsgs.size > 0) console.log(`fuzz: ${stats.internal} internal errors wrapped as CORRUPT_EVENT, e.g.:\n  ${[...internalMsgs].slice(0, 8).join('\n  ')}`);
  return stats;
}

function fixtureSamples(): Sample[] {
  const out: Sample[] = [];
  for (const dir of ['mysql8', 'mysql57', 'mariadb', 'corrupt']) {
    for (const f of readdirSync(join(FIXTURES, dir))) {
      const s = sample(`${dir}/${f}`, readFileSync(join(FIXTURES, dir, f)));
      if (s) out.push(s);
    }
  }
  return out;
}

test('fuzz: mutated fixture events raise only typed errors, quickly', { skip: SKIP, timeout: 300_000 }, () => {
  const samples = fixtureSamples();
  const events = samples.reduce((n, s) => n + s.events.length - 1, 0);
  const rounds = Math.max(4, Math.ceil(20_000 / events));
  const stats = fuzz(samples, rounds, 0x5eed);
  console.log(`fuzz(fixtures): ${stats.decodes} decodes of ${events} events, ok ${stats.ok}, errors ${JSON.stringify(stats.typed)}, internal ${stats.internal}, max ${stats.maxMs.toFixed(1)} ms`);
  assert.ok(stats.decodes >= 20_000);
  assert.ok(stats.maxMs < 2000, `slowest decode ${stats.maxMs} ms`);
  assert.ok(Object.keys(stats.typed).length >= 2);
});

test('fuzz: mutated live MariaDB events (compressed rows and queries)', { timeout: 300_000 }, async () => {
  const srv = await startMariaDb({ logBinCompress: true, binlogRowMetadata: 'FULL' });
  try {
    await srv.query('CREATE DATABASE fz');
    await srv.query('CREATE TABLE fz.t (id INT PRIMARY KEY, s VARCHAR(200), j TEXT, d DECIMAL(10,2), ts DATETIME(3))');
    for (let i = 0; i < 20; i++) {
      await srv.query('INSERT INTO fz.t VALUES (?, ?, ?, ?, ?)', [i, 'x'.repeat(i * 7), `{"k":${i}}`.repeat(5), i * 1.5, '2024-01-02 03:04:05.678']);
    }
    await srv.query("UPDATE fz.t SET s = CONCAT(s, 'yyyyyyyyyyyy') WHERE id < 10");
    await srv.query('DELETE FROM fz.t WHERE id >= 15');
    await srv.query('FLUSH BINARY LOGS');
    const files = readdirSync(srv.datadir).filter((f) => /^bin\.\d+$/.test(f)).sort();
    const samples = files.map((f) => sample(f, readFileSync(join(srv.datadir, f)))).filter((s): s is Sample => s !== null);
    const types = new Set(samples.flatMap((s) => s.events.map(([o]) => s.file[o + 4]!)));
    assert.ok(types.has(EventType.MARIADB_QUERY_COMPRESSED), `types ${[...types].join(',')}`);
    const stats = fuzz(samples, 60, 0xbeef);
    console.log(`fuzz(mariadb): ${stats.decodes} decodes, ok ${stats.ok}, errors ${JSON.stringify(stats.typed)}, internal ${stats.internal}, max ${stats.maxMs.toFixed(1)} ms`);
    assert.ok(stats.decodes >= 2000);
    assert.ok(stats.maxMs < 2000);
  } finally {
    await srv.stop();
  }
});
