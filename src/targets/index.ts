/** Sinks: the Sink contract, the change merger, and the MySQL/MariaDB sink. */
export { routeToDatabase, type Checkpoint, type DdlChange, type Sink, type SinkBatch, type TableRoute, type TableRouter } from './sink.js';
export { mergeChanges, keyString, type MergeOptions, type OrderedOp, type Segment, type ShapeLookup, type TableOps, type TableShape } from './merge-changes.js';
export { MysqlSink, type MysqlSinkOptions } from './mysql/mysql-sink.js';
export { createTableLike, normalizeType, targetCreateSql, type CreateTableOutcome, type QueryConnection } from './mysql/create-table-like.js';
export { CheckpointTable, CHECKPOINT_TABLE } from './mysql/checkpoint-table.js';
export { TableShapeCache } from './mysql/table-shapes.js';
export { rewriteDdl, type RewrittenDdl } from './mysql/ddl-rewrite.js';
export { sqlLiteral, quoteId, qualifiedName } from './mysql/sql-literal.js';
