/** The status of a managed pipeline as the API reports it (see docs/api.md, PipelineStatus). */
import type { DesiredState } from '../store/store.js';

export type PipelineState = 'stopped' | 'starting' | 'snapshotting' | 'streaming' | 'retrying' | 'paused' | 'failed';
export const PIPELINE_STATES: readonly PipelineState[] = ['stopped', 'starting', 'snapshotting', 'streaming', 'retrying', 'paused', 'failed'];

export interface PipelineError { time: string; code: string; message: string; fix: string | null }

export interface TableProgress { database: string; table: string; rowsCopied: number; rowsEstimated: number; done: boolean }

export interface PipelineStatus {
  name: string;
  state: PipelineState;
  desiredState: DesiredState;
  since: string | null;
  startedAt: string | null;
  lagSeconds: number | null;
  rowsPerSecond: number;
  rowsApplied: number;
  transactionsApplied: number;
  snapshot: {
    rowsCopied: number;
    rowsEstimated: number;
    percent: number | null;
    rowsPerSecond: number;
    etaSeconds: number | null;
    tables: TableProgress[];
  };
  position: { file: string; pos: number; gtidSet?: string } | null;
  errorCount: number;
  restarts: number;
  recentErrors: PipelineError[];
}
