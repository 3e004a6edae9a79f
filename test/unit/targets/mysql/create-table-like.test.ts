import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forwardedAlterSql, targetCreateSql } from '../../../../src/targets/mysql/create-table-like.js';
import { parseDdl } from '../../../../src/mysql/schema/ddl-parser.js';
import type { CreateTableAst } from '../../../../src/mysql/schema/ddl-ast.js';

const STAFF = "CREATE TABLE `staff` (\n  `staff_id` tinyint(3) unsigned NOT NULL AUTO_INCREMENT,\n  `store_id` tinyint(3) unsigned DEFAULT NULL,\n" +
  "  `address_id` smallint(5) unsigned DEFAULT NULL,\n  `boss` tinyint(3) unsigned DEFAULT NULL,\n  PRIMARY KEY (`staff_id`),\n  KEY `idx_fk_store_id` (`store_id`),\n" +
  "  CONSTRAINT `fk_staff_store` FOREIGN KEY (`store_id`) REFERENCES `store` (`store_id`) ON DELETE SET NULL ON UPDATE CASCADE,\n" +
  "  CONSTRAINT `fk_staff_address` FOREIGN KEY (`address_id`) REFERENCES `geo`.`address` (`address_id`) ON UPDATE CASCADE,\n" +
  "  CONSTRAINT `fk_staff_boss` FOREIGN KEY (`boss`) REFERENCES `staff` (`staff_id`) ON DELETE CASCADE\n" +
  ") ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci COMMENT='it''s staff'";

const reparse = (sql: string): CreateTableAst => parseDdl(sql) as CreateTableAst;

test('several foreign keys: kept (routed) when the referenced table is copied, dropped otherwise', () => {
  const inScope = (db: string, t: string): { database: string; table: string } | null => (db === 'shop' ? { database: 'copy', table: t } : null);
  const sql = targetCreateSql(STAFF, 'copy', 'staff', 'shop', inScope);
  const ast = reparse(sql);
  assert.deepEqual(ast.table, { database: 'copy', table: 'staff' });
  assert.deepEqual(ast.foreignKeys.map((f) => [f.name, f.refDatabase, f.refTable, f.onDelete, f.onUpdate]),
    [['fk_staff_store', 'copy', 'store', 'SET NULL', 'CASCADE'], ['fk_staff_boss', 'copy', 'staff', 'CASCADE', null]]);
  assert.equal(ast.ifNotExists, true);
  assert.deepEqual(ast.options.map((o) => `${o.name}=${o.value}`), ['ENGINE=InnoDB', 'CHARSET=utf8mb4', 'COLLATE=utf8mb4_general_ci', "COMMENT='it''s staff'"]);
  assert.deepEqual(ast.columns.map((c) => c.definition), reparse(STAFF).columns.map((c) => c.definition));
  assert.deepEqual(ast.indexes.map((k) => k.definition), ['PRIMARY KEY (`staff_id`)', 'KEY `idx_fk_store_id` (`store_id`)']);
});

test('without a scope every foreign key is dropped; the SQL stays valid with the last line removed', () => {
  const ast = reparse(targetCreateSql(STAFF, 'copy', 'staff2', 'shop'));
  assert.equal(ast.foreignKeys.length, 0);
  assert.equal(ast.table.table, 'staff2');
});

test('non-transactional engines become InnoDB; host-specific options go; partitioning and invisible columns stay', () => {
  const aria = reparse(targetCreateSql('CREATE TABLE `n` (\n  `a` int(11) DEFAULT NULL\n) ENGINE=Aria DEFAULT CHARSET=latin1 PAGE_CHECKSUM=1 TRANSACTIONAL=1', 'd', 'n'));
  assert.deepEqual(aria.options.map((o) => `${o.name}=${o.value}`), ['ENGINE=InnoDB', 'CHARSET=latin1']);
  const mysql8 = "CREATE TABLE `t8` (\n  `id` int NOT NULL,\n  `h` int /*!80023 INVISIBLE */,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 DATA DIRECTORY='/mnt/x'\n" +
    "/*!50100 PARTITION BY HASH (`id`)\nPARTITIONS 4 */";
  const sql = targetCreateSql(mysql8, 'd', 't8');
  assert.match(sql, /`h` int INVISIBLE,/);
  assert.match(sql, /\nPARTITION BY HASH \(`id`\) PARTITIONS 4$/);
  assert.doesNotMatch(sql, /DIRECTORY/);
});

test('ALTER TABLE is forwarded clause by clause: routed names, foreign keys only to copied tables', () => {
  const route = (db: string, t: string): { database: string; table: string } => ({ database: db === 'shop' ? 'copy' : db, table: t });
  const inScope = (db: string, t: string): { database: string; table: string } | null => (db === 'shop' && t !== 'language' ? route(db, t) : null);
  assert.equal(forwardedAlterSql("ALTER TABLE review /* c */ ADD COLUMN stars TINYINT DEFAULT '3' AFTER id, ADD CONSTRAINT f1 FOREIGN KEY (lang) REFERENCES language (code), " +
    'ADD CONSTRAINT f2 FOREIGN KEY (cust) REFERENCES shop.customer (id) ON DELETE CASCADE, ALGORITHM=INPLACE', 'shop', route, inScope),
  "ALTER TABLE `copy`.`review` ADD COLUMN stars TINYINT DEFAULT '3' AFTER id, ADD CONSTRAINT `f2` FOREIGN KEY (`cust`) REFERENCES `copy`.`customer` (`id`) ON DELETE CASCADE, ALGORITHM=INPLACE");
  assert.equal(forwardedAlterSql('ALTER TABLE review ADD FOREIGN KEY (lang) REFERENCES language (code)', 'shop', route, inScope), '');
  assert.equal(forwardedAlterSql('ALTER TABLE shop.a RENAME TO shop.b, ADD COLUMN (x INT, y INT)', 'd', route, inScope), 'ALTER TABLE `copy`.`a` RENAME TO `copy`.`b`, ADD COLUMN (x INT, y INT)');
  assert.equal(forwardedAlterSql('ALTER TABLE p ADD x INT PARTITION BY HASH (id) PARTITIONS 2', 'shop', route, inScope), 'ALTER TABLE `copy`.`p` ADD x INT PARTITION BY HASH (id) PARTITIONS 2');
  assert.equal(forwardedAlterSql('ALTER IGNORE TABLE p ADD UNIQUE (x)', 'shop', route, inScope), null);
  assert.equal(forwardedAlterSql('CREATE TABLE p (x INT)', 'shop', route, inScope), null);
});
