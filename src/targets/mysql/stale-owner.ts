/**
 * Ending the transaction of a stale owner that still holds the checkpoint row. An instance that is paused
 * (SIGSTOP, a frozen VM) or cut off in the middle of a target transaction keeps its row lock for as long
 * as its connection lives — hours — although its lease ran out. The new owner then finds the
 * transactions its own claim waits for (InnoDB's lock-wait tables) and ends their connections (KILL), so
 * the claim goes through; the stale instance's later writes fail and its renewal finds itself fenced.
 * Seeing other connections' transactions needs the PROCESS privilege; without it nothing is ended.
 */
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { errnoOf } from './mysql-errors.js';

/** The connections (thread ids) that hold locks `waiterThread` waits for: MariaDB / MySQL 5.7, then MySQL 8. */
const BLOCKERS_SQL = [
  `SELECT DISTINCT b.trx_mysql_thread_id AS id FROM information_schema.INNODB_LOCK_WAITS w
     JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id
     JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id
    WHERE r.trx_mysql_thread_id = ?`,
  `SELECT DISTINCT b.trx_mysql_thread_id AS id FROM performance_schema.data_lock_waits w
     JOIN information_schema.INNODB_TRX r ON r.trx_id = w.REQUESTING_ENGINE_TRANSACTION_ID
     JOIN information_schema.INNODB_TRX b ON b.trx_id = w.BLOCKING_ENGINE_TRANSACTION_ID
    WHERE r.trx_mysql_thread_id = ?`,
];

export interface StaleLockOutcome {
  /** Connections ended. */
  killed: number[];
  /** Why none could be ended (missing privilege, none found). */
  problem?: string;
}

/**
 * Wait for `lockSql` on `waiter` (a fresh connection) in the background and end the connections that
 * block it, found and killed through `probe`. Both connections are the caller's to close.
 */
export async function endBlockingTransactions(waiter: Connection, probe: Connection, lockSql: string): Promise<StaleLockOutcome> {
  const [idRows] = await waiter.query<RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
  const waiterId = Number(idRows[0]?.id);
  const waiting = waiter.query(`SET SESSION innodb_lock_wait_timeout = 10; START TRANSACTION; ${lockSql}`).then(() => true, () => false);
  let blockers: number[] = [];
  let problem: string | undefined;
  try {
    for (let attempt = 0; attempt < 20 && blockers.length === 0; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      for (const sql of BLOCKERS_SQL) {
        try {
          const [rows] = await probe.query<RowDataPacket[]>(sql, [waiterId]);
          blockers = rows.map((r) => Number(r.id)).filter((id) => id !== waiterId);
          problem = undefined;
          break;
        } catch (err) {
          const n = errnoOf(err);
          if (n === 1227 || n === 1142) problem = 'the target user lacks the PROCESS privilege needed to see other connections\' transactions';
          else if (n === 1109 || n === 1146) problem ??= 'this server has no lock-wait table Sluice knows';
          else throw err;
        }
      }
      if (problem?.includes('PROCESS')) break;
    }
    const killed: number[] = [];
    for (const id of blockers) {
      try {
        await probe.query(`KILL CONNECTION ${id}`);
        killed.push(id);
      } catch (err) {
        if (errnoOf(err) === 1094) continue; // already gone
        problem = `KILL ${id} was refused (${(err as Error).message}); the target user may kill only its own connections unless it has CONNECTION ADMIN`;
      }
    }
    if (killed.length === 0 && !problem) problem = 'no blocking transaction was found';
    return problem ? { killed, problem } : { killed };
  } finally {
    await waiting;
    await waiter.query('ROLLBACK').catch(() => undefined);
  }
}
