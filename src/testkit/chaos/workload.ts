/**
 * The supply-chain workload of the fault-injection harness: product tables on the source, and a writer
 * that commits small transactions (a product update followed by an insert into the key-less,
 * insert-only `price_log`, the strict witness of exactly-once), batch inserts and deletes, category
 * renames; on demand a large transaction and DDL (a new column, a new table). The writer survives
 * a restarting source: it reconnects and goes on.
 */
import { createConnection, type Connection } from 'mysql2/promise';

export const SUPPLY_DB = 'product_service';

export async function createSupplyChainSchema(conn: Connection, products: number): Promise<void> {
  await conn.query(`CREATE DATABASE ${SUPPLY_DB} DEFAULT CHARSET utf8mb4;
    CREATE TABLE ${SUPPLY_DB}.category (id INT PRIMARY KEY, name VARCHAR(60) NOT NULL, parent_id INT NULL);
    CREATE TABLE ${SUPPLY_DB}.product (id BIGINT UNSIGNED PRIMARY KEY, category_id INT NOT NULL, model VARCHAR(60) NOT NULL,
      code CHAR(12) NOT NULL, year YEAR NOT NULL, price DECIMAL(12,2) NOT NULL, specs JSON, updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
      KEY (category_id), UNIQUE KEY (code));
    CREATE TABLE ${SUPPLY_DB}.price_log (product_id BIGINT UNSIGNED NOT NULL, price DECIMAL(12,2) NOT NULL, note VARCHAR(40) NOT NULL, at DATETIME(6) NOT NULL);
    CREATE TABLE ${SUPPLY_DB}.bulk (id INT AUTO_INCREMENT PRIMARY KEY, batch INT NOT NULL, payload VARCHAR(100) NOT NULL);
    INSERT INTO ${SUPPLY_DB}.category SELECT seq, CONCAT('Category ', seq, ' é'), IF(seq > 5, seq % 5 + 1, NULL) FROM ${SUPPLY_DB}.seq_1_to_30;
    INSERT INTO ${SUPPLY_DB}.product (id, category_id, model, code, year, price, specs, updated_at)
      SELECT seq, 1 + seq % 30, CONCAT('Model-', seq, ' 😀'), CONCAT('C', LPAD(seq, 11, '0')), 1990 + seq % 35, seq * 1.25,
        JSON_OBJECT('w', seq), '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM ${SUPPLY_DB}.seq_1_to_${products};
    INSERT INTO ${SUPPLY_DB}.price_log SELECT seq, seq * 1.25, 'initial', '2024-01-01 00:00:00' + INTERVAL seq SECOND FROM ${SUPPLY_DB}.seq_1_to_${Math.max(1, Math.floor(products / 2))};`);
}

export class SupplyChainWriter {
  /** Transactions committed (as far as the writer knows). */
  committed = 0;
  /** Errors met (reconnected after each). */
  errors = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private conn: Connection | null = null;
  private nextId: number;
  private ddlCount = 0;

  constructor(private readonly connect: () => Promise<Connection>, firstNewId: number, private readonly pauseMs = 30) {
    this.nextId = firstNewId;
  }

  static forUrl(url: string, firstNewId: number, pauseMs?: number): SupplyChainWriter {
    return new SupplyChainWriter(() => createConnection({ uri: url, multipleStatements: true, connectTimeout: 3000 }), firstNewId, pauseMs);
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.conn?.destroy();
    this.conn = null;
  }

  /** One transaction of many rows (a large source transaction). */
  async largeTransaction(rows: number): Promise<void> {
    await this.withConn(async (c) => {
      const batch = this.nextId++;
      await c.query(`INSERT INTO ${SUPPLY_DB}.bulk (batch, payload) SELECT ${batch}, CONCAT('row ', seq, REPEAT('x', 40)) FROM ${SUPPLY_DB}.seq_1_to_${rows}`);
    });
  }

  /** A schema change: a new column on `product`, or a new table that then gets rows, in turn. */
  async ddl(): Promise<string> {
    const n = ++this.ddlCount;
    const sql = n % 2 === 1
      ? `ALTER TABLE ${SUPPLY_DB}.product ADD COLUMN extra_${n} INT NOT NULL DEFAULT ${n}`
      : `CREATE TABLE ${SUPPLY_DB}.added_${n} (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO ${SUPPLY_DB}.added_${n} VALUES (1, 'a'), (2, 'b')`;
    await this.withConn((c) => c.query(sql).then(() => undefined));
    return sql.split(';')[0]!;
  }

  private async withConn(work: (c: Connection) => Promise<void>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const c = await createOrReuse(this);
        await work(c);
        return;
      } catch (err) {
        this.conn?.destroy();
        this.conn = null;
        if (attempt >= 60) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async run(): Promise<void> {
    let n = 0;
    while (this.running) {
      const k = n % 20;
      const id = 1 + (n * 13) % 2000;
      let sql: string;
      if (k === 7) {
        const ids = [0, 1, 2, 3, 4].map(() => this.nextId++);
        sql = `INSERT INTO ${SUPPLY_DB}.product (id, category_id, model, code, year, price, specs) VALUES ${ids.map((i) =>
          `(${1_000_000 + i}, ${1 + i % 30}, 'New ${i}', 'N${String(i).padStart(11, '0')}', 2025, ${i % 1000}.99, '{"new": ${i}}')`).join(', ')}`;
      } else if (k === 13) {
        sql = `DELETE FROM ${SUPPLY_DB}.product WHERE id BETWEEN ${1_000_000 + this.nextId - 40} AND ${1_000_000 + this.nextId - 38}`;
      } else if (k === 17) {
        sql = `UPDATE ${SUPPLY_DB}.category SET name = CONCAT('Category ', id, ' #${n}') WHERE id = ${1 + n % 30}`;
      } else {
        sql = `BEGIN; UPDATE ${SUPPLY_DB}.product SET price = price + 0.01, updated_at = NOW(3) WHERE id = ${id};
          INSERT INTO ${SUPPLY_DB}.price_log VALUES (${id}, ${n % 1000}.25, 'tick ${n}', NOW(6)); COMMIT`;
      }
      try {
        const c = await createOrReuse(this);
        await c.query(sql);
        this.committed++;
        n++;
      } catch {
        // The source went away (restart, network): reconnect and go on. A commit whose outcome was lost
        // is whatever the source says it is: the comparison is against the source.
        this.errors++;
        this.conn?.destroy();
        this.conn = null;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      await new Promise((r) => setTimeout(r, this.pauseMs));
    }
  }

  /** @internal */
  async connection(): Promise<Connection> {
    this.conn ??= await this.connect();
    return this.conn;
  }
}

function createOrReuse(w: SupplyChainWriter): Promise<Connection> {
  return w.connection();
}
