// The bed of the SourceHub tests: one throwaway MariaDB with table hub.t (id, v), hubs closed after the suite,
// writers that return the ids they wrote, the count of binlog connections, and the wait for a reader's ids.
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startMariaDb, type MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import type { SourceHub } from '../../../src/pipeline/source-hub.js';
import { waitFor } from '../../helpers/wait-for.js';
import type { Reader } from './subscription-reader.js';

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

export interface HubBed {
  /** The server (set once the suite's `before` ran). */
  readonly db: MariaDbServer;
  /** Closed after the suite. */
  readonly hubs: SourceHub[];
  /** `n` rows into hub.<table>, one transaction each; returns their ids. */
  insert(n: number, table?: string): Promise<number[]>;
  /** `n` rows into hub.t in one transaction; returns their ids. */
  insertOne(n: number): Promise<number[]>;
  /** A fresh row id (for writes the test makes itself). */
  nextId(): number;
  /** Binlog connections the source serves now. */
  dumps(): Promise<number>;
  /** Waits until `r` has as many ids as `ids`, then asserts they are exactly `ids`, in order, and no error. */
  got(r: Reader, ids: number[], what: string, ms?: number): Promise<void>;
}

/** Registers the suite's before/after hooks (call inside `describe`). */
export function hubBed(defaultWaitMs: number): HubBed {
  let server: MariaDbServer | undefined;
  let next = 1;
  const hubs: SourceHub[] = [];
  before(async () => {
    server = await startMariaDb();
    await server.query('CREATE DATABASE hub');
    await server.query('CREATE TABLE hub.t (id INT PRIMARY KEY, v INT)');
  });
  after(async () => {
    for (const h of hubs) await h.close().catch(() => undefined);
    await server?.stop();
  });
  const db = (): MariaDbServer => {
    if (!server) throw new Error('hubBed: the server is not started yet (use it inside a test)');
    return server;
  };
  return {
    get db() { return db(); },
    hubs,
    async insert(n, table = 't') {
      const ids = range(next, next + n - 1);
      for (const id of ids) await db().query(`INSERT INTO hub.${table} (id, v) VALUES (?, ?)`, [id, id]);
      next += n;
      return ids;
    },
    async insertOne(n) {
      const ids = range(next, next + n - 1);
      await db().query(`INSERT INTO hub.t SELECT seq, seq FROM hub.seq_${next}_to_${next + n - 1}`);
      next += n;
      return ids;
    },
    nextId: () => next++,
    async dumps() {
      const rows = await db().query<Array<{ n: number }>>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
      return Number(rows[0]!.n);
    },
    got: (r, ids, what, ms = defaultWaitMs) =>
      waitFor(what, () => r.ids.length >= ids.length || r.error !== null, ms).then(() => {
        assert.equal(r.error, null, `${what}: ${String(r.error)}`);
        assert.deepEqual(r.ids, ids, what);
      }),
  };
}
