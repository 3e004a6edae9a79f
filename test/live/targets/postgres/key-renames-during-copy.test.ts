// Primary-key renames of referenced rows during the initial copy, MariaDB → PostgreSQL through the pipeline (a newcomer
// review's repro, smaller): suppliers with a composite string key (CHAR(2), VARCHAR), one contact each referencing it
// ON UPDATE CASCADE ON DELETE CASCADE, a filler table and small chunks so that the copy takes a while, and a loop that
// renames suppliers (code = CONCAT(code, 'x')) while it runs. The source cascades each rename into the contact inside
// InnoDB (not in the binlog). At the end every table on PostgreSQL must hold exactly the source's rows, by value:
// no stale supplier with an old key, no contact removed by the orphan sweep.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { Pipeline } from '../../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../../src/config/index.js';
import { createLogger } from '../../../../src/log.js';
import { eventually } from '../../sync-helpers.js';
import { createPgDatabase, type PgTestDatabase } from './pg-test-helpers.js';

const PARENTS = Number(process.env.SLUICE_REPRO_PARENTS ?? 500);
const FILLER = Number(process.env.SLUICE_REPRO_FILLER ?? 8000);
const CHUNK = Number(process.env.SLUICE_REPRO_CHUNK ?? 50);

/** Columns compared per table (as text on both sides; the rows compared sorted, in the same order). */
const TABLES: Record<string, string[]> = {
  supplier: ['country', 'code', 'n', 'name'],
  contact: ['id', 'country', 'code', 'email'],
  filler: ['id', 'pad'],
};
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

describe('PostgreSQL target: primary-key renames of referenced rows during the initial copy', () => {
  let source: MariaDbServer;
  let db: PgTestDatabase;
  const log = createLogger('test', process.env.SLUICE_LOG_LEVEL ?? 'warn');

  before(async () => {
    [source, db] = await Promise.all([startMariaDb({}), createPgDatabase()]);
    await source.query(`CREATE DATABASE rp; USE rp;
      CREATE TABLE supplier (country CHAR(2) NOT NULL, code VARCHAR(200) NOT NULL, n INT NOT NULL, name VARCHAR(40) NOT NULL,
        PRIMARY KEY (country, code), KEY (n)) ENGINE=InnoDB;
      CREATE TABLE contact (id INT PRIMARY KEY, country CHAR(2) NOT NULL, code VARCHAR(200) NOT NULL, email VARCHAR(60) NOT NULL,
        CONSTRAINT fk_contact_supplier FOREIGN KEY (country, code) REFERENCES supplier (country, code) ON UPDATE CASCADE ON DELETE CASCADE) ENGINE=InnoDB;
      CREATE TABLE filler (id INT PRIMARY KEY, pad VARCHAR(100) NOT NULL) ENGINE=InnoDB;`);
    const countries = ['DE', 'FR', 'IT', 'NL', 'SE'];
    const sup: string[] = [];
    const con: string[] = [];
    for (let i = 0; i < PARENTS; i++) {
      const c = countries[i % countries.length]!;
      const code = `S${String(i).padStart(5, '0')}`;
      sup.push(`('${c}', '${code}', ${i}, 'supplier ${i}')`);
      con.push(`(${i + 1}, '${c}', '${code}', 'c${i}@example.com')`);
    }
    await source.query(`INSERT INTO rp.supplier VALUES ${sup.join(',')}`);
    await source.query(`INSERT INTO rp.contact VALUES ${con.join(',')}`);
    for (let i = 0; i < FILLER; i += 2000) {
      const rows: string[] = [];
      for (let j = i; j < Math.min(FILLER, i + 2000); j++) rows.push(`(${j + 1}, REPEAT('f', 80))`);
      await source.query(`INSERT INTO rp.filler VALUES ${rows.join(',')}`);
    }
  });
  after(async () => {
    await Promise.all([source?.stop(), db?.drop()]);
  });

  async function sourceRows(table: string): Promise<string[]> {
    const cols = TABLES[table]!;
    const rows = await source.query<Array<{ l: string }>>(`SELECT CONCAT_WS('|', ${cols.map((c) => `CAST(\`${c}\` AS CHAR)`).join(', ')}) AS l FROM rp.\`${table}\``);
    return rows.map((r) => String(r.l)).sort(byText);
  }
  async function targetRows(table: string): Promise<string[]> {
    const cols = TABLES[table]!;
    const rows = await db.query(`SELECT concat_ws('|', ${cols.map((c) => `"${c}"::text`).join(', ')}) AS l FROM rp."${table}"`);
    return rows.map((r) => String(r['l'])).sort(byText);
  }
  async function differences(): Promise<string[]> {
    const out: string[] = [];
    for (const t of Object.keys(TABLES)) {
      const [a, b] = await Promise.all([sourceRows(t), targetRows(t).catch(() => null)]);
      if (b === null) { out.push(`${t}: missing on the target`); continue; }
      if (a.length === b.length && a.every((x, i) => x === b[i])) continue;
      const as = new Set(a);
      const bs = new Set(b);
      const onlySrc = a.filter((x) => !bs.has(x));
      const onlyPg = b.filter((x) => !as.has(x));
      out.push(`${t}: source ${a.length} rows, PostgreSQL ${b.length} rows; ${onlySrc.length} only on the source (${onlySrc.slice(0, 2).join(' / ')}); `
        + `${onlyPg.length} only on PostgreSQL (${onlyPg.slice(0, 2).join(' / ')})`);
    }
    return out;
  }

  it('ends with every table equal to the source, by value', async (t) => {
    const cfg = parseConfig(JSON.stringify({
      sources: { s: { type: 'mariadb', url: source.url } },
      targets: { t: { type: 'postgres', url: db.url } },
      tuning: { snapshotChunkSize: CHUNK, snapshotParallelism: 2, batchSize: 500, maxBatchDelayMs: 20 },
      pipelines: [{ name: 'rp-pg', source: 's', target: 't', tables: ['rp.*'] }],
    }), { format: 'json' });
    const p = new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger: log });
    const ctl = new AbortController();
    const run = p.run(ctl.signal).then(() => null, (e: unknown) => e);
    // The rename loop: random suppliers, until the copy is over (and a little after).
    let renames = 0;
    let renaming = true;
    let sawCopy = false;
    const loop = (async () => {
      while (renaming) {
        const n = Math.floor(Math.random() * PARENTS);
        const res = await source.query<{ affectedRows?: number }>(`UPDATE rp.supplier SET code = CONCAT(code, 'x') WHERE n = ${n} AND LENGTH(code) < 190 LIMIT 1`);
        renames += Number((res as { affectedRows?: number }).affectedRows ?? 0);
        if (p.stats.status === 'snapshotting') sawCopy = true;
      }
    })();
    try {
      await eventually(async () => p.stats.status === 'streaming' || p.stats.status === 'failed' || p.stats.status === 'stopped', 180_000, 'streaming');
      assert.equal(p.stats.status, 'streaming', `pipeline: ${String(p.stats.lastError ?? '')}`);
      await new Promise((res) => setTimeout(res, 500));
      renaming = false;
      await loop;
      assert.ok(sawCopy, 'renames ran during the copy');
      assert.ok(renames > 20, `renames during the copy: ${renames}`);
      t.diagnostic(`${renames} renames while the copy ran (${PARENTS} suppliers, ${FILLER} filler rows, chunks of ${CHUNK})`);
      // Equal once the stream has passed the copy and the foreign key was added (its orphan sweep has run then): with
      // the source idle now, its heartbeats take the stream past the copy (no new source transaction is needed).
      const validated = async (): Promise<boolean> =>
        (await db.query("SELECT 1 FROM pg_constraint WHERE contype = 'f' AND conname = 'fk_contact_supplier' AND convalidated")).length === 1;
      let last: string[] = [];
      await eventually(async () => await validated() && (last = await differences()).length === 0, 90_000, 'every table equal')
        .catch(async (err: unknown) => {
          const sessions = await db.query("SELECT pid::text, state, wait_event_type || ':' || wait_event AS w, left(query, 120) AS q FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
          const fks = await db.query("SELECT conname, convalidated::text AS v FROM pg_constraint WHERE contype = 'f'");
          const now = await differences().catch((e: unknown) => [String(e)]);
          throw new Error(`${String(err)} after ${renames} renames: ${last.join('; ')}; now ${now.join('; ')}; constraints ${JSON.stringify(fks)}; pipeline ${p.stats.status} at ${JSON.stringify(p.stats.position)} `
            + `(${p.stats.transactionsApplied} transactions applied) ${String(p.stats.lastError ?? '')}; target sessions ${JSON.stringify(sessions)}`);
        });
      // After the copy, renames cascade on PostgreSQL itself.
      await source.query("UPDATE rp.supplier SET code = CONCAT(code, 'y') WHERE n < 10");
      await eventually(async () => (last = await differences()).length === 0, 30_000, 'every table equal after renames while streaming')
        .catch((err: unknown) => { throw new Error(`${String(err)}: ${last.join('; ')}`); });
    } finally {
      renaming = false;
      await loop.catch(() => undefined);
      ctl.abort();
    }
    assert.equal(await run, null);
  });
});
