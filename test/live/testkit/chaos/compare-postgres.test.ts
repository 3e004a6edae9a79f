// The chaos harness's comparison of a MariaDB source table with its PostgreSQL copy (types as
// src/targets/postgres/type-map.ts maps them): equal values compare equal although PostgreSQL prints them
// otherwise (timestamps without trailing zeros, jsonb's key order, real), and every changed value,
// duplicated and lost row of a key-less table is counted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { startMariaDb, type MariaDbServer } from '../../../../src/testkit/mariadb-server.js';
import { diffRows, pgRowTexts, sourceTextsFor, type PgCopyColumn } from '../../../../src/testkit/chaos/index.js';
import { createPgDatabase, type PgTestDatabase } from '../../targets/postgres/pg-test-helpers.js';

describe('chaos comparison, MariaDB source against a PostgreSQL copy', () => {
  let server: MariaDbServer;
  let my: Connection;
  let db: PgTestDatabase;
  let client: pg.Client;

  before(async () => {
    [server, db] = await Promise.all([startMariaDb(), createPgDatabase()]);
    my = await createConnection({ host: server.host, port: server.port, user: 'root', multipleStatements: true });
    await my.query(`CREATE DATABASE s DEFAULT CHARSET utf8mb4; SET time_zone = '+00:00';
      CREATE TABLE s.log (id BIGINT UNSIGNED NOT NULL, price DECIMAL(12,2) NOT NULL, note VARCHAR(40), y YEAR,
        at DATETIME(6) NOT NULL, ts TIMESTAMP(3) NULL, d DATE, j JSON, f FLOAT, g DOUBLE, b VARBINARY(8));
      INSERT INTO s.log VALUES
        (18446744073709551615, 12.50, 'tick é 😀', 2025, '2024-01-01 00:00:01', '2024-01-01 00:00:02.100', '2024-02-29', '{"w": 1, "a": [1, {"z": 2, "b": null}]}', 1.1, -0.5, 0x00ff10),
        (1, 0.00, NULL, NULL, '2024-01-01 00:00:01.000001', NULL, NULL, NULL, NULL, NULL, NULL),
        (1, 0.00, NULL, NULL, '2024-01-01 00:00:01.000001', NULL, NULL, NULL, NULL, NULL, NULL)`);
    client = new pg.Client({ connectionString: db.url, types: { getTypeParser: () => (v: string) => v } as unknown as pg.CustomTypesConfig });
    await client.connect();
    await client.query(`SET TimeZone = 'UTC';
      CREATE SCHEMA c;
      CREATE TABLE c.log (id numeric(20,0) NOT NULL, price numeric(12,2) NOT NULL, note varchar(40), y smallint,
        at timestamp(6) without time zone NOT NULL, ts timestamp(3) with time zone, d date, j jsonb, f real, g double precision, b bytea);
      INSERT INTO c.log VALUES
        (18446744073709551615, 12.50, 'tick é 😀', 2025, '2024-01-01 00:00:01', '2024-01-01 00:00:02.1+00', '2024-02-29', '{"w": 1, "a": [1, {"z": 2, "b": null}]}', 1.1, -0.5, '\\x00ff10'),
        (1, 0.00, NULL, NULL, '2024-01-01 00:00:01.000001', NULL, NULL, NULL, NULL, NULL, NULL),
        (1, 0.00, NULL, NULL, '2024-01-01 00:00:01.000001', NULL, NULL, NULL, NULL, NULL, NULL)`);
  });

  after(async () => {
    await client?.end();
    my?.destroy();
    await Promise.all([server?.stop(), db?.drop()]);
  });

  const compare = async () => {
    const cols = await client.query<{ c: string; t: string; p: string | null }>(
      "SELECT column_name AS c, data_type AS t, datetime_precision AS p FROM information_schema.columns WHERE table_schema = 'c' AND table_name = 'log'");
    const pgCols = new Map<string, PgCopyColumn>(cols.rows.map((c) => [c.c, { type: c.t, precision: c.p === null ? null : Number(c.p) }]));
    const [names] = await my.query<RowDataPacket[]>("SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 's' AND TABLE_NAME = 'log' ORDER BY ORDINAL_POSITION");
    const list = names.map((n) => String(n.c));
    const [a, b] = await Promise.all([sourceTextsFor(my, 's', 'log', list, pgCols), pgRowTexts(client, 'c', 'log', list, pgCols)]);
    return diffRows('log', a, b);
  };

  it('finds equal values equal, over every column', async () => {
    const d = await compare();
    assert.deepEqual({ extra: d.extra, missing: d.missing, samples: d.samples, rows: d.targetRows }, { extra: 0, missing: 0, samples: [], rows: 3 });
  });

  it('counts a duplicated row, a lost row and a changed value', async () => {
    await client.query(`INSERT INTO c.log SELECT * FROM c.log WHERE y = 2025;
      DELETE FROM c.log WHERE ctid = (SELECT min(ctid) FROM c.log WHERE id = 1)`);
    let d = await compare();
    assert.deepEqual({ extra: d.extra, missing: d.missing }, { extra: 1, missing: 1 });
    // Both copies of the duplicated row change by 1 ms: 2 extra rows, the source's row and the lost one missing.
    await client.query("UPDATE c.log SET ts = ts + interval '1 millisecond' WHERE y = 2025");
    d = await compare();
    assert.deepEqual({ extra: d.extra, missing: d.missing }, { extra: 2, missing: 2 });
  });
});
