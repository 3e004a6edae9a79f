// Helpers for the verify tests: extra tables of the supply-chain set (string key, unique key, no key, ENUM/SET/BIT,
// DATETIME), a writer of ≥ 500 rows/s that keeps away from the rows the tests drift, and the drift itself.
import type { MariaDbServer } from '../../../src/testkit/mariadb-server.js';
import { parseConfig } from '../../../src/config/index.js';
import type { SluiceConfig } from '../../../src/config/types.js';

export async function createVerifyTables(source: MariaDbServer): Promise<void> {
  await source.query(`CREATE TABLE product_service.supplier (code VARCHAR(20) PRIMARY KEY, name VARCHAR(60) NOT NULL, rating DECIMAL(4,1),
      notes VARCHAR(100) NULL, since DATETIME(3) NOT NULL, tier ENUM('gold','silver','bronze'), flags SET('a','b','c'), active BIT(3));
    INSERT INTO product_service.supplier SELECT CONCAT('S', LPAD(seq, 4, '0')), CONCAT('Acme ', seq), seq % 50 / 10, IF(seq % 2 = 0, NULL, 'x'),
      '2023-05-01 10:00:00' + INTERVAL seq MINUTE, ELT(1 + seq % 3, 'gold', 'silver', 'bronze'), IF(seq % 2 = 0, 'a,b', 'c'), b'101'
      FROM product_service.seq_1_to_400;
    CREATE TABLE product_service.price_log (product_id BIGINT UNSIGNED NOT NULL, price DECIMAL(12,2) NOT NULL, note VARCHAR(40) NULL, at DATETIME(3) NOT NULL);
    INSERT INTO product_service.price_log SELECT seq, seq * 1.5, IF(seq % 2 = 0, 'p', NULL), '2024-02-01 00:00:00' + INTERVAL seq HOUR FROM product_service.seq_1_to_600;
    CREATE TABLE product_service.device (serial VARCHAR(20) NOT NULL, v INT NOT NULL, UNIQUE KEY (serial));
    INSERT INTO product_service.device SELECT CONCAT('D', LPAD(seq, 4, '0')), seq FROM product_service.seq_1_to_300;`);
}

export function verifyConfig(source: MariaDbServer, target: MariaDbServer): SluiceConfig {
  return parseConfig(JSON.stringify({
    sources: { products: { type: 'mysql', url: source.url } },
    targets: { orders: { type: 'mysql', url: target.url } },
    tuning: { snapshotChunkSize: 500, maxBatchDelayMs: 20 },
    pipelines: [{ name: 'product-to-order', source: 'products', target: 'orders', tables: ['product_service.*'], exclude: ['product_service.tmp_*'], targetDatabase: 'order_service' }],
  }), { format: 'json' });
}

/**
 * Writes on the source in small transactions (updates, inserts, deletes, primary-key changes) on every table the
 * drift touches, but only rows the drift never touches (product ids > 1000, suppliers ≥ S0100, devices ≥ D0100,
 * price_log rows of products > 1000). Returns the rows changed and the rate.
 */
export function startFastWriter(source: MariaDbServer, batchBase: number): { stop: () => Promise<{ rows: number; rowsPerSecond: number }> } {
  let running = true;
  let rows = 0;
  const started = Date.now();
  const affected = (res: unknown): number => {
    const list = Array.isArray(res) ? res : [res];
    return list.reduce((s: number, r) => s + Number((r as { affectedRows?: number })?.affectedRows ?? 0), 0);
  };
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const base = 1001 + (n * 37) % 1900;
      try {
        rows += affected(await source.query(`BEGIN;
          UPDATE product_service.product SET price = price + 1, updated_at = NOW(3), specs = JSON_OBJECT('n', ${n}) WHERE id BETWEEN ${base} AND ${base + 9};
          INSERT INTO product_service.batch VALUES ${Array.from({ length: 5 }, (_, i) => `(${base + i}, ${batchBase + n * 5 + i}, CURDATE(), ${i}, IF(${i} = 0, NULL, 'w'))`).join(', ')};
          DELETE FROM product_service.batch WHERE product_id = ${base + 3} AND batch_no < 100000 LIMIT 2;
          UPDATE product_service.supplier SET rating = MOD(IFNULL(rating, 0) + 0.1, 99), notes = IF(notes IS NULL, '', NULL), since = NOW(3) WHERE code >= 'S0100' AND code < 'S0400' AND MOD(CAST(SUBSTR(code, 2) AS UNSIGNED), 30) = ${n % 30};
          INSERT INTO product_service.price_log VALUES (${base}, ${n}.25, IF(${n % 2} = 0, NULL, ''), NOW(3)), (${base + 1}, ${n}.5, 'w', NOW(3));
          DELETE FROM product_service.price_log WHERE product_id > 1000 LIMIT 1;
          UPDATE product_service.device SET v = v + 1 WHERE serial >= 'D0100' AND serial < 'D0${String(100 + (n * 7) % 200).padStart(3, '0')}' AND v % 5 = ${n % 5};
          UPDATE product_service.warranty SET months = months + 1 WHERE product_id BETWEEN ${200 + n % 300} AND ${205 + n % 300};
          COMMIT`));
        if (n % 10 === 0) {
          // A primary-key change across chunks, and back.
          rows += affected(await source.query(`UPDATE product_service.product SET id = id + 5000 WHERE id = ${base + 20}`));
          rows += affected(await source.query(`UPDATE product_service.product SET id = id - 5000 WHERE id = ${base + 5020}`));
        }
      } catch (err) {
        if (running) throw err;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { stop: async () => { running = false; await loop; return { rows, rowsPerSecond: rows / ((Date.now() - started) / 1000) }; } };
}

/** A difference the tests inject, as verify must report it: `table kind key`. */
export type Injected = string;

/**
 * Drift on the target (order_service): changed values of every kind, deleted and extra rows, in tables with an
 * integer, a composite, a string and a unique key. Returns what verify must report for the keyed tables, and the
 * row differences expected in the key-less price_log (a changed row is a missing plus an extra row).
 */
export async function injectDrift(target: MariaDbServer): Promise<{ keyed: Injected[]; keyless: { missing: number; extra: number } }> {
  const statements = `UPDATE order_service.product SET model = 'DRIFTED' WHERE id = 11;
    UPDATE order_service.product SET price = price + 0.01 WHERE id = 12;
    UPDATE order_service.product SET updated_at = updated_at + INTERVAL 2 HOUR WHERE id = 13;
    UPDATE order_service.product SET specs = '{"tags": ["a", "b"], "w": 14}' WHERE id = 14;
    UPDATE order_service.product SET photo = CONCAT(LEFT(photo, 15), UNHEX(LPAD(HEX(ASCII(RIGHT(photo, 1)) ^ 1), 2, '0'))) WHERE id = 15;
    DELETE FROM order_service.product WHERE id = 16;
    INSERT INTO order_service.product (id, category_id, model, code, year, price, weight, specs) VALUES (5000000, 1, 'ghost', 'GHOST0000001', 2020, 1.00, NULL, NULL);
    UPDATE order_service.product SET weight = weight * 2 WHERE id = 17;
    UPDATE order_service.batch SET note = '' WHERE product_id = 4 AND batch_no = 3;
    UPDATE order_service.batch SET note = 'n ' WHERE product_id = 5 AND batch_no = 4;
    DELETE FROM order_service.batch WHERE product_id = 6 AND batch_no = 5;
    INSERT INTO order_service.batch VALUES (7, 999999, '2020-01-01', 1, NULL);
    UPDATE order_service.supplier SET name = 'ACME 11' WHERE code = 'S0011';
    UPDATE order_service.supplier SET notes = 'x  ' WHERE code = 'S0013';
    UPDATE order_service.supplier SET since = since + INTERVAL 1 HOUR WHERE code = 'S0015';
    UPDATE order_service.supplier SET flags = 'a' WHERE code = 'S0016';
    UPDATE order_service.supplier SET active = b'100' WHERE code = 'S0017';
    UPDATE order_service.supplier SET tier = 'bronze' WHERE code = 'S0018';
    DELETE FROM order_service.supplier WHERE code = 'S0019';
    INSERT INTO order_service.supplier VALUES ('S9999-extra', 'Extra', 1.0, NULL, '2020-01-01', NULL, '', b'0');
    UPDATE order_service.supplier SET code = 's0021' WHERE code = 'S0021';
    UPDATE order_service.category SET parent_id = 0 WHERE id = 3;
    UPDATE order_service.warranty SET terms = 'terms' WHERE product_id = 21;
    UPDATE order_service.device SET v = 0 WHERE serial = 'D0003';
    DELETE FROM order_service.device WHERE serial = 'D0004';
    UPDATE order_service.price_log SET price = price + 1 WHERE product_id = 11;
    DELETE FROM order_service.price_log WHERE product_id = 12;
    INSERT INTO order_service.price_log SELECT * FROM order_service.price_log WHERE product_id = 13;
    UPDATE order_service.price_log SET note = '' WHERE product_id = 15`.split(';\n');
  await target.query("SET time_zone = '+00:00'");
  for (const sql of statements) {
    // The pipeline applies the writer's changes meanwhile: a deadlock is retried.
    for (let attempt = 1; ; attempt++) {
      try {
        await target.query(sql);
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ER_LOCK_DEADLOCK' || attempt > 10) throw err;
      }
    }
  }
  const keyed = [
    'product_service.product different 11', 'product_service.product different 12', 'product_service.product different 13',
    'product_service.product different 14', 'product_service.product different 15', 'product_service.product missing 16',
    'product_service.product extra 5000000', 'product_service.product different 17',
    'product_service.batch different 4,3', 'product_service.batch different 5,4', 'product_service.batch missing 6,5', 'product_service.batch extra 7,999999',
    "product_service.supplier different 'S0011'", "product_service.supplier different 'S0013'", "product_service.supplier different 'S0015'",
    "product_service.supplier different 'S0016'", "product_service.supplier different 'S0017'", "product_service.supplier different 'S0018'",
    "product_service.supplier missing 'S0019'", "product_service.supplier extra 'S9999-extra'",
    // A key that differs only in case (the collation is case-insensitive: the lookups by key match both).
    "product_service.supplier missing 'S0021'", "product_service.supplier extra 's0021'",
    'product_service.category different 3', 'product_service.warranty different 21',
    "product_service.device different 'D0003'", "product_service.device missing 'D0004'",
  ];
  return { keyed, keyless: { missing: 3, extra: 3 } };
}
