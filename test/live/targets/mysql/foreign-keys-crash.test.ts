// The ledger schema (foreign keys cascading three levels, ON UPDATE CASCADE, SET NULL, a trigger) synced by
// `sluice run` while a writer cascades on the source, with kill -9 of Sluice during the initial copy, while the
// stream catches up with it and while streaming, and a DDL while it runs. Every table ends identical.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { killHard, startSluice, type RunningSluice } from '../../sluice-cli-helpers.js';
import { eventually, tableRows } from '../../sync-helpers.js';
import { LEDGER_TABLES, createLedgerSchema, startLedgerWriter } from '../../real-schemas.js';

describe('foreign-key cascades survive kill -9', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;
  let child: RunningSluice | null = null;

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({}), startMariaDb({})]);
    await createLedgerSchema(source);
    dir = mkdtempSync(join(tmpdir(), 'sluice-fk-crash-'));
    writeFileSync(join(dir, 'sluice.yaml'), `
sources:
  s:
    type: mysql
    url: ${source.url}
targets:
  t:
    type: mysql
    url: ${target.url}
tuning:
  snapshotChunkSize: 150
  snapshotParallelism: 2
  batchSize: 200
pipelines:
  - name: ledger-crash
    source: s
    target: t
    tables: ["ledger.*"]
    targetDatabase: ledger_copy
`);
  });
  after(async () => {
    if (child) await killHard(child);
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function differences(): Promise<string[]> {
    const out: string[] = [];
    for (const t of LEDGER_TABLES) {
      const [a, b] = await Promise.all([tableRows(source, 'ledger', t), tableRows(target, 'ledger_copy', t).catch(() => null)]);
      if (b === null) out.push(`${t}: missing`);
      else if (a.length !== b.length || a.some((r, i) => r !== b[i])) out.push(`${t}: source ${a.length} rows, target ${b.length} rows`);
    }
    return out;
  }

  it('ends with every table identical', async () => {
    const writer = startLedgerWriter(source, 777);
    writer.allowKeyUpdates();
    const sluice = (): RunningSluice => startSluice(join(dir, 'sluice.yaml'), { SLUICE_LOG_LEVEL: 'warn' });
    let writes = 0;
    try {
      // Kills: early in the copy, later (copy or catch-up), while streaming.
      for (const ms of [250, 900, 2500]) {
        child = sluice();
        await new Promise((res) => setTimeout(res, ms));
        await killHard(child);
        child = null;
      }
      // A DDL while Sluice runs. (A DDL while it is down *during its initial copy* makes the restart refuse the
      // table as incompatible — a limit of the snapshot restart, not of foreign keys.)
      child = sluice();
      await eventually(async () => {
        const rows = await target.query<Array<{ state: string | null }>>("SELECT state FROM _sluice.checkpoints WHERE pipeline = 'ledger-crash'");
        return rows[0]?.state ? (JSON.parse(rows[0].state) as { phase?: string }).phase === 'stream' : false;
      }, 60_000, 'the copy to be done');
      await source.query("ALTER TABLE ledger.entry ADD COLUMN memo VARCHAR(20) NULL DEFAULT 'm' AFTER amount");
      await new Promise((res) => setTimeout(res, 1500));
      writes = await writer.stop();
      let last: string[] = [];
      await eventually(async () => (last = await differences()).length === 0, 90_000, 'every table identical')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}; sluice stderr: ${child?.stderr().slice(-2000) ?? ''}`); });
    } finally {
      await writer.stop().catch(() => 0);
    }
    assert.ok(writes > 100, `the writer made ${writes} changes`);
  });
});
