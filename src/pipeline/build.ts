/**
 * The one place that builds sources and pipelines, for `sluice run`, `sluice serve` (PipelineManager), the
 * benchmarks and later the cluster: a pipeline gets its targets from the targets registry (by the target's
 * `type`) and, when given `SourceReaders`, the shared binlog reader of its source.
 */
import { SluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PipelineConfig, SourceConfig, TargetConfig } from '../config/types.js';
import { targetFactory } from '../targets/registry.js';
import { Pipeline, defaultServerId, type PipelineOptions } from './pipeline.js';
import { SourceHub, type SharedReader, type SubscribeOptions, type Subscription } from './source-hub.js';
import type { ReaderIdLease } from './catch-up-reader.js';

/** The replica server id of the reader of source `name` (`sluice serve` in a cluster derives it from the node's slot). */
export type ServerIdOf = (name: string, source: SourceConfig) => number;

/** Without a cluster: the configured id, else one per source and process. */
export const defaultReaderServerId: ServerIdOf = (name, source) => source.serverId ?? defaultServerId(name);

/**
 * A server id for a private catch-up reader of source `name` (a pipeline joining behind the shared reader), held
 * until released; `onLost`: it can no longer be counted on (the reader stops).
 */
export type CatchUpIdsOf = (name: string, source: SourceConfig, onLost: (err: unknown) => void) => Promise<ReaderIdLease>;

/** Catch-up readers of one source open at once, at most (single node: ids `base + 1` … `base + this`). */
export const MAX_CATCH_UP_READERS = 16;

/**
 * Without a cluster: the shared reader's id + 1, + 2, … (the lowest free in this process), so a source configured
 * with `serverId: N` is read with ids N … N + 16 (keep them free among its replicas).
 */
export function localCatchUpIds(serverIdOf: ServerIdOf = defaultReaderServerId): CatchUpIdsOf {
  const used = new Map<string, Set<number>>();
  return (name, source) => {
    const base = serverIdOf(name, source);
    const key = `${source.url}\0${base}`;
    const taken = used.get(key) ?? new Set<number>();
    used.set(key, taken);
    for (let k = 1; k <= MAX_CATCH_UP_READERS; k++) {
      if (taken.has(k)) continue;
      taken.add(k);
      let held = true;
      return Promise.resolve({
        serverId: base + k,
        release: () => {
          if (held) { held = false; taken.delete(k); }
          return Promise.resolve();
        },
      });
    }
    return Promise.reject(new SluiceError('BAD_CONFIG', `source ${name}: ${MAX_CATCH_UP_READERS} catch-up readers are open already`,
      'nothing to do: the pipeline joins the shared reader by restarting it'));
  };
}

/**
 * One binlog reader per source, shared by all of its pipelines. A pipeline holds a handle: each subscribe finds
 * the source's hub (opened on first use, closed when its last pipeline leaves), with the server id of the moment.
 */
export class SourceReaders {
  private readonly hubs = new Map<string, SourceHub>();
  /** Hubs being closed: a new hub on the same key waits (never two connections with one server id). */
  private readonly closing = new Map<string, Promise<void>>();

  private readonly catchUpIdsOf: CatchUpIdsOf | null;

  /**
   * `catchUpIdsOf`: server ids for catch-up readers; by default `localCatchUpIds` when `serverIdOf` is the
   * default one, none otherwise (ids derived from another scheme might collide: joiners behind then restart the reader).
   */
  constructor(private readonly log: Logger, private readonly serverIdOf: ServerIdOf = defaultReaderServerId, catchUpIdsOf?: CatchUpIdsOf | null) {
    this.catchUpIdsOf = catchUpIdsOf !== undefined ? catchUpIdsOf : serverIdOf === defaultReaderServerId ? localCatchUpIds(serverIdOf) : null;
  }

  /** The shared reader of source `name`. */
  of(name: string, source: SourceConfig): SharedReader {
    const serverIdOf = this.serverIdOf;
    return {
      get serverId() { return serverIdOf(name, source); },
      subscribe: (opts) => this.subscribe(name, source, opts),
    };
  }

  /** Readers open now (one per source with pipelines streaming). */
  get open(): number {
    return this.hubs.size;
  }

  private async subscribe(name: string, source: SourceConfig, opts: SubscribeOptions): Promise<Subscription> {
    const serverId = this.serverIdOf(name, source);
    const key = `${name}\0${source.url}\0${serverId}`;
    for (;;) {
      const hub = this.hubs.get(key);
      if (hub) return hub.subscribe(opts);
      const closing = this.closing.get(key);
      if (!closing) break;
      await closing;
    }
    const ids = this.catchUpIdsOf;
    const hub = new SourceHub(source.url, serverId, this.log.child({ source: name }), {
      onIdle: (h) => this.retire(key, h),
      ...(ids ? { catchUpIds: (onLost: (err: unknown) => void) => ids(name, source, onLost) } : {}),
    });
    this.hubs.set(key, hub);
    return hub.subscribe(opts);
  }

  private retire(key: string, hub: SourceHub): void {
    if (this.hubs.get(key) !== hub) return;
    this.hubs.delete(key);
    const done = hub.close().catch(() => undefined).finally(() => {
      if (this.closing.get(key) === done) this.closing.delete(key);
    });
    this.closing.set(key, done);
  }

  async close(): Promise<void> {
    const hubs = [...this.hubs.values()];
    this.hubs.clear();
    await Promise.all([...hubs.map((h) => h.close().catch(() => undefined)), ...this.closing.values()]);
  }
}

export interface BuildPipelineOptions extends Pick<PipelineOptions, 'retry' | 'skip' | 'resync' | 'epoch'> {
  logger: Logger;
  /** Shared binlog readers (`sluice run`, `sluice serve`); without, the pipeline reads the binlog on its own. */
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
