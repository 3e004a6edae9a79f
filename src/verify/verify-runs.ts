/**
 * Verify runs in a long-lived process (`sluice serve`): at most one per pipeline at a time, in the background;
 * the latest run per pipeline (state, progress, results with a sample of differences) and per-table figures
 * for the metrics (rows checked, cumulative; differing rows of the latest check).
 */
import type { PipelineConfig, SourceConfig, TargetConfig } from '../config/types.js';
import { SluiceError, isSluiceError } from '../errors.js';
import type { TableProgress } from './table-verifier.js';
import { verify, type VerifySummary } from './verify.js';
import type { LastVerifyResult, RunTableResult } from '../core/verify-result.js';

export type { LastVerifyResult, RunTableResult };

/** Differences kept per table in a run's result. */
const SAMPLE = 20;

export interface VerifyRun {
  pipeline: string;
  state: 'running' | 'done' | 'failed';
  repair: boolean;
  tables: string[] | null;
  startedAt: string;
  finishedAt: string | null;
  /** The table being compared and how far (while running). */
  progress: (TableProgress & { table: string }) | null;
  summary: Omit<VerifySummary, 'results'> | null;
  /** Per table, with at most 20 differences each (`differencesTotal` has the count). */
  results: RunTableResult[];
  error: { code: string; message: string; fix: string } | null;
}

/** Where finished table results go (the store); must not throw. */
export type VerifyResultSink = (pipeline: string, result: LastVerifyResult) => void;

export interface VerifyTableFigures {
  table: string;
  rowsCheckedTotal: number;
  /** Differing rows found by the latest check of the table (after a repair: by its re-check). */
  mismatchedRows: number;
}

export interface VerifyRequest {
  tables?: string[];
  repair?: boolean;
}

export class VerifyRuns {
  private readonly runs = new Map<string, VerifyRun>();
  private readonly figures = new Map<string, Map<string, VerifyTableFigures>>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly controller = new AbortController();

  /** `onResult`: called with every table's result as its check finishes (to keep it in the store). */
  constructor(private readonly onResult?: VerifyResultSink) {}

  latest(pipeline: string): VerifyRun | null {
    return this.runs.get(pipeline) ?? null;
  }

  tableFigures(pipeline: string): VerifyTableFigures[] {
    return [...(this.figures.get(pipeline)?.values() ?? [])];
  }

  /** Forget a deleted pipeline. */
  drop(pipeline: string): void {
    this.runs.delete(pipeline);
    this.figures.delete(pipeline);
  }

  /** Start verifying `pipeline` in the background; refused while a run of it is in progress. */
  start(config: PipelineConfig, source: SourceConfig, target: TargetConfig, req: VerifyRequest): VerifyRun {
    const name = config.name;
    if (this.runs.get(name)?.state === 'running') {
      throw new SluiceError('BAD_ARGUMENT', `a verify of pipeline ${name} is already running`, 'wait for it to finish (GET its verify result)');
    }
    const run: VerifyRun = { pipeline: name, state: 'running', repair: req.repair === true, tables: req.tables ?? null, startedAt: new Date().toISOString(),
      finishedAt: null, progress: null, summary: null, results: [], error: null };
    this.runs.set(name, run);
    const cfg = { sources: { [source.name]: source }, targets: { [target.name]: target }, pipelines: [config] };
    const done = verify(cfg, {
      ...(req.tables ? { tables: req.tables } : {}),
      repair: run.repair,
      signal: this.controller.signal,
      onProgress: (p) => { run.progress = { ...p, table: p.table }; },
      onTable: (r) => {
        const result: RunTableResult = { ...r, differences: r.differences.slice(0, SAMPLE), differencesTotal: r.differences.length };
        run.results.push(result);
        this.onResult?.(name, { ...result, repair: run.repair, checkedAt: new Date().toISOString() });
        let byTable = this.figures.get(name);
        if (!byTable) this.figures.set(name, byTable = new Map());
        const prev = byTable.get(r.table);
        byTable.set(r.table, { table: r.table, rowsCheckedTotal: (prev?.rowsCheckedTotal ?? 0) + r.rowsChecked, mismatchedRows: r.recheckMismatchedRows ?? r.mismatchedRows });
      },
    }).then((summary) => {
      const { results: _all, ...rest } = summary;
      run.summary = rest;
      run.state = 'done';
    }, (err: unknown) => {
      run.state = 'failed';
      run.error = isSluiceError(err) ? { code: err.code, message: err.message, fix: err.fix } : { code: 'INTERNAL', message: String(err), fix: 'see the logs' };
    }).finally(() => {
      run.finishedAt = new Date().toISOString();
      run.progress = null;
      this.pending.delete(name);
    });
    this.pending.set(name, done);
    return run;
  }

  /** Stop the runs in progress (at their next chunk) and wait for them to end (a clean shutdown). */
  async close(): Promise<void> {
    this.controller.abort();
    await Promise.all([...this.pending.values()]);
  }
}
