// The read-only guard (`sluice guard`): triggers on the copied tables refuse writes by anyone but Sluice's
// connections; the pipeline keeps applying, verify --repair still repairs; `--off` removes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { createLogger } from '../../../src/log.js';
import { parseConfig } from '../../../src/config/index.js';
import { eventually } from '../sync-helpers.js';
import { runCli } from '../sluice-cli-helpers.js';

describe('sluice guard', () => {
  let source: MariaDbServer;
  let target: MariaDbServer;
  let dir: string;
  let file: string;
  let run: Promise<void>;
  const controller = new AbortController();

  before(async () => {
    [source, target] = await Promise.all([startMariaDb({ serverId: 91 }), startMariaDb({ serverId: 92 })]);
    await source.query("CREATE DATABASE shop; CREATE TABLE shop.t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO shop.t SELECT seq, CONCAT('v', seq) FROM shop.seq_1_to_20;");
    dir = await mkdtemp(join(tmpdir(), 'sluice-guard-'));
    file = join(dir, 'sluice.yaml');
    const yaml = `sources:\n  src:\n    type: mysql\n    url: ${source.url}\ntargets:\n  dst:\n    type: mysql\n    url: ${target.url}\n`
      + 'pipelines:\n  - name: p1\n    source: src\n    target: dst\n    tables: ["shop.*"]\n    targetDatabase: copy\n';
    await writeFile(file, yaml);
    const cfg = parseConfig(yaml, { format: 'yaml' });
    const p = cfg.pipelines[0]!;
    const pipeline = new Pipeline({ config: p, source: cfg.sources[p.source]!, target: cfg.targets[p.target]!, logger: createLogger('test', 'error') });
    run = pipeline.run(controller.signal);
    await eventually(async () => pipeline.stats.status === 'streaming', 60_000, 'the pipeline to stream');
  });
  after(async () => {
    controller.abort();
    await run?.catch(() => undefined);
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses writes by others, lets the pipeline and verify --repair write, and comes off again', async () => {
    const on = await runCli(['guard', '--config', file], {}, 60_000);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /p1: guarded 1 table\(s\): copy\.t/);
    for (const sql of ["UPDATE copy.t SET v = 'x' WHERE id = 1", "INSERT INTO copy.t VALUES (999, 'x')", 'DELETE FROM copy.t WHERE id = 2']) {
      await assert.rejects(target.query(sql), /copy\.t is a read-only copy kept by Sluice pipeline p1/, sql);
    }
    // The stream still applies.
    await source.query("UPDATE shop.t SET v = 'new' WHERE id = 3; INSERT INTO shop.t VALUES (21, 'v21'); DELETE FROM shop.t WHERE id = 4");
    await eventually(async () => {
      const rows = await target.query<Array<{ id: number; v: string }>>('SELECT id, v FROM copy.t WHERE id IN (3, 4, 21) ORDER BY id');
      return JSON.stringify(rows) === JSON.stringify([{ id: 3, v: 'new' }, { id: 21, v: 'v21' }]);
    }, 30_000, 'the stream to apply through the guard');
    // A deliberate drift (a session that claims to be Sluice), repaired by verify through the guard.
    await target.query("SET @sluice_writer = 1; UPDATE copy.t SET v = 'DRIFTED' WHERE id = 5; SET @sluice_writer = NULL");
    const repair = await runCli(['verify', '--config', file, '--repair'], {}, 60_000);
    assert.equal(repair.code, 1, repair.stderr);
    assert.match(repair.stdout, /repaired 1, re-check: equal/);
    const off = await runCli(['guard', '--config', file, '--off'], {}, 60_000);
    assert.equal(off.code, 0, off.stderr);
    await target.query("UPDATE copy.t SET v = 'free' WHERE id = 1");
    const triggers = await target.query<unknown[]>("SELECT 1 FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'copy'");
    assert.equal(triggers.length, 0);
  });
});
