/**
 * Actions on a pipeline that only its owner can carry out (retry, skip, resync, re-snapshot of a table), sent
 * from any node of a cluster through the store (table `pipeline_commands`). The node that got the request
 * writes a pending command; the owner picks the pending commands of the pipelines it holds on its next pass,
 * claims each by compare-and-set (pending → running, so exactly one node runs it, once), runs it through its
 * PipelineManager and records the outcome (done with the resulting status, or failed with the error). A
 * command no owner claimed before its expiry is marked expired and never runs. Every run is audited.
 * Times are the store's clock (ms).
 */
import { sql } from 'kysely';
import { isSluiceError } from '../errors.js';
import type { Logger } from '../log.js';
import type { SkipTarget } from '../pipeline/pipeline.js';
import { storeNowMs, type Store } from '../store/index.js';
import type { PipelineManager } from './pipeline-manager.js';
import type { PipelineStatus } from './pipeline-status.js';

export type CommandAction = 'retry' | 'skip' | 'resync' | 'resnapshot';
export type CommandState = 'pending' | 'running' | 'done' | 'failed' | 'expired';

/** What an action needs: the skip's position (none: the latest error's), the table to copy again. */
export interface CommandArgs { skip?: SkipTarget; table?: { database: string; table: string } }

export interface CommandError { code: string; message: string; fix: string | null }

/** A command as the store has it (`GET /api/pipelines/:name/commands/:id`). */
export interface PipelineCommand {
  id: number;
  pipeline: string;
  action: CommandAction;
  args: CommandArgs;
  state: CommandState;
  /** The node that received the request, and who made it. */
  requestedBy: string;
  actor: string | null;
  /** ms since the epoch by the store's clock. */
  createdAt: number;
  expiresAt: number;
  /** The owner that ran it, under which lease epoch. */
  claimedBy: string | null;
  claimedEpoch: number | null;
  finishedAt: number | null;
  /** The owner's status right after the action (done). */
  result: PipelineStatus | null;
  /** Why it failed (failed, expired). */
  error: CommandError | null;
}

const ACTIONS: readonly CommandAction[] = ['retry', 'skip', 'resync', 'resnapshot'];
const STATES: readonly CommandState[] = ['pending', 'running', 'done', 'failed', 'expired'];
const FINAL: readonly CommandState[] = ['done', 'failed', 'expired'];

export const isFinal = (c: PipelineCommand): boolean => FINAL.includes(c.state);

type Row = { id: number; pipeline: string; action: string; args: string; state: string; requested_by: string; actor: string | null; created_at: number; expires_at: number;
  claimed_by: string | null; claimed_epoch: number | null; finished_at: number | null; result: string | null };

function commandFrom(r: Row): PipelineCommand {
  const state = STATES.find((s) => s === r.state) ?? 'failed';
  const outcome = r.result === null ? null : JSON.parse(r.result) as { status?: PipelineStatus; error?: CommandError };
  return {
    id: Number(r.id), pipeline: r.pipeline, action: ACTIONS.find((a) => a === r.action) ?? 'retry', args: JSON.parse(r.args) as CommandArgs, state,
    requestedBy: r.requested_by, actor: r.actor, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at),
    claimedBy: r.claimed_by, claimedEpoch: r.claimed_epoch === null ? null : Number(r.claimed_epoch),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at), result: outcome?.status ?? null, error: outcome?.error ?? null,
  };
}

export interface CommandQueueOptions {
  /** A command no owner claimed within this long expires (default 30 s). */
  ttlMs?: number;
  /** A running command whose owner did not finish it within this long is marked failed (default 10 min). */
  runningTimeoutMs?: number;
}

/** The store side of the commands: submit, wait, claim (compare-and-set), finish, expire. Works on every dialect. */
export class CommandQueue {
  private readonly ttlMs: number;
  private readonly runningTimeoutMs: number;

  constructor(private readonly store: Store, private readonly nodeId: string, o: CommandQueueOptions = {}) {
    this.ttlMs = o.ttlMs ?? 30_000;
    this.runningTimeoutMs = o.runningTimeoutMs ?? 600_000;
  }

  /** Queue an action for the owner of `pipeline`; returns the pending command. */
  async submit(pipeline: string, action: CommandAction, args: CommandArgs, actor: string | null): Promise<PipelineCommand> {
    const now = storeNowMs(this.store.dialect);
    const q = this.store.db.insertInto('pipeline_commands').values({
      pipeline, action, args: JSON.stringify(args), state: 'pending', requested_by: this.nodeId, actor,
      created_at: now, expires_at: sql<number>`${now} + ${this.ttlMs}`, claimed_by: null, claimed_epoch: null, claimed_at: null, finished_at: null, result: null,
    });
    const id = this.store.dialect === 'mysql' ? Number((await q.executeTakeFirstOrThrow()).insertId) : Number((await q.returning('id').executeTakeFirstOrThrow()).id);
    return (await this.get(id))!;
  }

  async get(id: number): Promise<PipelineCommand | null> {
    const r = await this.store.db.selectFrom('pipeline_commands').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? commandFrom(r) : null;
  }

  /** The latest commands of a pipeline, newest first. */
  async list(pipeline: string, limit = 20): Promise<PipelineCommand[]> {
    const rows = await this.store.db.selectFrom('pipeline_commands').selectAll().where('pipeline', '=', pipeline).orderBy('id', 'desc').limit(limit).execute();
    return rows.map(commandFrom);
  }

  /** Poll until the command is final or `timeoutMs` passed; returns it as last read. */
  async wait(id: number, timeoutMs: number, pollMs = 100): Promise<PipelineCommand | null> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const c = await this.get(id);
      if (!c || isFinal(c) || Date.now() >= until) return c;
      await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, until - Date.now()))));
    }
  }

  /** Pending, unexpired commands of these pipelines, oldest first. */
  async pending(pipelines: readonly string[]): Promise<PipelineCommand[]> {
    if (pipelines.length === 0) return [];
    const rows = await this.store.db.selectFrom('pipeline_commands').selectAll()
      .where('state', '=', 'pending').where('pipeline', 'in', [...pipelines]).where('expires_at', '>', storeNowMs(this.store.dialect))
      .orderBy('id').execute();
    return rows.map(commandFrom);
  }

  /** Take a pending, unexpired command for this node under lease `epoch`: true for exactly one claimer. */
  async claim(id: number, epoch: number): Promise<boolean> {
    const now = storeNowMs(this.store.dialect);
    const r = await this.store.db.updateTable('pipeline_commands')
      .set({ state: 'running', claimed_by: this.nodeId, claimed_epoch: epoch, claimed_at: now })
      .where('id', '=', id).where('state', '=', 'pending').where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Record the outcome of a command this node runs. */
  async finish(id: number, outcome: { status: PipelineStatus } | { error: CommandError }): Promise<void> {
    await this.store.db.updateTable('pipeline_commands')
      .set({ state: 'status' in outcome ? 'done' : 'failed', finished_at: storeNowMs(this.store.dialect), result: JSON.stringify(outcome) })
      .where('id', '=', id).where('state', '=', 'running').where('claimed_by', '=', this.nodeId)
      .execute();
  }

  /** Mark expired the pending commands nobody claimed in time, and failed the running ones whose owner never finished. */
  async sweep(): Promise<void> {
    const now = storeNowMs(this.store.dialect);
    await this.store.db.updateTable('pipeline_commands')
      .set({ state: 'expired', finished_at: now, result: JSON.stringify({ error: { code: 'NO_OWNER', message: 'no node owning the pipeline took the command before it expired', fix: 'check that a node runs the pipeline (GET /api/cluster), then ask again' } }) })
      .where('state', '=', 'pending').where('expires_at', '<=', now)
      .execute();
    await this.store.db.updateTable('pipeline_commands')
      .set({ state: 'failed', finished_at: now, result: JSON.stringify({ error: { code: 'OWNER_LOST', message: 'the owner that took the command did not finish it (it stopped or lost the pipeline)', fix: 'look at the pipeline\'s status and ask again if needed' } }) })
      .where('state', '=', 'running').where('claimed_at', '<=', sql<number>`${now} - ${this.runningTimeoutMs}`)
      .execute();
  }
}

/** Run one action on this node's PipelineManager (the owner's). */
export function runAction(manager: PipelineManager, pipeline: string, action: CommandAction, args: CommandArgs): Promise<PipelineStatus> {
  switch (action) {
    case 'retry': return manager.retry(pipeline);
    case 'skip': return manager.skip(pipeline, args.skip);
    case 'resync': return manager.resync(pipeline);
    case 'resnapshot': {
      if (!args.table) return Promise.reject(new Error('a resnapshot command names no table'));
      return manager.resnapshot(pipeline, args.table.database, args.table.table);
    }
  }
}

export interface CommandRunnerOptions { queue: CommandQueue; manager: PipelineManager; store: Store; nodeId: string; logger: Logger }

/**
 * The owner's side: on each pass of the ClusterMember, claim the pending commands of the pipelines this node
 * holds and run them (in the background, one after the other per pipeline, so a slow halt does not hold the pass up).
 */
export class CommandRunner {
  private readonly chains = new Map<string, Promise<void>>();
  private lastSweep = 0;

  constructor(private readonly o: CommandRunnerOptions) {}

  async pass(held: ReadonlyMap<string, number>): Promise<void> {
    if (Date.now() - this.lastSweep >= 5000) {
      this.lastSweep = Date.now();
      await this.o.queue.sweep();
    }
    for (const cmd of await this.o.queue.pending([...held.keys()])) {
      const epoch = held.get(cmd.pipeline);
      if (epoch === undefined || !(await this.o.queue.claim(cmd.id, epoch))) continue;
      const before = this.chains.get(cmd.pipeline) ?? Promise.resolve();
      const next = before.then(() => this.run(cmd, epoch));
      this.chains.set(cmd.pipeline, next);
      void next.finally(() => { if (this.chains.get(cmd.pipeline) === next) this.chains.delete(cmd.pipeline); });
    }
  }

  /** Wait for the commands being run (close). */
  async idle(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private async run(cmd: PipelineCommand, epoch: number): Promise<void> {
    const log = this.o.logger.child({ component: 'commands', pipeline: cmd.pipeline, command: cmd.id, action: cmd.action });
    let outcome: { status: PipelineStatus } | { error: CommandError };
    try {
      outcome = { status: await runAction(this.o.manager, cmd.pipeline, cmd.action, cmd.args) };
      log.info({ requestedBy: cmd.requestedBy, epoch }, 'command from another node run');
    } catch (err) {
      outcome = { error: isSluiceError(err) ? { code: err.code, message: err.message, fix: err.fix } : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), fix: null } };
      log.warn({ err: String(err) }, 'command from another node failed');
    }
    try {
      await this.o.queue.finish(cmd.id, outcome);
      await this.o.store.audit({ actor: cmd.actor, action: 'pipeline.command', target: cmd.pipeline, details: {
        command: cmd.id, action: cmd.action, ...(cmd.args.skip || cmd.args.table ? { args: cmd.args } : {}), requestedBy: cmd.requestedBy, ranBy: this.o.nodeId, epoch,
        outcome: 'status' in outcome ? 'done' : 'failed', ...('error' in outcome ? { error: outcome.error.code } : {}),
      } });
    } catch (err) {
      log.warn({ err: String(err) }, 'cannot record the outcome of a command in the store');
    }
  }
}
