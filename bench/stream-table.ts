// The bench's 10-column table and its stream of single-row transactions (bench/sync, bench/stream-pairs).

/** The bench's 10-column mixed-type table (as in bench/decode). */
export const tableDdl = (name: string): string => `CREATE TABLE ${name} (
  id INT PRIMARY KEY, a BIGINT NOT NULL, b VARCHAR(64), c DECIMAL(12,4), d DATETIME(6), e DOUBLE,
  f TEXT, g INT UNSIGNED, h TIMESTAMP(3) NULL, i ENUM('x','y','z'))`;
/** Column values of the bench table for the integer expression `n`. */
export const rowValues = (n: string): string => `${n}, ${n} * 1000003, CONCAT('name-', ${n}, '-', MD5(${n})), ${n} / 7,
  TIMESTAMP('2024-01-01 00:00:00') + INTERVAL ${n} SECOND + INTERVAL (${n} % 1000000) MICROSECOND, ${n} / 3,
  REPEAT('lorem ipsum ', 1 + ${n} % 4), ${n} * 7, FROM_UNIXTIME(1700000000 + ${n}), ELT(1 + ${n} % 3, 'x','y','z')`;

/**
 * A procedure `name(n)` that commits n single-row transactions on `table`: 50% inserts, 30% updates of a live
 * row, 20% deletes of the oldest row.
 */
export const genProcedure = (name: string, table: string): string => `CREATE PROCEDURE ${name}(n INT)
    BEGIN
      DECLARE i INT DEFAULT 0;
      DECLARE ins INT DEFAULT 1;
      DECLARE del INT DEFAULT 1;
      WHILE i < n DO
        IF i % 10 < 5 THEN
          INSERT INTO ${table} VALUES (${rowValues('ins')});
          SET ins = ins + 1;
        ELSEIF i % 10 < 8 THEN
          UPDATE ${table} SET a = a + 1, b = CONCAT('upd-', i), c = c + 1.5, h = NOW(3) WHERE id = del + (i * 7919) % (ins - del);
        ELSE
          DELETE FROM ${table} WHERE id = del;
          SET del = del + 1;
        END IF;
        SET i = i + 1;
      END WHILE;
    END`;
