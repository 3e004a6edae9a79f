// A pipeline of every `app.*` table of a throwaway MariaDB source into a throwaway PostgreSQL database (Pipeline API).
import { Pipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/config/index.js';
import type { Logger } from '../../../src/log.js';
import type { MariaDbServer } from '../../../src/testkit/mariadb-server.js';

/** A factory: each call makes a new Pipeline instance of the same config (a restart). */
export function appToPostgres(source: MariaDbServer, pgUrl: string, logger: Logger): () => Pipeline {
  const cfg = parseConfig(JSON.stringify({
    sources: { s: { type: 'mysql', url: source.url } },
    targets: { t: { type: 'postgres', url: pgUrl } },
    tuning: { maxBatchDelayMs: 20 },
    pipelines: [{ name: 'app', source: 's', target: 't', tables: ['app.*'] }],
  }), { format: 'json' });
  return () => new Pipeline({ config: cfg.pipelines[0]!, source: cfg.sources.s!, target: cfg.targets.t!, logger });
}
