/** Targets: the `Target` contract, the change merger, the kinds' registry and the MySQL/MariaDB target. */
export { routeToDatabase, shadowTableName, type Checkpoint, type DdlChange, type SnapshotChunk, type SourceTable, type Target, type TargetBatch, type TargetCapabilities, type TargetFactory, type TargetOptions, type TableRoute, type TableRouter } from './target.js';
export { mergeChanges, keyString, type MergeOptions, type OrderedOp, type Segment, type ShapeLookup, type TableOps, type TableShape } from './merge-changes.js';
export { MysqlTarget, type MysqlTargetOptions } from './mysql/mysql-target.js';
export { createTableLike, normalizeType, targetCreateSql, type CreateTableOutcome, type QueryConnection } from './mysql/create-table-like.js';
export { CheckpointTable, CHECKPOINT_TABLE } from './mysql/checkpoint-table.js';
export { TableShapeCache } from './mysql/table-shapes.js';
export { rewriteDdl, type RewrittenDdl } from './mysql/ddl-rewrite.js';
export { sqlLiteral, quoteId, qualifiedName } from './mysql/sql-literal.js';
