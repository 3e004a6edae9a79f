/** The PostgreSQL target kind: public surface of the folder. */
export { PostgresTarget, POSTGRES_CAPABILITIES, parsePostgresUrl, pgShadowTableName, type PostgresTargetOptions } from './postgres-target.js';
export { checkPostgresTarget, assertPostgresTarget, testPostgresConnection, type PostgresCheck, type PostgresConnectionInfo } from './preflight.js';
export { pgColumnType, pgColumnCheck, pgText, cellFromPgText, pgIdent, pgTargetName, type PgColumn } from './type-map.js';
export { pgCopyExpression, pgCopyLineExpression } from './copy-select.js';
export { translateDdl } from './ddl-translate.js';
export { SESSION_SETUP as PG_SESSION_SETUP, RAW_TYPES as PG_RAW_TYPES } from './postgres-target.js';
export {
  pgCheckpointSql, pgColumnsSql, pgColumnOf, pgSelectSql, pgKeyPageSql, pgKeyTuple, pgUpsertSql, pgDeleteSql, pgDeleteCopiesSql, pgCompareText, canonicalJson,
} from './verify-sql.js';
