// Helpers for the sync end-to-end tests: the supply-chain schema, a concurrent writer, table comparison.
import type { MariaDbServer } from '../../src/testkit/mariadb-server.js';
import { parseConfig } from '../../src/config/index.js';
import type { SluiceConfig } from '../../src/config/types.js';

export const PRODUCT_TABLES = ['category', 'product', 'batch', 'warranty'];

export async function createSupplyChain(source: MariaDbServer, target: MariaDbServer, products = 1000): Promise<void> {
  await source.query(`CREATE DATABASE product_service DEFAULT CHARSET utf8mb4;
    CREATE TABLE product_service.category (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, parent_id INT NULL);
    CREATE TABLE product_service.product (id BIGINT UNSIGNED PRIMARY KEY, category_id INT NOT NULL, model VARCHAR(60) NOT NULL,
      code CHAR(12) NOT NULL, year YEAR NOT NULL, price DECIMAL(12,2) NOT NULL, weight FLOAT, specs JSON, photo BLOB,
      updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), KEY (category_id), UNIQUE KEY (code));
    CREATE TABLE product_service.batch (product_id BIGINT UNSIGNED NOT NULL, batch_no INT NOT NULL, produced DATE NOT NULL,
      qty INT NOT NULL, note VARCHAR(100), PRIMARY KEY (product_id, batch_no));
    CREATE TABLE product_service.warranty (product_id BIGINT UNSIGNED PRIMARY KEY, months SMALLINT NOT NULL, terms TEXT);
    CREATE TABLE product_service.tmp_scratch (id INT PRIMARY KEY, v INT);
    INSERT INTO product_service.category SELECT seq, CONCAT('Category ', seq, ' é'), IF(seq > 5, seq % 5 + 1, NULL) FROM product_service.seq_1_to_20;
    INSERT INTO product_service.product (id, category_id, model, code, year, price, weight, specs, photo, updated_at)
      SELECT seq, 1 + seq % 20, CONCAT('Model-', seq, ' 😀'), CONCAT('C', LPAD(seq, 11, '0')), 1990 + seq % 35, seq * 1.25, seq / 3,
        JSON_OBJECT('w', seq, 'tags', JSON_ARRAY('a', 'b')), UNHEX(MD5(seq)), '2024-01-01 00:00:00' + INTERVAL seq SECOND
      FROM product_service.seq_1_to_${products};
    INSERT INTO product_service.batch SELECT 1 + seq % ${products}, seq, '2020-01-01' + INTERVAL seq DAY, seq % 100, IF(seq % 3 = 0, NULL, 'n') FROM product_service.seq_1_to_${products * 2};
    INSERT INTO product_service.warranty SELECT seq, 12 + seq % 24, REPEAT('terms ', seq % 5) FROM product_service.seq_1_to_${Math.floor(products / 2)};
    INSERT INTO product_service.tmp_scratch VALUES (1, 1);`);
  await target.query(`CREATE DATABASE order_service DEFAULT CHARSET utf8mb4;
    CREATE TABLE order_service.orders (id INT PRIMARY KEY, product_id BIGINT UNSIGNED NOT NULL, qty INT NOT NULL);
    INSERT INTO order_service.orders SELECT seq, seq * 7 % ${products} + 1, seq % 5 + 1 FROM order_service.seq_1_to_200;
    CREATE DATABASE purchase_service DEFAULT CHARSET utf8mb4;
    CREATE TABLE purchase_service.purchases (id INT PRIMARY KEY, product_id BIGINT UNSIGNED NOT NULL, supplier VARCHAR(40));`);
}

export function supplyChainConfig(source: MariaDbServer, target: MariaDbServer, tuning: Record<string, number> = {}): SluiceConfig {
  return parseConfig(JSON.stringify({
    sources: { products: { type: 'mysql', url: source.url } },
    targets: { orders: { type: 'mysql', url: target.url } },
    tuning,
    pipelines: [
      { name: 'product-to-order', source: 'products', target: 'orders', tables: ['product_service.product', 'product_service.category', 'product_service.b*', 'product_service.warranty'],
        exclude: ['product_service.tmp_*'], targetDatabase: 'order_service' },
      { name: 'product-to-purchase', source: 'products', target: 'orders', tables: ['product_service.*'], exclude: ['product_service.tmp_*'], targetDatabase: 'purchase_service' },
    ],
  }), { format: 'json' });
}

/**
 * A concurrent writer on the product tables: inserts, updates (incl. primary-key changes), deletes, in
 * small transactions, until stopped. Returns how many transactions it committed.
 */
export function startWriter(source: MariaDbServer, firstId: number): { stop: () => Promise<number> } {
  let running = true;
  let n = 0;
  const loop = (async () => {
    let id = firstId;
    while (running) {
      const k = n % 7;
      try {
        if (k === 0) await source.query(`INSERT INTO product_service.product (id, category_id, model, code, year, price, weight, specs) VALUES (${id}, 3, 'New ${id}', 'N${String(id).padStart(11, '0')}', 2024, 9.99, 1.5, '{"new": true}')`);
        else if (k === 1) await source.query(`UPDATE product_service.product SET price = price + 1, updated_at = NOW(3) WHERE id = ${1 + (n * 13) % 900}`);
        else if (k === 2) await source.query(`UPDATE product_service.product SET id = ${id + 500000} WHERE id = ${id - 7}`); // primary-key change
        else if (k === 3) await source.query(`DELETE FROM product_service.batch WHERE product_id = ${1 + (n * 17) % 900} LIMIT 1`);
        else if (k === 4) await source.query(`BEGIN; INSERT INTO product_service.batch VALUES (${1 + n % 900}, ${100000 + n}, CURDATE(), ${n % 50}, 'w'); UPDATE product_service.warranty SET months = months + 1 WHERE product_id = ${1 + n % 400}; COMMIT`);
        else if (k === 5) await source.query(`UPDATE product_service.category SET name = CONCAT('Cat ', ${n}) WHERE id = ${1 + n % 20}`);
        else await source.query(`DELETE FROM product_service.warranty WHERE product_id = ${1 + (n * 3) % 500}`);
        n++;
        id++;
      } catch (err) {
        if (running) throw err;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return { stop: async () => { running = false; await loop; return n; } };
}

/** Rows of a table as comparable text, ordered by the primary key (or every column). */
/**
 * Product updates each followed by a price_log insert (`db`.product, `db`.price_log: product_id, price, note), in one
 * transaction each, every 4 ms until stopped; `alsoSet` adds assignments to the product update. Returns the count.
 */
export function startPriceWriter(source: MariaDbServer, db: string, alsoSet = ''): { stop: () => Promise<number> } {
  let running = true;
  let n = 0;
  const loop = (async () => {
    while (running) {
      const id = 1 + (n * 7) % 1500;
      await source.query(`BEGIN; UPDATE ${db}.product SET price = price + 0.01${alsoSet} WHERE id = ${id};
        INSERT INTO ${db}.price_log VALUES (${id}, ${n % 1000}.5, 'n${n}'); COMMIT`);
      n++;
      await new Promise((r) => setTimeout(r, 4));
    }
  })();
  return { stop: async () => { running = false; await loop; return n; } };
}

export async function tableRows(server: MariaDbServer, db: string, table: string): Promise<string[]> {
  const cols = await server.query<Array<{ c: string; t: string }>>(
    'SELECT COLUMN_NAME AS c, DATA_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  // FLOAT is widened to DOUBLE first so that its text keeps every digit.
  const geometry = /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection)$/;
  const q = (name: string): string => '`' + name.split('`').join('``') + '`';
  const list = cols.map((c) => geometry.test(c.t) ? `IFNULL(HEX(${q(c.c)}), 'NULL')`
    : `IFNULL(HEX(CAST(${c.t === 'float' ? `CAST(${q(c.c)} AS DOUBLE)` : q(c.c)} AS CHAR)), 'NULL')`).join(', ');
  // TIMESTAMPs print in UTC on every server, whatever its time zone.
  const res = await server.query<unknown[]>(`SET time_zone = '+00:00'; SELECT CONCAT_WS('|', ${list}) AS r FROM \`${db}\`.\`${table}\` ORDER BY 1`);
  const rows = res[1] as Array<Record<string, unknown>>;
  return rows.map((r) => String(r.r));
}

/** Waits until `check` passes (returns true) or the deadline. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      if (await check()) return;
      lastError = null;
    } catch (err) {
      // Not there yet (e.g. a target table the pipeline has not created): try again until the deadline.
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
