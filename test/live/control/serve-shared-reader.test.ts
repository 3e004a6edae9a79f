// `sluice serve` (one node, the embedded store) runs two pipelines of one source through one binlog reader: the
// source sees exactly one binlog dump connection; a pipeline paused and resumed (it joins the reader again,
// behind it) and a steady writer leave both targets identical to the source — every column, in order, with a
// key-less insert-only table as the witness of exactly-once; with both stopped, the reader is closed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServe, type RunningServe } from '../../../src/cli/serve.js';
import { createLogger } from '../../../src/log.js';
import { Store } from '../../../src/store/index.js';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { copiesIdentical, dumpConnections, duplicatedRows, seedShop, writeShop } from '../serve-helpers.js';

const ENV = { SLUICE_SECRET_KEY: 'shared-reader-test-key', SLUICE_ADMIN_PASSWORD: 'Shared-Reader-Pw-1' };

describe('sluice serve shares one binlog reader per source', () => {
  let db: MariaDbServer;
  let serve: RunningServe | null = null;
  const dir = mkdtempSync(join(tmpdir(), 'sluice-shared-reader-'));

  before(async () => {
    db = await startMariaDb();
    const store = await Store.open({ dataDir: dir, env: ENV });
    try { await seedShop(db, store, ['pa', 'pb']); } finally { await store.close(); }
  });

  after(async () => {
    await serve?.close();
    await db?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let seq = 0;
  const write = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await writeShop(db, ++seq);
      if (seq % 7 === 0) await db.query('DELETE FROM shop.a WHERE id = ?', [(seq * 3) % 25]);
    }
  };
  const dumps = (): Promise<number> => dumpConnections(db);
  const bothIdentical = (): Promise<boolean> => copiesIdentical(db, ['copy_pa', 'copy_pb']);

  it('reads the source once for both pipelines, through pause/resume and a steady writer, exactly once', async () => {
    await write(30);
    serve = await startServe({ dataDir: dir, port: 0, host: '127.0.0.1', uiDir: null, env: ENV,
      logger: createLogger('sluice', process.env.SLUICE_LOG_LEVEL ?? 'warn'), print: () => undefined, alerts: { flags: {} } });
    const m = serve.manager;
    await waitFor('both pipelines streaming', async () => (await m.status('pa')).state === 'streaming' && (await m.status('pb')).state === 'streaming', 60_000);
    await write(30);
    await waitFor('both copies identical to the source', bothIdentical, 30_000);
    assert.equal((await dumps()), 1, 'one binlog dump connection for the two pipelines of the source');

    // A steady writer while pb is paused and resumed (it rejoins the reader behind it) and pa goes on.
    let writing = true;
    const writer = (async () => { while (writing) { await write(1); await new Promise((r) => setTimeout(r, 10)); } })();
    await new Promise((r) => setTimeout(r, 500));
    await m.pause('pb');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await dumps()), 1, 'the reader goes on for pa');
    await m.resume('pb');
    await waitFor('pb streaming again', async () => (await m.status('pb')).state === 'streaming', 30_000);
    await new Promise((r) => setTimeout(r, 1000));
    writing = false;
    await writer;
    await waitFor('both copies identical after pause/resume', bothIdentical, 30_000);
    assert.equal((await dumps()), 1, 'still one binlog dump connection');
    assert.equal(await duplicatedRows(db, 'copy_pa') + await duplicatedRows(db, 'copy_pb'), 0, 'no row of the key-less table applied twice');
    console.log(`# ${seq} source transactions, both copies identical, one dump connection`);

    // Both stopped: the reader is closed.
    await m.stop('pa');
    await m.stop('pb');
    await waitFor('no binlog dump connection with no pipeline running', async () => (await dumps()) === 0, 10_000);
  });
});
