/**
 * The one place that builds sources and pipelines, for `sluice run`, `sluice serve` (PipelineManager), the
 * benchmarks and later the cluster: a pipeline gets its targets from the targets registry (by the target's
 * `type`) and, when given `SourceReaders`, the shared binlog reader of its source.
 */
import type { Logger } from '../log.js';
import type { PipelineConfig, SourceConfig, TargetConfig } from '../config/types.js';
import { targetFactory } from '../targets/registry.js';
import { Pipeline, defaultServerId, type PipelineOptions } from './pipeline.js';
import { SourceHub } from './source-hub.js';

/** One binlog reader per source, shared by all of its pipelines (opened on first use). */
export class SourceReaders {
  private readonly hubs = new Map<string, SourceHub>();

  constructor(private readonly log: Logger) {}

  /** The shared reader of source `name`. */
  of(name: string, source: SourceConfig): SourceHub {
    let hub = this.hubs.get(name);
    if (!hub) {
      hub = new SourceHub(source.url, source.serverId ?? defaultServerId(name), this.log.child({ source: name }));
      this.hubs.set(name, hub);
    }
    return hub;
  }

  async close(): Promise<void> {
    await Promise.all([...this.hubs.values()].map((h) => h.close().catch(() => undefined)));
    this.hubs.clear();
  }
}

export interface BuildPipelineOptions extends Pick<PipelineOptions, 'retry' | 'skip' | 'resync' | 'epoch'> {
  logger: Logger;
  /** Shared binlog readers (`sluice run`); without, the pipeline reads the binlog on its own. */
  readers?: SourceReaders;
}

/** A pipeline over `source` and `target` (any kind of the targets registry). */
export function buildPipeline(config: PipelineConfig, source: SourceConfig, target: TargetConfig, opts: BuildPipelineOptions): Pipeline {
  return new Pipeline({
    config, source, target, logger: opts.logger,
    targets: targetFactory(target, { parallelism: config.tuning.snapshotParallelism }),
    ...(opts.readers ? { hub: opts.readers.of(config.source, source) } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    ...(opts.skip ? { skip: opts.skip } : {}),
    ...(opts.resync ? { resync: true } : {}),
    ...(opts.epoch !== undefined ? { epoch: opts.epoch } : {}),
  });
}
