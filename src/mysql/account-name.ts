/**
 * The account a connection is logged in as, quoted for pasting into a GRANT statement: shared by the source's
 * replication-grant fix (mysql/protocol) and the target's write-privilege fix (mysql/checks.ts).
 */
import { quoteIdent } from './schema/ddl-parser.js';

/**
 * An account as CURRENT_USER() names it ("repl@%", "@localhost" for the anonymous user) quoted for a GRANT:
 * `repl`@`%`. Backquotes (not quotes) so that no character of the name, a backslash included, needs escaping
 * beyond a doubled backquote, whatever the server's sql_mode.
 */
export function accountName(currentUser: string): string {
  const at = currentUser.lastIndexOf('@');
  return at < 0 ? quoteIdent(currentUser) : `${quoteIdent(currentUser.slice(0, at))}@${quoteIdent(currentUser.slice(at + 1))}`;
}

/** Anything with mysql2's promise `query` (a connection or a pool). */
interface Queryable {
  query(sql: string): Promise<[unknown, unknown]>;
}

/** The account `conn` is logged in as (CURRENT_USER(): the one grants apply to), quoted by accountName(). */
export async function currentAccount(conn: Queryable): Promise<string> {
  const [rows] = await conn.query('SELECT CURRENT_USER() AS u');
  const u = (rows as Array<Record<string, unknown>>)[0]?.['u'];
  return accountName(Buffer.isBuffer(u) ? u.toString('utf8') : String(u ?? ''));
}
