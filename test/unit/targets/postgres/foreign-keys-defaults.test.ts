// Column defaults and foreign keys of PostgreSQL tables made from source models, without a server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTableSql } from '../../../../src/targets/postgres/table-sql.js';
import { addForeignKeySql, orphanSweepSql, targetForeignKeys } from '../../../../src/targets/postgres/foreign-keys.js';
import { translateDdl } from '../../../../src/targets/postgres/ddl-translate.js';
import { ddlChange, sourceTable } from '../../../helpers/source-models.js';

describe('PostgreSQL column defaults', () => {
  it('translates literals and CURRENT_TIMESTAMP, leaves out NULL and MySQL expressions (reported)', () => {
    const t = sourceTable('app', `CREATE TABLE t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 7, s VARCHAR(10) DEFAULT 'it''s', f DECIMAL(5,2) DEFAULT -1.5,
      b BOOLEAN NOT NULL DEFAULT TRUE, e ENUM('a','b') DEFAULT 'b', ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, dt DATETIME(3) DEFAULT NOW(3),
      z DATETIME DEFAULT '0000-00-00 00:00:00', x VARCHAR(5) DEFAULT NULL, u VARCHAR(36) DEFAULT (uuid()), bits BIT(4) DEFAULT b'101')`);
    const leftOut: string[] = [];
    const sql = createTableSql('s', 't', t, (c, e) => leftOut.push(`${c}: ${e}`)).join('\n');
    for (const want of [`"n" integer DEFAULT '7' NOT NULL`, `"s" varchar(10) DEFAULT 'it''s'`, `"f" numeric(5,2) DEFAULT '-1.5'`,
      `"b" smallint DEFAULT '1' NOT NULL`, `"e" text DEFAULT 'b'`, '"ts" timestamp(0) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL',
      '"dt" timestamp(3) without time zone DEFAULT LOCALTIMESTAMP', `"z" timestamp(0) without time zone DEFAULT '-infinity'`, '"x" varchar(5),',
      '"u" varchar(36),', `"bits" bit(4) DEFAULT '0101'`]) {
      assert.ok(sql.includes(want), `${want} in\n${sql}`);
    }
    assert.deepEqual(leftOut, ['u: (uuid())']);
  });
});

describe('PostgreSQL foreign keys', () => {
  const child = sourceTable('shop', `CREATE TABLE rental (id INT PRIMARY KEY, inv INT, cust INT, lang CHAR(2),
    CONSTRAINT fk_inv FOREIGN KEY (inv) REFERENCES inventory (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT fk_cust FOREIGN KEY (cust) REFERENCES shop.customer (id) ON DELETE SET NULL,
    CONSTRAINT fk_lang FOREIGN KEY (lang) REFERENCES language (code))`);
  const route = (d: string, t: string): { database: string; table: string } | null => (t === 'language' ? null : { database: 'copy', table: t });

  it('keeps the foreign keys to copied tables (routed), leaves out the others', () => {
    const { kept, outside } = targetForeignKeys(child, 'copy', 'rental', route);
    assert.deepEqual(kept.map((k) => `${k.name} ${k.refSchema}.${k.refTable} ${k.onDelete}/${k.onUpdate}`),
      ['fk_inv copy.inventory CASCADE/CASCADE', 'fk_cust copy.customer SET NULL/NO ACTION']);
    assert.deepEqual(outside.map((f) => f.name), ['fk_lang']);
    assert.equal(addForeignKeySql(kept[0]!), 'ALTER TABLE "copy"."rental" ADD CONSTRAINT "fk_inv" FOREIGN KEY ("inv") REFERENCES "copy"."inventory" ("id") '
      + 'ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED NOT VALID');
    assert.match(orphanSweepSql(kept[0]!)!, /^DELETE FROM "copy"."rental" c WHERE c."inv" IS NOT NULL AND NOT EXISTS/);
    assert.match(orphanSweepSql(kept[1]!)!, /^UPDATE "copy"."rental" c SET "cust" = NULL WHERE/);
  });

  it('queues the foreign keys of a CREATE TABLE and an ALTER … ADD FOREIGN KEY while streaming; drops a dropped one', () => {
    const known = new Map([['shop.rental', child]]);
    const fks = { route, queue: (fk: { name: string }) => `QUEUE ${fk.name}`, drop: (_s: string, t: string, n: string) => `UNQUEUE ${t}.${n}` };
    const created = translateDdl(ddlChange('shop', `CREATE TABLE review (id INT PRIMARY KEY, r INT, l CHAR(2),
      CONSTRAINT fk_r FOREIGN KEY (r) REFERENCES rental (id) ON DELETE CASCADE, CONSTRAINT fk_l FOREIGN KEY (l) REFERENCES language (code))`, known), { route: (d, t) => ({ database: 'copy', table: t }), foreignKeys: fks });
    assert.deepEqual(created.filter((s) => s.startsWith('QUEUE')), ['QUEUE fk_r']);
    const altered = translateDdl(ddlChange('shop', 'ALTER TABLE review ADD COLUMN s TINYINT NOT NULL DEFAULT 3, ADD CONSTRAINT fk_s FOREIGN KEY (s) REFERENCES rental (id), DROP FOREIGN KEY fk_r', known),
      { route: (d, t) => ({ database: 'copy', table: t }), foreignKeys: fks });
    assert.deepEqual(altered.filter((s) => /QUEUE|CONSTRAINT|DEFAULT/.test(s)), [
      `ALTER TABLE "copy"."review" ADD COLUMN "s" smallint DEFAULT '3' NOT NULL`,
      `ALTER TABLE "copy"."review" ALTER COLUMN "s" SET DEFAULT '3'`,
      'QUEUE fk_s',
      'ALTER TABLE "copy"."review" DROP CONSTRAINT IF EXISTS "fk_r"',
      'UNQUEUE review.fk_r',
    ]);
  });
});
