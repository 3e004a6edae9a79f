/**
 * The supply-chain example of the demo: `product_service` (category, product, batch, warranty) on the
 * source; `order_service` (orders) and `purchase_service` (purchases) on the target, each of which gets a
 * read-only copy of the product tables next to its own; and a gentle writer on the product tables.
 */
import type { MariaDbServer } from '../testkit/mariadb-server.js';

export const PRODUCT_DATABASE = 'product_service';

export async function createSupplyChain(source: MariaDbServer, target: MariaDbServer, products = 2000): Promise<void> {
  await source.query(`CREATE DATABASE product_service DEFAULT CHARSET utf8mb4;
    CREATE TABLE product_service.category (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, parent_id INT NULL);
    CREATE TABLE product_service.product (id BIGINT UNSIGNED PRIMARY KEY, category_id INT NOT NULL, model VARCHAR(60) NOT NULL,
      code CHAR(12) NOT NULL, year YEAR NOT NULL, price DECIMAL(12,2) NOT NULL, weight FLOAT, specs JSON,
      updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), KEY (category_id), UNIQUE KEY (code));
    CREATE TABLE product_service.batch (product_id BIGINT UNSIGNED NOT NULL, batch_no INT NOT NULL, produced DATE NOT NULL,
      qty INT NOT NULL, note VARCHAR(100), PRIMARY KEY (product_id, batch_no));
    CREATE TABLE product_service.warranty (product_id BIGINT UNSIGNED PRIMARY KEY, months SMALLINT NOT NULL, terms TEXT);
    INSERT INTO product_service.category SELECT seq, CONCAT('Category ', seq), IF(seq > 5, seq % 5 + 1, NULL) FROM product_service.seq_1_to_20;
    INSERT INTO product_service.product (id, category_id, model, code, year, price, weight, specs, updated_at)
      SELECT seq, 1 + seq % 20, CONCAT('Model-', seq), CONCAT('C', LPAD(seq, 11, '0')), 1990 + seq % 35, seq * 1.25, seq / 3,
        JSON_OBJECT('w', seq, 'tags', JSON_ARRAY('a', 'b')), '2024-01-01 00:00:00' + INTERVAL seq SECOND
      FROM product_service.seq_1_to_${products};
    INSERT INTO product_service.batch SELECT 1 + seq % ${products}, seq, '2020-01-01' + INTERVAL (seq % 2000) DAY, seq % 100, IF(seq % 3 = 0, NULL, 'first run')
      FROM product_service.seq_1_to_${products * 2};
    INSERT INTO product_service.warranty SELECT seq, 12 + seq % 24, REPEAT('terms ', 1 + seq % 5) FROM product_service.seq_1_to_${Math.floor(products / 2)};`);
  await target.query(`CREATE DATABASE order_service DEFAULT CHARSET utf8mb4;
    CREATE TABLE order_service.orders (id INT PRIMARY KEY, product_id BIGINT UNSIGNED NOT NULL, qty INT NOT NULL, ordered_at DATETIME NOT NULL);
    INSERT INTO order_service.orders SELECT seq, seq * 7 % ${products} + 1, seq % 5 + 1, '2025-01-01' + INTERVAL seq MINUTE FROM order_service.seq_1_to_300;
    CREATE DATABASE purchase_service DEFAULT CHARSET utf8mb4;
    CREATE TABLE purchase_service.purchases (id INT PRIMARY KEY, product_id BIGINT UNSIGNED NOT NULL, supplier VARCHAR(40) NOT NULL, qty INT NOT NULL);
    INSERT INTO purchase_service.purchases SELECT seq, seq * 11 % ${products} + 1, CONCAT('Supplier ', seq % 9), 10 * (1 + seq % 7) FROM purchase_service.seq_1_to_120;`);
}

export interface Writer {
  /** Changes committed so far. */
  readonly count: number;
  stop(): Promise<number>;
}

/**
 * A gentle writer: about `perSecond` small transactions per second on the product tables (new products,
 * price changes, new batches, warranty changes, renamed categories, deleted batches).
 */
export function startWriter(source: MariaDbServer, o: { perSecond?: number; firstId?: number; onError?: (err: unknown) => void } = {}): Writer {
  let running = true;
  let n = 0;
  let id = o.firstId ?? 100_000;
  const pause = 1000 / (o.perSecond ?? 4);
  const step = async (): Promise<void> => {
    const k = n % 6;
    const r = (x: number): number => 1 + Math.floor(Math.random() * x);
    if (k === 0) {
      id++;
      await source.query(`INSERT INTO product_service.product (id, category_id, model, code, year, price, weight, specs)
        VALUES (${id}, ${r(20)}, 'Model-${id}', 'N${String(id).padStart(11, '0')}', 2025, ${(r(9000) / 100).toFixed(2)}, 1.5, '{"new": true}')`);
    } else if (k === 1) await source.query(`UPDATE product_service.product SET price = price + 0.5, updated_at = NOW(3) WHERE id = ${r(1000)}`);
    else if (k === 2) await source.query(`BEGIN; INSERT INTO product_service.batch VALUES (${r(1000)}, ${1_000_000 + n}, CURDATE(), ${r(90)}, 'demo');
      UPDATE product_service.warranty SET months = months + 1 WHERE product_id = ${r(500)}; COMMIT`);
    else if (k === 3) await source.query(`UPDATE product_service.category SET name = CONCAT('Category ', id, ' (', ${n}, ')') WHERE id = ${r(20)}`);
    else if (k === 4) await source.query(`DELETE FROM product_service.batch WHERE product_id = ${r(1000)} ORDER BY batch_no LIMIT 1`);
    else await source.query(`UPDATE product_service.product SET weight = weight + 0.1 WHERE id = ${r(1000)}`);
    n++;
  };
  const loop = (async () => {
    while (running) {
      try {
        await step();
      } catch (err) {
        if (running) o.onError?.(err);
      }
      if (running) await new Promise((res) => setTimeout(res, pause));
    }
  })();
  return {
    get count() { return n; },
    stop: async () => { running = false; await loop; return n; },
  };
}
