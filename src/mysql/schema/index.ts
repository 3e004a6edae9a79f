/** Schema loading from information_schema, DDL classification and the schema history. */
export * from './table-schema.js';
export * from './schema-loader.js';
export * from './ddl.js';
export * from './column-compat.js';
export * from './schema-history.js';
