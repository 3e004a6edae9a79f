import { ByteReader } from './byte-reader.js';
import type { QueryEvent, QueryStatus } from './events.js';
import { SluiceError } from '../../errors.js';
import { mariadbUncompress } from './mariadb-compression.js';

/** Query status variable codes (MySQL, then MariaDB). */
const Q = {
  FLAGS2: 0, SQL_MODE: 1, CATALOG: 2, AUTO_INCREMENT: 3, CHARSET: 4, TIME_ZONE: 5, CATALOG_NZ: 6,
  LC_TIME_NAMES: 7, CHARSET_DATABASE: 8, TABLE_MAP_FOR_UPDATE: 9, MASTER_DATA_WRITTEN: 10, INVOKER: 11,
  UPDATED_DB_NAMES: 12, MICROSECONDS: 13, /* 14 COMMIT_TS, 15 COMMIT_TS2: never written */
  EXPLICIT_DEFAULTS_FOR_TIMESTAMP: 16, DDL_LOGGED_WITH_XID: 17, DEFAULT_COLLATION_FOR_UTF8MB4: 18,
  SQL_REQUIRE_PRIMARY_KEY: 19, DEFAULT_TABLE_ENCRYPTION: 20,
  HRNOW: 128, XID: 129, GTID_FLAGS3: 130,
} as const;

/** Q_UPDATED_DB_NAMES count meaning "too many databases to list". */
const OVER_MAX_DBS = 254;

/**
 * Parse status variables in [start, end). Stops at the first unknown code (its length is unknown)
 * or at bytes that do not fit; never throws.
 */
export function parseQueryStatus(buf: Buffer, start: number, end: number): QueryStatus {
  const st: QueryStatus = {};
  const r = new ByteReader(buf, start, end);
  try {
    while (r.remaining > 0) {
      const code = r.u8();
      switch (code) {
        case Q.FLAGS2: st.flags2 = r.u32(); break;
        case Q.SQL_MODE: st.sqlMode = r.u64(); break;
        case Q.CATALOG: { const n = r.u8(); st.catalog = r.str(n); r.skip(1); break; }
        case Q.AUTO_INCREMENT: st.autoIncrementIncrement = r.u16(); st.autoIncrementOffset = r.u16(); break;
        case Q.CHARSET: st.charsetClient = r.u16(); st.collationConnection = r.u16(); st.collationServer = r.u16(); break;
        case Q.TIME_ZONE: st.timeZone = r.str(r.u8()); break;
        case Q.CATALOG_NZ: st.catalog = r.str(r.u8()); break;
        case Q.LC_TIME_NAMES: st.lcTimeNames = r.u16(); break;
        case Q.CHARSET_DATABASE: st.collationDatabase = r.u16(); break;
        case Q.TABLE_MAP_FOR_UPDATE: st.tableMapForUpdate = r.u64(); break;
        case Q.MASTER_DATA_WRITTEN: r.skip(4); break;
        case Q.INVOKER: st.invokerUser = r.str(r.u8()); st.invokerHost = r.str(r.u8()); break;
        case Q.UPDATED_DB_NAMES: {
          const n = r.u8();
          if (n !== OVER_MAX_DBS) {
            const names: string[] = [];
            for (let i = 0; i < n; i++) names.push(r.cstr());
            st.updatedDbNames = names;
          }
          break;
        }
        case Q.MICROSECONDS: st.microseconds = r.u24(); break;
        case Q.EXPLICIT_DEFAULTS_FOR_TIMESTAMP: st.explicitDefaultsForTimestamp = r.u8() !== 0; break;
        case Q.DDL_LOGGED_WITH_XID: st.ddlXid = r.u64(); break;
        case Q.DEFAULT_COLLATION_FOR_UTF8MB4: st.defaultCollationForUtf8mb4 = r.u16(); break;
        case Q.SQL_REQUIRE_PRIMARY_KEY: st.sqlRequirePrimaryKey = r.u8() !== 0; break;
        case Q.DEFAULT_TABLE_ENCRYPTION: st.defaultTableEncryption = r.u8() !== 0; break;
        case Q.HRNOW: st.microseconds = r.u24(); break;
        case Q.XID: st.xid = r.u64(); break;
        case Q.GTID_FLAGS3: st.gtidFlags3 = r.u8(); break;
        default:
          st.unknownStatusCode = code;
          return st;
      }
    }
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err;
    // a status variable that does not fit: keep what we have
  }
  return st;
}

/**
 * Decode a QUERY (or MariaDB QUERY_COMPRESSED) body in [start, end).
 * `postHeaderLength` comes from the FORMAT_DESCRIPTION (13 for v4; 11 means no status vars).
 */
export function decodeQuery(buf: Buffer, start: number, end: number, postHeaderLength: number, compressed: boolean): QueryEvent {
  const r = new ByteReader(buf, start, end);
  const threadId = r.u32();
  const executionTime = r.u32();
  const dbLen = r.u8();
  const errorCode = r.u16();
  let statusLen = 0;
  if (postHeaderLength >= 13) statusLen = r.u16();
  if (postHeaderLength > 13) r.skip(postHeaderLength - 13);
  r.ensure(statusLen, 'query status variables');
  const status = parseQueryStatus(buf, r.pos, r.pos + statusLen);
  r.skip(statusLen);
  const database = r.str(dbLen);
  r.skip(1); // NUL after the database name
  const sql = compressed ? mariadbUncompress(buf, r.pos, end).toString('utf8') : r.str(r.remaining);
  return { kind: 'query', threadId, executionTime, errorCode, database, sql, status };
}
