import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rewriteDdl } from '../../../../src/targets/mysql/ddl-rewrite.js';
import { classifyStatement, type DdlStatement } from '../../../../src/mysql/schema/ddl.js';
import { routeToDatabase } from '../../../../src/targets/target.js';

const ddl = (sql: string, db = 'shop'): DdlStatement | null => {
  const c = classifyStatement(sql, db);
  return c.kind === 'ddl' ? c.ddl : null;
};
const rw = (sql: string, db = 'shop'): string => rewriteDdl(sql, db, ddl(sql, db), routeToDatabase('copy')).sql;

test('qualified table references get the routed database; strings, comments and other names stay', () => {
  assert.equal(rw("ALTER TABLE shop.t ADD COLUMN c VARCHAR(9) DEFAULT 'shop.t' COMMENT 'x' /* shop.t */"),
    "ALTER TABLE `copy`.t ADD COLUMN c VARCHAR(9) DEFAULT 'shop.t' COMMENT 'x' /* shop.t */");
  assert.equal(rw('RENAME TABLE `shop`.`a` TO `shop`.`b`, shop . c TO d'), 'RENAME TABLE `copy`.`a` TO `copy`.`b`, `copy` . c TO d');
  assert.equal(rw('CREATE TABLE shop.t2 LIKE shop.t'), 'CREATE TABLE `copy`.t2 LIKE `copy`.t');
  assert.equal(rw('/*!40101 ALTER TABLE shop.t ADD c INT */'), '/*!40101 ALTER TABLE `copy`.t ADD c INT */');
  assert.equal(rw('DROP TABLE other.t'), 'DROP TABLE `copy`.t');
  assert.equal(rw('INSERT INTO shop.t VALUES (1)'), 'INSERT INTO shop.t VALUES (1)');
});

test('foreign keys referencing qualified tables follow their table to the target database', () => {
  assert.equal(rw('CREATE TABLE shop.c (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES shop.p (id) ON DELETE CASCADE)'),
    'CREATE TABLE `copy`.c (id INT PRIMARY KEY, p INT, FOREIGN KEY (p) REFERENCES `copy`.p (id) ON DELETE CASCADE)');
  assert.equal(rw('ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES shop.p (id)'),
    'ALTER TABLE c ADD CONSTRAINT f FOREIGN KEY (p) REFERENCES `copy`.p (id)');
  assert.equal(rewriteDdl('ALTER TABLE c ADD x INT', 'shop', ddl('ALTER TABLE c ADD x INT'), routeToDatabase('copy')).useDatabase, 'copy');
});
