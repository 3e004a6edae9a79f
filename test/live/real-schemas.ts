// Realistic schemas for the live tests: a rental shop modelled on the well-known public sample schemas
// (several foreign keys per table with ON UPDATE CASCADE / ON DELETE SET NULL / CASCADE, two-level cascade
// chains, triggers, FULLTEXT, BLOB, ENUM/SET, YEAR, composite and string keys, a key-less table).
import type { MariaDbServer } from '../../src/testkit/mariadb-server.js';
import { seededRandom } from '../helpers/seeded-random.js';

export const SHOP_TABLES = ['country', 'city', 'address', 'store', 'staff', 'customer', 'language', 'film', 'film_text',
  'film_category', 'category', 'inventory', 'rental', 'payment', 'audit_log', 'film_note', 'store_geo', 'sales_by_month', 'sku',
  'order', 'wide'];

/** Create database `db` with the shop schema and some rows on `server`. */
export async function createShopSchema(server: MariaDbServer, db = 'shop'): Promise<void> {
  await server.query(`CREATE DATABASE ${db} DEFAULT CHARSET utf8mb4;
USE ${db};
CREATE TABLE country (
  country_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
  country VARCHAR(50) NOT NULL,
  last_update TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (country_id)
) ENGINE=InnoDB;
CREATE TABLE city (
  city_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
  city VARCHAR(50) NOT NULL,
  country_id SMALLINT UNSIGNED NOT NULL,
  PRIMARY KEY (city_id),
  KEY idx_fk_country_id (country_id),
  CONSTRAINT \`fk_city_country\` FOREIGN KEY (country_id) REFERENCES country (country_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE address (
  address_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
  address VARCHAR(50) NOT NULL,
  district VARCHAR(20) NOT NULL,
  city_id SMALLINT UNSIGNED NULL,
  postal_code VARCHAR(10) DEFAULT NULL,
  phone VARCHAR(20) NOT NULL,
  PRIMARY KEY (address_id),
  KEY idx_fk_city_id (city_id),
  CONSTRAINT \`fk_address_city\` FOREIGN KEY (city_id) REFERENCES city (city_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE store (
  store_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT,
  manager_name VARCHAR(45) NOT NULL,
  address_id SMALLINT UNSIGNED NULL,
  PRIMARY KEY (store_id),
  CONSTRAINT fk_store_address FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE staff (
  staff_id TINYINT UNSIGNED NOT NULL AUTO_INCREMENT,
  first_name VARCHAR(45) NOT NULL,
  last_name VARCHAR(45) NOT NULL,
  address_id SMALLINT UNSIGNED NULL,
  picture BLOB DEFAULT NULL,
  email VARCHAR(50) DEFAULT NULL,
  store_id TINYINT UNSIGNED NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  username VARCHAR(16) NOT NULL,
  PRIMARY KEY (staff_id),
  KEY idx_fk_store_id (store_id),
  KEY idx_fk_address_id (address_id),
  CONSTRAINT fk_staff_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_staff_address FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE customer (
  customer_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
  store_id TINYINT UNSIGNED NULL,
  first_name VARCHAR(45) NOT NULL,
  last_name VARCHAR(45) NOT NULL,
  email VARCHAR(50) DEFAULT NULL,
  address_id SMALLINT UNSIGNED NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  create_date DATETIME NOT NULL,
  PRIMARY KEY (customer_id),
  KEY idx_fk_store_id (store_id),
  KEY idx_fk_address_id (address_id),
  KEY idx_last_name (last_name),
  CONSTRAINT fk_customer_address FOREIGN KEY (address_id) REFERENCES address (address_id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_customer_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE language (
  language_code CHAR(5) NOT NULL,
  name CHAR(20) NOT NULL,
  PRIMARY KEY (language_code)
) ENGINE=InnoDB;
CREATE TABLE film (
  film_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
  title VARCHAR(128) NOT NULL,
  description TEXT DEFAULT NULL,
  release_year YEAR DEFAULT NULL,
  language_code CHAR(5) NOT NULL,
  original_language_code CHAR(5) DEFAULT NULL,
  rental_rate DECIMAL(4,2) NOT NULL DEFAULT 4.99,
  rating ENUM('G','PG','PG-13','R','NC-17') DEFAULT 'G',
  special_features SET('Trailers','Commentaries','Deleted Scenes','Behind the Scenes') DEFAULT NULL,
  PRIMARY KEY (film_id),
  KEY idx_title (title),
  CONSTRAINT fk_film_language FOREIGN KEY (language_code) REFERENCES language (language_code) ON UPDATE CASCADE,
  CONSTRAINT fk_film_language_original FOREIGN KEY (original_language_code) REFERENCES language (language_code) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE film_text (
  film_id SMALLINT UNSIGNED NOT NULL,
  title VARCHAR(255) NOT NULL,
  description TEXT,
  PRIMARY KEY (film_id),
  FULLTEXT KEY idx_title_description (title, description)
) ENGINE=InnoDB;
CREATE TABLE category (
  name VARCHAR(25) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB;
CREATE TABLE film_category (
  film_id SMALLINT UNSIGNED NOT NULL,
  category_name VARCHAR(25) NOT NULL,
  PRIMARY KEY (film_id, category_name),
  CONSTRAINT fk_film_category_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT fk_film_category_category FOREIGN KEY (category_name) REFERENCES category (name) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE inventory (
  inventory_id MEDIUMINT UNSIGNED NOT NULL AUTO_INCREMENT,
  film_id SMALLINT UNSIGNED NOT NULL,
  store_id TINYINT UNSIGNED NULL,
  PRIMARY KEY (inventory_id),
  KEY idx_store_id_film_id (store_id, film_id),
  CONSTRAINT fk_inventory_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_inventory_film FOREIGN KEY (film_id) REFERENCES film (film_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE rental (
  rental_id INT NOT NULL AUTO_INCREMENT,
  rental_date DATETIME NOT NULL,
  inventory_id MEDIUMINT UNSIGNED NOT NULL,
  customer_id SMALLINT UNSIGNED NULL,
  return_date DATETIME DEFAULT NULL,
  staff_id TINYINT UNSIGNED NULL,
  PRIMARY KEY (rental_id),
  UNIQUE KEY (rental_date, inventory_id, customer_id),
  KEY idx_fk_inventory_id (inventory_id),
  CONSTRAINT fk_rental_staff FOREIGN KEY (staff_id) REFERENCES staff (staff_id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_rental_inventory FOREIGN KEY (inventory_id) REFERENCES inventory (inventory_id) ON DELETE CASCADE ON UPDATE CASCADE,
  CONSTRAINT fk_rental_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE payment (
  payment_id SMALLINT UNSIGNED NOT NULL AUTO_INCREMENT,
  customer_id SMALLINT UNSIGNED NULL,
  staff_id TINYINT UNSIGNED NULL,
  rental_id INT DEFAULT NULL,
  amount DECIMAL(5,2) NOT NULL,
  payment_date DATETIME NOT NULL,
  PRIMARY KEY (payment_id),
  CONSTRAINT fk_payment_rental FOREIGN KEY (rental_id) REFERENCES rental (rental_id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_payment_customer FOREIGN KEY (customer_id) REFERENCES customer (customer_id) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_payment_staff FOREIGN KEY (staff_id) REFERENCES staff (staff_id) ON DELETE SET NULL ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE audit_log (
  at DATETIME(6) NOT NULL,
  what VARCHAR(100) NOT NULL,
  ref_id INT
) ENGINE=InnoDB;
CREATE TABLE film_note (
  film_id SMALLINT UNSIGNED NOT NULL,
  note VARCHAR(200) NOT NULL
) ENGINE=Aria;
CREATE TRIGGER film_ai AFTER INSERT ON film FOR EACH ROW
  INSERT INTO film_text (film_id, title, description) VALUES (NEW.film_id, NEW.title, NEW.description);
CREATE TRIGGER film_au AFTER UPDATE ON film FOR EACH ROW
  UPDATE film_text SET title = NEW.title, description = NEW.description WHERE film_id = NEW.film_id;
CREATE TRIGGER payment_ai AFTER INSERT ON payment FOR EACH ROW
  INSERT INTO audit_log VALUES (NOW(6), CONCAT('payment ', NEW.payment_id), NEW.payment_id);
CREATE TABLE store_geo (
  store_id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  location POINT NOT NULL,
  area POLYGON NULL,
  label VARCHAR(30) INVISIBLE DEFAULT 'hidden',
  SPATIAL INDEX sp_location (location),
  CONSTRAINT fk_geo_store FOREIGN KEY (store_id) REFERENCES store (store_id) ON DELETE CASCADE ON UPDATE CASCADE
) ENGINE=InnoDB;
CREATE TABLE sales_by_month (
  month DATE NOT NULL,
  store_id TINYINT UNSIGNED NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  doubled DECIMAL(11,2) AS (total * 2) VIRTUAL,
  label VARCHAR(40) AS (CONCAT(store_id, '@', month)) PERSISTENT,
  PRIMARY KEY (month, store_id)
) ENGINE=InnoDB PARTITION BY RANGE (YEAR(month)) (PARTITION p2020 VALUES LESS THAN (2021), PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE TABLE sku (
  code VARCHAR(20) CHARACTER SET ascii NOT NULL,
  name VARCHAR(40) NOT NULL,
  UNIQUE KEY uk_code (code)
) ENGINE=InnoDB;
CREATE TABLE \`order\` (
  \`select\` INT NOT NULL PRIMARY KEY,
  \`from\` VARCHAR(10),
  \`ñandú\` VARCHAR(10) COMMENT 'ü',
  \`we\`\`ird\` INT
) ENGINE=InnoDB;
CREATE TABLE wide (id INT PRIMARY KEY, ${Array.from({ length: 250 }, (_, i) => `c${i} VARCHAR(8) CHARACTER SET latin1`).join(', ')}) ENGINE=InnoDB;
INSERT INTO country (country_id, country) VALUES (1, 'Åland'), (2, 'Brazil'), (3, 'Chad');
INSERT INTO city (city_id, city, country_id) VALUES (1, 'Mariehamn', 1), (2, 'Recife', 2), (3, 'Natal', 2), (4, 'Abéché', 3);
INSERT INTO address (address_id, address, district, city_id, postal_code, phone)
  SELECT seq, CONCAT(seq, ' Main St'), 'D', 1 + seq % 4, LPAD(seq, 5, '0'), CONCAT('555-', seq) FROM seq_1_to_40;
INSERT INTO store VALUES (1, 'Mike', 1), (2, 'Jon', 2), (3, 'Ana', 5);
INSERT INTO staff (staff_id, first_name, last_name, address_id, picture, email, store_id, username)
  VALUES (1, 'Mike', 'Hillyer', 3, UNHEX('89504E470D0A1A0A00'), 'mike@x', 1, 'mike'), (2, 'Jon', 'Stephens', 4, NULL, NULL, 2, 'jon'),
         (3, 'Ana', 'Lima', 6, NULL, 'ana@x', 3, 'ana');
INSERT INTO customer (customer_id, store_id, first_name, last_name, email, address_id, create_date)
  SELECT seq, 1 + seq % 3, CONCAT('F', seq), CONCAT('L', seq), CONCAT('c', seq, '@x'), 7 + seq % 30, '2020-01-01' + INTERVAL seq DAY FROM seq_1_to_60;
INSERT INTO language VALUES ('en', 'English'), ('pt-BR', 'Português'), ('fr', 'Français');
INSERT INTO category VALUES ('Action'), ('Comedy'), ('Drama'), ('Sci-Fi');
INSERT INTO film (film_id, title, description, release_year, language_code, original_language_code, rental_rate, rating, special_features)
  SELECT seq, CONCAT('FILM ', seq), CONCAT('A story number ', seq), 1990 + seq % 30, ELT(1 + seq % 3, 'en', 'pt-BR', 'fr'),
    IF(seq % 4 = 0, 'fr', NULL), 0.99 + seq % 4, ELT(1 + seq % 5, 'G','PG','PG-13','R','NC-17'), IF(seq % 2 = 0, 'Trailers,Deleted Scenes', NULL)
  FROM seq_1_to_30;
INSERT INTO film_category SELECT seq, ELT(1 + seq % 4, 'Action', 'Comedy', 'Drama', 'Sci-Fi') FROM seq_1_to_30;
INSERT INTO film_category SELECT seq, 'Drama' FROM seq_1_to_30 WHERE seq % 4 <> 2;
INSERT INTO inventory (inventory_id, film_id, store_id) SELECT seq, 1 + seq % 30, 1 + seq % 3 FROM seq_1_to_90;
INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id)
  SELECT seq, '2021-01-01' + INTERVAL seq HOUR, 1 + seq % 90, 1 + seq % 60, IF(seq % 3 = 0, NULL, '2021-02-01'), 1 + seq % 3 FROM seq_1_to_200;
INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date)
  SELECT seq, 1 + seq % 60, 1 + seq % 3, IF(seq % 5 = 0, NULL, seq), 0.99 + seq % 7, '2021-03-01' + INTERVAL seq MINUTE FROM seq_1_to_150;
INSERT INTO film_note VALUES (1, 'dup'), (1, 'dup'), (2, 'only');
INSERT INTO store_geo (store_id, location, area, label) VALUES (1, ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POLYGON((0 0,1 0,1 1,0 0))'), 'one'),
  (2, ST_GeomFromText('POINT(3 4)'), NULL, 'two'), (3, ST_GeomFromText('POINT(-1.5 7.25)'), NULL, DEFAULT);
INSERT INTO sales_by_month (month, store_id, total) SELECT '2020-01-01' + INTERVAL seq MONTH, 1 + seq % 3, seq * 10.5 FROM seq_1_to_30;
INSERT INTO sku VALUES ('A-1', 'first'), ('B-2', 'second'), ('c-3', 'third');
INSERT INTO \`order\` VALUES (1, 'x', 'ñ', 1), (2, NULL, 'ü', NULL);
INSERT INTO wide (id, c0, c100, c249) SELECT seq, CONCAT('a', seq), CONCAT('b', seq), CONCAT('z', seq) FROM seq_1_to_20;`);
}

/**
 * Statements on the shop schema (default database `shop`) whose cascades the source's engine does and the binlog does
 * not carry: two and three levels of ON DELETE CASCADE / SET NULL, ON UPDATE CASCADE of numeric and string keys, a
 * parent deleted and inserted again in one transaction.
 */
export const SHOP_CASCADES = `
        -- two levels: country → city (CASCADE) → address.city_id (SET NULL) → store/staff/customer keep their address
        DELETE FROM country WHERE country_id = 2;
        -- ON UPDATE CASCADE of a parent key into three child tables
        UPDATE store SET store_id = 9 WHERE store_id = 1;
        -- three levels: film → inventory (CASCADE) → rental (CASCADE) → payment.rental_id (SET NULL); film_category (CASCADE)
        DELETE FROM film WHERE film_id = 3;
        UPDATE inventory SET inventory_id = 1000 WHERE inventory_id = 5;
        -- string keys
        UPDATE category SET name = 'Comedies' WHERE name = 'Comedy';
        DELETE FROM category WHERE name = 'Sci-Fi';
        DELETE FROM address WHERE address_id = 7;
        -- a parent deleted and inserted again in one transaction: its children stay deleted
        BEGIN; DELETE FROM category WHERE name = 'Action'; INSERT INTO category VALUES ('Action'); COMMIT;
`;

export const LEDGER_TABLES = ['account_type', 'customer', 'account', 'entry', 'entry_tag', 'account_note', 'audit'];

/**
 * A ledger: customer → account → entry → entry_tag (ON DELETE CASCADE three levels deep), ON UPDATE CASCADE on
 * integer and string keys, ON DELETE SET NULL, a trigger-written audit table without a key.
 */
export async function createLedgerSchema(source: MariaDbServer): Promise<void> {
  await source.query(`CREATE DATABASE ledger; USE ledger;
    CREATE TABLE account_type (code VARCHAR(12) PRIMARY KEY, label VARCHAR(40) NOT NULL);
    CREATE TABLE customer (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, since YEAR);
    CREATE TABLE account (id INT PRIMARY KEY, customer_id INT NOT NULL, type_code VARCHAR(12), status ENUM('open','frozen','closed') NOT NULL DEFAULT 'open',
      FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE CASCADE ON UPDATE CASCADE,
      FOREIGN KEY (type_code) REFERENCES account_type (code) ON DELETE SET NULL ON UPDATE CASCADE);
    CREATE TABLE entry (id BIGINT PRIMARY KEY, account_id INT NOT NULL, amount DECIMAL(12,2) NOT NULL, booked DATETIME(3) NOT NULL,
      FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE ON UPDATE CASCADE);
    CREATE TABLE entry_tag (entry_id BIGINT NOT NULL, tag VARCHAR(10) NOT NULL, PRIMARY KEY (entry_id, tag),
      FOREIGN KEY (entry_id) REFERENCES entry (id) ON DELETE CASCADE);
    CREATE TABLE account_note (id INT PRIMARY KEY, account_id INT, note TEXT, FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE SET NULL ON UPDATE CASCADE);
    CREATE TABLE audit (what VARCHAR(60) NOT NULL, ref BIGINT);
    CREATE TRIGGER entry_ai AFTER INSERT ON entry FOR EACH ROW INSERT INTO audit VALUES (CONCAT('entry ', NEW.id), NEW.id);
    INSERT INTO account_type VALUES ('CHK', 'checking'), ('SAV', 'savings'), ('LOAN', 'loan');
    INSERT INTO customer SELECT seq, CONCAT('c', seq), 1990 + seq % 30 FROM seq_1_to_300;
    INSERT INTO account SELECT seq, 1 + seq % 300, ELT(1 + seq % 3, 'CHK', 'SAV', 'LOAN'), 'open' FROM seq_1_to_900;
    INSERT INTO entry SELECT seq, 1 + seq % 900, seq / 7, '2024-01-01' + INTERVAL seq MINUTE FROM seq_1_to_6000;
    INSERT INTO entry_tag SELECT seq, ELT(1 + seq % 2, 'a', 'b') FROM seq_1_to_6000;
    INSERT INTO account_note SELECT seq, 1 + seq * 7 % 900, CONCAT('note ', seq) FROM seq_1_to_400;`);
}

/** Cascading writes until stopped: deletes of customers/accounts/entries, key updates, inserts of whole trees. */
export function startLedgerWriter(source: MariaDbServer, seed = 4242): { stop: () => Promise<number>; allowKeyUpdates: () => void } {
  const r = seededRandom(seed);
  let running = true;
  let keyUpdates = false;
  let n = 0;
  let next = 10_000;
  const loop = (async () => {
    while (running) {
      const k = Math.floor(r() * 8);
      const c = 1 + Math.floor(r() * 300);
      const a = 1 + Math.floor(r() * 900);
      try {
        if (k === 0) await source.query(`DELETE FROM ledger.customer WHERE id = ${c}`);
        else if (k === 1) await source.query(`DELETE FROM ledger.account WHERE id = ${a}`);
        else if (k === 2 && keyUpdates) await source.query(`UPDATE ledger.customer SET id = ${next++} WHERE id = ${c}`);
        else if (k === 3 && keyUpdates) await source.query(`UPDATE ledger.account SET id = ${next++} WHERE id = ${a}`);
        else if (k === 2 || k === 3) await source.query(`UPDATE ledger.customer SET name = CONCAT(name, '+') WHERE id = ${c}`);
        else if (k === 4) {
          const cid = next++, aid = next++, eid = next++;
          await source.query(`BEGIN; INSERT INTO ledger.customer VALUES (${cid}, 'new', 2020); INSERT INTO ledger.account VALUES (${aid}, ${cid}, 'SAV', 'open');
            INSERT INTO ledger.entry (id, account_id, amount, booked) VALUES (${eid}, ${aid}, 1.50, NOW(3)); INSERT INTO ledger.entry_tag VALUES (${eid}, 'new'); COMMIT`);
        } else if (k === 5) await source.query(`DELETE FROM ledger.entry WHERE account_id = ${a} LIMIT 3`);
        else if (k === 6) await source.query(`UPDATE ledger.account SET status = 'frozen' WHERE id = ${a}`);
        else await source.query(`INSERT INTO ledger.entry (id, account_id, amount, booked) VALUES (${next++}, (SELECT MIN(id) FROM ledger.account), 9.99, NOW(3))`);
        n++;
      } catch (err) {
        if (running) throw err;
      }
      await new Promise((res) => setTimeout(res, 3));
    }
  })();
  return { stop: async () => { running = false; await loop; return n; }, allowKeyUpdates: () => { keyUpdates = true; } };
}
