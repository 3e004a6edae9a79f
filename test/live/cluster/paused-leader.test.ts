// The paused leader: three `sluice serve` nodes on a shared store; the node that owns the pipeline is stopped
// (SIGSTOP) for longer than its lease while a writer goes on; another node takes the pipeline over with a higher
// epoch; the old node is woken (SIGCONT) with its batch still in hand. Its writes must be refused by the epoch
// check in the target transaction, it must let go of the pipeline, and the key-less insert-only table must end
// with every source row exactly once. Also: SIGTERM of the owner hands the pipeline over in about a second.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TUNING } from '../../../src/config/index.js';
import { Store } from '../../../src/store/index.js';
import { startMariaDb, startServeNode, type MariaDbServer, type ServeNode } from '../../../src/testkit/index.js';
import { waitFor } from '../../helpers/wait-for.js';

const ENV = { SLUICE_SECRET_KEY: 'paused-leader-key', SLUICE_ADMIN_PASSWORD: 'Paused-Leader-Pw-1' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Rows of the large transaction, numbered apart from the writer's. */
const BULK = 300_000;
const BULK_FROM = 10_000_000;

describe('cluster: a paused leader is fenced', () => {
  let db: MariaDbServer;
  let storeUrl: string;
  const nodes = new Map<string, ServeNode>();
  const dirs: string[] = [];

  before(async () => {
    db = await startMariaDb();
    await db.query('CREATE DATABASE shop');
    await db.query('CREATE DATABASE sluice_store');
    await db.query('CREATE TABLE shop.audit (seq BIGINT NOT NULL, note VARCHAR(40) NOT NULL)');
    storeUrl = `mysql://root@127.0.0.1:${db.port}/sluice_store`;
    const d = mkdtempSync(join(tmpdir(), 'sluice-paused-'));
    dirs.push(d);
    const store = await Store.open({ dataDir: d, url: storeUrl, env: ENV });
    const ep = { type: 'mariadb' as const, host: '127.0.0.1', port: db.port, user: 'root', password: '', options: {} };
    await store.putEndpoint({ kind: 'source', name: 'src', ...ep });
    await store.putEndpoint({ kind: 'target', name: 'tgt', ...ep });
    await store.putPipeline({ name: 'watched', source: 'src', target: 'tgt', tables: ['shop.audit'], exclude: [], targetDatabase: 'copy', snapshot: 'initial', ddl: 'apply',
      tuning: { ...DEFAULT_TUNING } }, 'running');
    await store.close();
    for (const id of ['n1', 'n2', 'n3']) nodes.set(id, await startServeNode(storeUrl, id, ENV, 'info'));
  });

  after(async () => {
    for (const n of nodes.values()) { n.child.kill('SIGCONT'); await n.kill(); }
    await db?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const owner = async (): Promise<{ owner: string; epoch: number } | null> => {
    const rows = await db.query<Array<{ owner: string | null; epoch: number; live: number }>>(
      "SELECT owner, epoch, expires_at > CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS UNSIGNED) AS live FROM sluice_store.leases WHERE name LIKE '%watched'");
    const r = rows[0];
    return r && r.owner !== null && Number(r.live) === 1 ? { owner: r.owner, epoch: Number(r.epoch) } : null;
  };
  const copied = async (): Promise<number> => Number((await db.query<Array<{ m: number | null }>>('SELECT MAX(seq) AS m FROM copy.audit').catch(() => [{ m: 0 }]))[0]!.m ?? 0);

  it('takes over from a stopped owner, fences it when it wakes, applies every row once; SIGTERM hands over at once', async () => {
    let seq = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        seq++;
        await db.query('INSERT INTO shop.audit VALUES (?, ?)', [seq, `row ${seq}`]);
        await sleep(5);
      }
    })();
    try {
      await waitFor('the pipeline to stream', async () => (await copied()) > 0, 60_000);
      const first = (await waitFor('an owner', owner, 30_000))!;
      const old = nodes.get(first.owner)!;
      // Stopped while it applies a large source transaction in parts: its target transaction stays open and holds
      // the checkpoint row, which the new owner must get past (it used to wait forever).
      await db.query(`INSERT INTO shop.audit SELECT ${BULK_FROM} + seq, CONCAT('bulk ', seq) FROM shop.seq_1_to_${BULK}`);
      await sleep(800);
      old.child.kill('SIGSTOP');
      const stoppedAt = Date.now();
      const next = (await waitFor('another node to own the pipeline', async () => {
        const o = await owner();
        return o && o.owner !== first.owner ? o : null;
      }, 30_000))!;
      assert.ok(next.epoch > first.epoch, `the epoch rose (${first.epoch} → ${next.epoch})`);
      const atTakeover = seq;
      await waitFor('the new owner to apply', async () => (await copied()) > atTakeover, 30_000);
      await sleep(Math.max(0, 8000 - (Date.now() - stoppedAt)));
      old.child.kill('SIGCONT');
      // The old node notices (its lease renewal fails, its reader slot's deadline passed, or the target refuses its
      // write) and stops that pipeline.
      await waitFor('the old node to let go of the pipeline', async () => /FENCED|lease not renewed|lost the lease|reader slot lost/.test(old.logs()), 30_000)
        .catch((err: unknown) => { throw new Error(`${String(err)}\n${old.logs().slice(-4000)}`); });
      await sleep(2000);

      // A clean stop of the owner hands the pipeline over quickly.
      const cur = (await waitFor('an owner', owner, 30_000))!;
      const termAt = Date.now();
      nodes.get(cur.owner)!.child.kill('SIGTERM');
      await nodes.get(cur.owner)!.exited;
      nodes.delete(cur.owner);
      await waitFor('another owner after SIGTERM', async () => { const o = await owner(); return o && o.owner !== cur.owner ? o : null; }, 15_000, 50);
      const handover = (Date.now() - termAt) / 1000;
      console.log(`# paused leader: taken over after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s of pause; SIGTERM handover ${handover.toFixed(2)} s`);
      assert.ok(handover < 3, `SIGTERM handover took ${handover} s`);
    } finally {
      writing = false;
      await writer;
    }
    const total = seq + BULK;
    await waitFor('the copy to catch up', async () => Number((await db.query<Array<{ n: number }>>('SELECT COUNT(*) AS n FROM copy.audit'))[0]!.n) >= total, 60_000);
    await sleep(1500);
    const [r] = await db.query<Array<{ n: number; d: number; lost: number }>>(`SELECT (SELECT COUNT(*) FROM copy.audit) AS n,
      (SELECT COUNT(*) FROM (SELECT seq FROM copy.audit GROUP BY seq HAVING COUNT(*) > 1) x) AS d,
      (SELECT COUNT(*) FROM shop.audit s WHERE NOT EXISTS (SELECT 1 FROM copy.audit c WHERE c.seq = s.seq)) AS lost`);
    assert.equal(Number(r!.lost), 0, 'no row lost');
    assert.equal(Number(r!.d), 0, 'no row applied twice');
    assert.equal(Number(r!.n), total, 'exactly the source rows');
  });
});
