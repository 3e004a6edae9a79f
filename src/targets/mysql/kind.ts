/** The MySQL / MariaDB target kind: what the registry knows about it (see targets/kind.ts). */
import { z } from 'zod';
import { parseMysqlUrl, parseTlsOptions } from '../../mysql/mysql-url.js';
import type { EndpointParts, TargetKind } from '../kind.js';
import { MysqlTarget } from './mysql-target.js';
import { TableShapeCache } from './table-shapes.js';
import { checkMysqlPipelineTarget, checkMysqlTarget } from './preflight.js';

const nonEmpty = z.string().min(1);

/** `mysql://user:pass@host:3306/db?ssl-mode=…` of stored parts. */
function mysqlUrl(e: EndpointParts, passwordText?: string): string {
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  const pw = passwordText ?? (e.password ? encodeURIComponent(e.password) : '');
  const auth = `${encodeURIComponent(e.user)}${pw ? `:${pw}` : ''}`;
  const q = new URLSearchParams(e.options).toString();
  return `mysql://${auth}@${host}:${e.port}/${e.database ? encodeURIComponent(e.database) : ''}${q ? `?${q}` : ''}`;
}

export const MYSQL_KIND: TargetKind = {
  types: ['mysql', 'mariadb'],
  title: 'MySQL / MariaDB',
  description: 'Rows and the checkpoint commit in one InnoDB transaction (exactly-once, epoch fencing); tables are created from the source '
    + 'definition (foreign keys between copied tables kept); DDL is run as the source ran it, routed to the target database; re-snapshots '
    + 'are built in shadow tables and swapped in with one atomic RENAME.',
  configSchema: z.strictObject({
    type: z.enum(['mysql', 'mariadb']),
    url: nonEmpty,
    checkpointDatabase: nonEmpty.optional(),
  }),
  checkpointPlace: 'database',
  endpoint: {
    schemes: ['mysql', 'mariadb'],
    defaultPort: 3306,
    fields: [
      { name: 'host', label: 'Host', input: 'text', required: true },
      { name: 'port', label: 'Port', input: 'number', required: false, default: 3306 },
      { name: 'user', label: 'User', input: 'text', required: true },
      { name: 'password', label: 'Password', input: 'password', required: false },
      { name: 'database', label: 'Default database', input: 'text', required: false, help: 'optional; tables go to the source database names (or the pipeline\'s targetDatabase)' },
      { name: 'checkpointDatabase', label: 'Checkpoint database', input: 'text', required: false, default: '_sluice', help: 'holds the checkpoints and snapshot progress' },
    ],
    url: mysqlUrl,
    parseUrl: parseMysqlUrl,
    checkOptions(options) {
      const tls = parseTlsOptions(options);
      return tls.ok ? null : { message: tls.message, fix: tls.fix };
    },
  },
  checkTarget: (config) => checkMysqlTarget(config.url, config.checkpointDatabase),
  checkPipeline: checkMysqlPipelineTarget,
  factory(config, shared) {
    // One shape cache per pipeline: its targets (stream, snapshot workers) read each table's shape once.
    const shapes = new TableShapeCache();
    return (o) => new MysqlTarget({ ...o, connection: config.url, checkpointDatabase: config.checkpointDatabase, shapes, ...(shared.parallelism !== undefined ? { parallelism: shared.parallelism } : {}) });
  },
};
