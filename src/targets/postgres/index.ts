/** The PostgreSQL target kind: public surface of the folder. */
export { PostgresTarget, POSTGRES_CAPABILITIES, parsePostgresUrl, pgShadowTableName, type PostgresTargetOptions } from './postgres-target.js';
export { checkPostgresTarget, assertPostgresTarget, testPostgresConnection, type PostgresCheck, type PostgresConnectionInfo } from './preflight.js';
export { pgColumnType, pgColumnCheck, pgText, cellFromPgText, type PgColumn } from './type-map.js';
export { pgCopyExpression, pgCopyLineExpression } from './copy-select.js';
export { translateDdl } from './ddl-translate.js';
