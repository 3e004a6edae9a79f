// Reconnect: a writer commits thousands of single-row transactions while a BinlogSource reads; the server
// is SIGKILLed and restarted twice and the dump thread is killed once. The stream must equal exactly what
// the server committed — nothing lost, nothing repeated, aborted transactions absent. A second test cuts
// the connection while a large transaction is being delivered in parts: no part is delivered twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, type Connection } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { BinlogSource } from '../../../src/source/binlog-source.js';
import type { Cell, Row } from '../../../src/core/cell.js';
import type { SourceMessage, TransactionMessage } from '../../../src/core/types.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function num(v: Cell | undefined): number {
  assert.equal(typeof v, 'number', `expected a number, got ${String(v)}`);
  return v as number;
}

/** Kills the server's Binlog Dump thread(s); waits (up to 20 s) until one exists. Returns how many were killed. */
async function killDumpThread(server: MariaDbServer): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await server.query<Array<{ Id: number; Command: string }>>('SHOW PROCESSLIST');
    const dumps = rows.filter((r) => r.Command === 'Binlog Dump');
    if (dumps.length > 0) {
      for (const d of dumps) await server.query(`KILL ${d.Id}`);
      return dumps.length;
    }
    if (Date.now() > deadline) throw new Error('no Binlog Dump thread appeared within 20 s');
    await sleep(50);
  }
}

async function connectRetry(server: MariaDbServer, timeoutMs = 60_000): Promise<Connection> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await createConnection({ host: server.host, port: server.port, user: 'root' });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

// The source's next() must not be called twice concurrently: keep the one pending promise per source.
const inflight = new WeakMap<BinlogSource, Promise<SourceMessage | null>>();
function pendingNext(source: BinlogSource): Promise<SourceMessage | null> {
  let p = inflight.get(source);
  if (!p) {
    p = source.next().finally(() => inflight.delete(source));
    inflight.set(source, p);
  }
  return p;
}

/** Pulls messages until `stop()` is true (checked after each message and every second) or the deadline passes. */
async function pump(source: BinlogSource, onMessage: (m: SourceMessage) => void | Promise<void>, stop: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!stop()) {
    if (Date.now() > deadline) throw new Error(`reader timed out after ${timeoutMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    const m = await Promise.race([
      pendingNext(source),
      new Promise<'tick'>((r) => { timer = setTimeout(() => r('tick'), 1000); }),
    ]).finally(() => clearTimeout(timer));
    if (m === 'tick') continue;
    if (m === null) throw new Error('source closed early');
    await onMessage(m);
  }
}

interface Entry { seq: number; id: number; counter: number; op: string }


const OP_LETTER = { insert: 'i', update: 'u', delete: 'd' } as const;

describe('reconnect: kills and restarts mid-stream', () => {
  let server: MariaDbServer;
  const sources: BinlogSource[] = [];
  before(async () => {
    server = await startMariaDb();
    await server.query('CREATE DATABASE rc');
    await server.query('CREATE TABLE rc.kv (id INT PRIMARY KEY, counter INT NOT NULL, pad VARCHAR(64) NOT NULL)');
    await server.query('CREATE TABLE rc.log (seq INT PRIMARY KEY, id INT NOT NULL, counter INT NOT NULL, op CHAR(1) NOT NULL)');
    await server.query('CREATE TABLE rc.big (id INT PRIMARY KEY, pad VARCHAR(4000) NOT NULL)');
  });
  after(async () => {
    for (const s of sources) await s.close();
    await server?.stop();
  });

  it('delivers exactly the committed transactions across 2 SIGKILL+restart and 1 dump-thread kill', async (t) => {
    const TOTAL = 3000;
    const ABORT_AT = 700; // SIGKILL with this transaction open (never committed)
    const DUMP_KILL_AT = 1500; // KILL the Binlog Dump thread
    const ASYNC_KILL_AT = 2300; // SIGKILL at an arbitrary moment while the writer runs

    const [status] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const source = new BinlogSource({
      url: server.url, start: { kind: 'file', file: status!.File, pos: Number(status!.Position) },
      filter: (db) => db === 'rc', reconnect: { baseDelayMs: 100, maxDelayMs: 1000 }, heartbeatSeconds: 1,
    });
    sources.push(source);

    const streamed: Entry[] = [];
    const problems: string[] = [];
    let writerDone = false;
    let lastCommitted = -1;
    const reader = pump(source, (m) => {
      if (m.kind !== 'transaction') return;
      if (!m.last || m.part !== 0) problems.push(`seq after ${streamed.at(-1)?.seq}: unexpected part ${m.part} last=${m.last}`);
      const kv = m.changes.filter((c) => c.table === 'kv');
      const log = m.changes.filter((c) => c.table === 'log');
      if (kv.length !== 1 || log.length !== 1 || log[0]!.op !== 'insert') {
        problems.push(`transaction with ${kv.length} kv and ${log.length} log changes after seq ${streamed.at(-1)?.seq}`);
        return;
      }
      const row: Row = (kv[0]!.after ?? kv[0]!.before)!;
      const l = log[0]!.after!;
      const e: Entry = { seq: num(l['seq']), id: num(row['id']), counter: num(row['counter']), op: OP_LETTER[kv[0]!.op] };
      if (num(l['id']) !== e.id || num(l['counter']) !== e.counter || l['op'] !== e.op) {
        problems.push(`seq ${e.seq}: log row ${JSON.stringify(l)} does not match kv change ${JSON.stringify(e)}`);
      }
      streamed.push(e);
    }, () => writerDone && streamed.length > 0 && streamed.at(-1)!.seq >= lastCommitted, 150_000);
    let readerError: unknown = null;
    reader.catch((err: unknown) => { readerError = err; });

    // The writer.
    const random = seededRandom(20240611);
    let conn = await connectRetry(server);
    const live: number[] = [];
    let nextId = 1;
    const acked: number[] = [];
    let background: Promise<void> | null = null;
    let writerErrors = 0;
    for (let seq = 1; seq <= TOTAL; seq++) {
      if (readerError) break;
      if (seq === DUMP_KILL_AT) assert.ok((await killDumpThread(server)) >= 1);
      if (seq === ASYNC_KILL_AT) {
        background = (async () => {
          await sleep(Math.floor(random() * 40));
          await server.kill();
          await sleep(200);
          await server.restart();
        })();
      }
      const r = random();
      let op: 'i' | 'u' | 'd';
      let id: number;
      if (live.length < 10 || (r < 0.2 && live.length < 200)) {
        op = 'i';
        id = nextId++;
      } else {
        id = live[Math.floor(random() * live.length)]!;
        op = r < 0.9 ? 'u' : 'd';
      }
      const logSql = `INSERT INTO rc.log SELECT ${seq}, id, counter, '${op}' FROM rc.kv WHERE id = ${id}`;
      try {
        await conn.query('BEGIN');
        if (op === 'i') {
          await conn.query('INSERT INTO rc.kv VALUES (?, 0, ?)', [id, `row ${id} ${'x'.repeat(id % 40)}`]);
          await conn.query(logSql);
        } else if (op === 'u') {
          await conn.query('UPDATE rc.kv SET counter = counter + 1 WHERE id = ?', [id]);
          await conn.query(logSql);
        } else {
          await conn.query(logSql);
          await conn.query('DELETE FROM rc.kv WHERE id = ?', [id]);
        }
        if (seq === ABORT_AT) {
          await server.kill();
          await server.restart();
        }
        await conn.query('COMMIT');
        acked.push(seq);
        if (op === 'i') live.push(id);
        else if (op === 'd') live.splice(live.indexOf(id), 1);
      } catch {
        writerErrors++;
        conn.destroy();
        conn = await connectRetry(server);
        // The commit may or may not have happened: re-read the live keys.
        const rows = await conn.query('SELECT id FROM rc.kv ORDER BY id');
        live.length = 0;
        for (const row of rows[0] as Array<{ id: number }>) {
          live.push(row.id);
          nextId = Math.max(nextId, row.id + 1);
        }
      }
    }
    await background;
    const [committedRows] = await conn.query('SELECT seq, id, counter, op FROM rc.log ORDER BY seq');
    conn.destroy();
    const committed = (committedRows as Entry[]).map((e) => ({ seq: e.seq, id: e.id, counter: e.counter, op: e.op }));
    lastCommitted = committed.at(-1)!.seq;
    writerDone = true;
    await reader;
    if (readerError) throw readerError;

    // Sanity of the scenario itself.
    const committedSeqs = new Set(committed.map((e) => e.seq));
    assert.ok(writerErrors >= 2, `the kills should have interrupted the writer (errors: ${writerErrors})`);
    assert.ok(!committedSeqs.has(ABORT_AT), 'the transaction open at the SIGKILL must not be committed');
    for (const s of acked) assert.ok(committedSeqs.has(s), `acknowledged commit ${s} missing from rc.log`);
    assert.ok(committed.length >= TOTAL - 10, `committed ${committed.length}`);

    // The property: the stream is exactly the committed history, in order.
    assert.deepEqual(problems, []);
    const seqs = streamed.map((e) => e.seq);
    const dup = seqs.filter((s, i) => i > 0 && s <= seqs[i - 1]!);
    assert.deepEqual(dup, [], 'sequence numbers out of order or repeated');
    assert.equal(streamed.length, committed.length, 'number of transactions streamed vs committed');
    assert.deepEqual(streamed, committed);
    assert.ok(source.reconnects >= 3, `reconnects: ${source.reconnects}`);
    t.diagnostic(`committed ${committed.length} of ${TOTAL}, writer errors ${writerErrors}, reconnects ${source.reconnects}`);
  });

  it('does not deliver again the parts of a large transaction delivered before a dropped connection', async () => {
    const [status] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const source = new BinlogSource({
      url: server.url, start: { kind: 'file', file: status!.File, pos: Number(status!.Position) },
      filter: (db, t) => db === 'rc' && t === 'big', reconnect: { baseDelayMs: 100 },
      maxChangesPerPart: 100, maxBufferedBytes: 64 * 1024,
    });
    sources.push(source);
    await server.query(`INSERT INTO rc.big SELECT seq, REPEAT(CHAR(65 + seq % 26), 3000) FROM rc.seq_1_to_5000`);
    await server.query(`INSERT INTO rc.big VALUES (5001, 'after')`);

    const parts: TransactionMessage[] = [];
    let killedAfterPart = -1;
    let reconnectsBefore = 0;
    let reconnectsAtLast = -1;
    await pump(source, async (m) => {
      if (m.kind !== 'transaction') return;
      parts.push({ ...m, changes: m.changes });
      if (m.part === 10 && killedAfterPart < 0 && !m.last) {
        killedAfterPart = 10;
        reconnectsBefore = source.reconnects;
        await killDumpThread(server);
        await sleep(300);
      }
      if (m.last && m.part > 0) reconnectsAtLast = source.reconnects;
    }, () => parts.some((p) => p.changes.some((c) => c.after?.['id'] === 5001)), 50_000);

    assert.equal(killedAfterPart, 10);
    assert.ok(reconnectsAtLast > reconnectsBefore, `the connection was dropped during the delivery (reconnects ${reconnectsBefore} → ${reconnectsAtLast})`);
    const big = parts.filter((p) => p.changes.length !== 1 || p.changes[0]!.after?.['id'] !== 5001);
    // Parts 0…k each once, in order. When 5000 is a multiple of the part size the assembler closes the
    // transaction with an empty last part (allowed by the message contract).
    assert.deepEqual(big.map((p) => p.part), Array.from({ length: big.length }, (_, i) => i), 'parts numbered 0…k, each once');
    assert.ok(big.length === 50 || (big.length === 51 && big[50]!.changes.length === 0), `${big.length} parts`);
    assert.ok(big.every((p) => p.changes.length <= 100));
    assert.deepEqual(big.map((p) => p.last), [...Array<boolean>(big.length - 1).fill(false), true]);
    const ids = big.flatMap((p) => p.changes.map((c) => c.after?.['id']));
    assert.equal(ids.length, 5000);
    assert.deepEqual(ids, Array.from({ length: 5000 }, (_, i) => i + 1));
    const gtids = new Set(big.map((p) => p.gtid));
    assert.equal(gtids.size, 1, 'all parts carry the same GTID');
    const tail = parts.filter((p) => !big.includes(p));
    assert.equal(tail.length, 1, 'the following transaction arrives once');
  });

  it('does not lose a DDL whose schema reload fails because the server died', async () => {
    await server.query('CREATE TABLE rc.ddl (id INT PRIMARY KEY)');
    const [status] = await server.query<Array<{ File: string; Position: number }>>('SHOW MASTER STATUS');
    const source = new BinlogSource({
      url: server.url, start: { kind: 'file', file: status!.File, pos: Number(status!.Position) },
      filter: (db, t) => db === 'rc' && t === 'ddl', reconnect: { baseDelayMs: 100 },
    });
    sources.push(source);
    await server.query('INSERT INTO rc.ddl VALUES (1)');
    const first = await source.next();
    assert.ok(first?.kind === 'transaction', 'the first insert (the table is now known to the schema history)');
    // These events reach the session's buffer; the server dies before the source handles them, so
    // the schema reload for the ALTER cannot reach the server.
    await server.query('ALTER TABLE rc.ddl ADD COLUMN v INT');
    await server.query('INSERT INTO rc.ddl VALUES (2, 20)');
    await sleep(300);
    await server.kill();
    const restarting = (async () => { await sleep(500); await server.restart(); })();
    const got: SourceMessage[] = [];
    try {
      await pump(source, (m) => { if (m.kind !== 'heartbeat') got.push(m); }, () => got.some((m) => m.kind === 'transaction'), 30_000);
    } finally {
      await restarting;
    }
    assert.deepEqual(got.map((m) => m.kind), ['ddl', 'transaction'], 'the ALTER, then the insert');
    const ins = got[1] as TransactionMessage;
    assert.deepEqual(ins.changes[0]!.after, { id: 2, v: 20 });
  });
});
