/** Target kinds (placeholder, filled in below). */
import type { TargetConfig } from '../config/types.js';
import type { TargetFactory } from './target.js';
import { MysqlTarget } from './mysql/mysql-target.js';
import { TableShapeCache } from './mysql/table-shapes.js';

export function targetFactory(target: TargetConfig, shared: { parallelism?: number }): TargetFactory {
  const shapes = new TableShapeCache();
  return (o) => new MysqlTarget({ ...o, connection: target.url, checkpointDatabase: target.checkpointDatabase, shapes, parallelism: shared.parallelism });
}
