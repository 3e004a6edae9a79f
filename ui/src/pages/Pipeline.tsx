// One pipeline: state and actions, per-table snapshot progress and re-snapshot, position, charts, recent errors
// (with skip of a failing source transaction), skipped transactions, verify (last result per table, repair).
import { useEffect, useMemo, useRef, useState, type FormEvent, type ReactElement } from 'react';
import { api, type PipelineError, type PipelineOwner, type PipelineState, type PipelineStatus, type SkipTarget, type TableProgress } from '../api';
import { can, useAuth } from '../auth';
import { Chart } from '../components/Chart';
import { VerifyPanel } from '../components/VerifyPanel';
import { Badge, ErrorBanner, Modal, Progress, duration, num, usePolling, when } from '../components/common';
import { addLive, toSeries, type LivePoint } from '../components/history';
import { navigate } from '../router';

type Action = 'start' | 'pause' | 'resume' | 'stop' | 'retry';

const ACTIVE: readonly PipelineState[] = ['starting', 'snapshotting', 'streaming', 'retrying'];

function allowed(state: PipelineState, action: Action): boolean {
  switch (action) {
    case 'start': return state === 'stopped';
    case 'pause': return ACTIVE.includes(state);
    case 'resume': return state === 'paused';
    case 'stop': return state !== 'stopped';
    case 'retry': return state === 'failed' || state === 'retrying';
  }
}

/** The actions offered in a state, in display order: each applicable action once, nothing that does not apply. */
export function actionsFor(state: PipelineState): Action[] {
  return (['start', 'retry', 'resume', 'pause', 'stop'] as const).filter((a) => allowed(state, a));
}

const ACTION_LABEL: Record<Action, string> = { start: 'Start', pause: 'Pause', resume: 'Resume', stop: 'Stop', retry: 'Retry now' };
const ACTION_TITLE: Record<Action, string> = {
  start: 'Start from the checkpoint',
  pause: 'Stop after the current batch and keep the checkpoint; Resume continues',
  resume: 'Continue from the checkpoint',
  stop: 'Stop; the pipeline is not started again when sluice serve restarts',
  retry: 'Restart the pipeline now instead of waiting for the next automatic retry',
};

/**
 * Error texts are written for the API and the CLI too: on this page, name the buttons instead of the routes.
 */
export function forThisPage(text: string): string {
  return text
    .replace(/\s*\(POST \/api\/pipelines\/[^)\s]+\/skip\)/g, '')
    .replace(/, or `sluice run --skip [^`]+`/g, '') // the command-line way, not what this page offers
    .replace(/POST \/api\/pipelines\/[^\s)]+\/skip \(Skip on the pipeline page\)/g, 'the “Skip this transaction” button')
    .replace(/POST \/api\/pipelines\/[^\s)]+\/skip/g, 'the “Skip this transaction” button')
    .replace(/Resync on its page in sluice serve \(POST \/api\/pipelines\/[^\s)]+\/resync\)/g, 'the “Resync” button')
    .replace(/\(?under sluice serve: Resync on the pipeline page, POST \/api\/pipelines\/[^\s)]+\/resync\)?/g, '(here: the “Resync” button)')
    .replace(/POST \/api\/pipelines\/[^\s)]+\/resync/g, 'the “Resync” button')
    .replace(/POST \/api\/pipelines\/[^\s)]+\/tables\/[^\s)]+\/resnapshot/g, 'the table’s “Re-snapshot” button')
    .replace(/POST \/api\/pipelines\/[^\s)]+\/(retry|start)/g, 'the “Retry now” button');
}

/** In a cluster: the node that runs the pipeline (its lease epoch, how old its report is), or why none does. */
function OwnerLine({ owner }: { owner: PipelineOwner }): ReactElement {
  const age = owner.reportAgeMs !== null && !owner.self ? ` · reported ${(owner.reportAgeMs / 1000).toFixed(1)} s ago` : '';
  return (
    <p className="muted" data-testid="pipeline-owner">
      {owner.node !== null
        ? <>Owner: node <strong className="mono">{owner.node}</strong> (epoch {owner.epoch}){owner.self ? ' · this node' : age}</>
        : <>Owner: none{owner.reason ? ` — ${owner.reason}` : ''}{age}</>}
    </p>
  );
}

/** The tables (`db`.`table`) and keys an error message names, to show them apart from the text. */
export function errorSubjects(e: { message: string }): { tables: string[]; keys: string[] } {
  const tables = [...e.message.matchAll(/`([^`]+)`\.`([^`]+)`/g)].map((m) => `${m[1]}.${m[2]}`);
  const keys = [...e.message.matchAll(/(?:for key|CONSTRAINT|constraint) [`'"]([^`'"]+)[`'"]/g)].map((m) => m[1]!);
  const entries = [...e.message.matchAll(/Duplicate entry '([^']*)'/g)].map((m) => `value ${m[1]}`);
  return { tables: [...new Set(tables)], keys: [...new Set([...keys, ...entries])] };
}

/** A confirmation the operator has to give before an action that cannot be undone. */
type Confirm = { kind: 'resnapshot'; table: string; rows: number | null } | { kind: 'skip'; target: SkipTarget; error: PipelineError } | { kind: 'resync' };

/** Errors that only a resync cures (the checkpoint's binlog is gone). */
const NEEDS_RESYNC = new Set(['POSITION_PURGED', 'GTID_PURGED']);

const samePos = (a: SkipTarget | null | undefined, b: SkipTarget | null | undefined): boolean =>
  !!a && !!b && a.file === b.file && a.pos === b.pos && a.kind === b.kind;
const posText = (t: SkipTarget): string => `${t.file}:${t.pos}`;
const skipLabel = (t: SkipTarget): string => (t.kind === 'ddl' ? 'Skip this DDL' : 'Skip this transaction');

function bytes(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let x = v;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${i === 0 ? x : x.toFixed(x >= 100 ? 0 : 1)} ${units[i]}`;
}

/** A time of today as its clock time, an older one with its date. */
function whenShort(ts: string): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return ts;
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString() : `${d.toLocaleDateString()} ${d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`;
}

/** A definition entry that names one table (`db.table`, no wildcard or quoting). */
const exactTable = (pattern: string): boolean => /^[^.*?`\s]+\.[^.*?`\s]+$/.test(pattern);

interface RateSample { t: number; copied: number; rate: number | null }

/** Per-table copy rate from successive status polls (the API gives the rate for the whole snapshot). */
function useTableRates(tables: TableProgress[] | undefined): Map<string, number | null> {
  const prev = useRef(new Map<string, RateSample>());
  const [rates, setRates] = useState(new Map<string, number | null>());
  useEffect(() => {
    if (!tables) return;
    const now = Date.now();
    const next = new Map<string, number | null>();
    for (const t of tables) {
      const key = `${t.database}.${t.table}`;
      const p = prev.current.get(key);
      let rate: number | null = p?.rate ?? null;
      if (p && now - p.t >= 500) {
        const r = Math.max(0, (t.rowsCopied - p.copied) / ((now - p.t) / 1000));
        rate = rate === null ? r : 0.5 * rate + 0.5 * r;
        prev.current.set(key, { t: now, copied: t.rowsCopied, rate });
      } else if (!p) {
        prev.current.set(key, { t: now, copied: t.rowsCopied, rate: null });
      }
      next.set(key, t.done ? null : rate);
    }
    setRates(next);
  }, [tables]);
  return rates;
}


/**
 * Tell the operator when a requested re-snapshot has left the queue, and how it ended. A table counts as done
 * once it was seen in the queue and is gone, or is absent from two fresh statuses (a small table is copied
 * between two polls).
 */
function useResnapshotOutcome(s: PipelineStatus | null, onDone: (msg: string) => void): (table: string) => void {
  const watched = useRef(new Map<string, { errorsBefore: number; seen: boolean; misses: number }>());
  const cb = useRef(onDone);
  cb.current = onDone;
  useEffect(() => {
    if (!s || watched.current.size === 0) return;
    for (const [table, w] of [...watched.current]) {
      if (s.resnapshotQueue.includes(table) || s.state === 'snapshotting') {
        w.seen ||= s.resnapshotQueue.includes(table);
        continue;
      }
      if (!w.seen && ++w.misses < 2) continue;
      watched.current.delete(table);
      cb.current(s.errorCount > w.errorsBefore
        ? `Re-snapshot of ${table} ended with an error (see Recent errors); the table keeps its previous copy.`
        : `Re-snapshot of ${table} done: the new copy is in place.`);
    }
  }, [s]);
  return (table: string) => { watched.current.set(table, { errorsBefore: s?.errorCount ?? 0, seen: false, misses: 0 }); };
}

export function PipelinePage({ name }: { name: string }): ReactElement {
  const { user } = useAuth();
  const def = usePolling((signal) => api.pipeline(name, signal), 15_000, [name]);
  const status = usePolling((signal) => api.pipelineStatus(name, signal), 2000, [name]);
  const history = usePolling((signal) => api.history(name, 30, signal), 5000, [name]);
  const verifyState = usePolling((signal) => api.verifyState(name, signal), 2000, [name]);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const [otherTable, setOtherTable] = useState('');
  const s: PipelineStatus | null = status.data;
  const rates = useTableRates(s?.snapshot.tables);
  // The charts end with the live readings of the status polls: the chart's newest point is the card's figure.
  const liveRef = useRef({ lag: new Map<string, LivePoint[]>(), rate: new Map<string, LivePoint[]>() });
  const live = useMemo(() => {
    if (s) {
      addLive(liveRef.current.lag, name, s.lagSeconds);
      addLive(liveRef.current.rate, name, s.rowsPerSecond);
    }
    return { lag: new Map(liveRef.current.lag), rate: new Map(liveRef.current.rate) };
  }, [s, name]);
  const operator = can(user, 'operator');
  const watchResnapshot = useResnapshotOutcome(s, setNotice);

  const act = async (action: Action): Promise<void> => {
    setBusy(action);
    setActionError(null);
    setNotice(null);
    try {
      await api.pipelineAction(name, action);
      status.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const resnapshot = async (table: string): Promise<void> => {
    setConfirm(null);
    setBusy('resnapshot');
    setActionError(null);
    setNotice(null);
    try {
      const st = await api.resnapshot(name, table);
      watchResnapshot(table);
      const ahead = st.resnapshotQueue.indexOf(table);
      setNotice(ahead > 0 ? `Re-snapshot of ${table} queued (${ahead} table${ahead === 1 ? '' : 's'} ahead).`
        : `Re-snapshot of ${table} started: the table is copied into a shadow table and swapped in when complete.`);
      status.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const skip = async (target: SkipTarget): Promise<void> => {
    setConfirm(null);
    setBusy('skip');
    setActionError(null);
    setNotice(null);
    try {
      await api.skip(name, target);
      setNotice(`Skip requested: the pipeline restarts and passes over the source ${target.kind === 'ddl' ? 'DDL statement' : 'transaction'} at ${posText(target)}.`);
      status.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const resync = async (): Promise<void> => {
    setConfirm(null);
    setBusy('resync');
    setActionError(null);
    setNotice(null);
    try {
      await api.resync(name);
      setNotice('Resync started: streaming restarts from the source\'s current position and every table is copied again, then swapped in.');
      status.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const verify = async (tables: string[] | undefined, repair: boolean): Promise<void> => {
    setBusy(repair ? 'repair' : 'verify');
    setActionError(null);
    setNotice(null);
    try {
      await api.verify(name, { ...(tables ? { tables } : {}), repair });
      const what = tables ? tables.join(', ') : 'every table';
      setNotice(repair ? `Repair of ${what} started: the differing rows are rewritten from the source, then checked again.`
        : `Verify of ${what} started: the result appears below as each table is compared.`);
      verifyState.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };
  const remove = async (): Promise<void> => {
    try {
      await api.deletePipeline(name);
      navigate('/');
    } catch (e) {
      setActionError(e);
    }
  };

  const state = s?.state ?? def.data?.state ?? 'stopped';
  const current = s && (s.state === 'failed' || s.state === 'retrying') ? s.recentErrors[0] ?? null : null;
  const snap = s?.snapshot;
  // A run resumed from a checkpoint copies nothing: its snapshot totals stay at 0 / 0.
  const noSnapshotThisRun = !!snap && snap.rowsEstimated === 0 && snap.rowsCopied === 0 && state !== 'snapshotting' && state !== 'starting';
  // The last complete copy of each table, from any run (kept by the server).
  const lastCopies = new Map((snap?.lastCopies ?? []).map((c) => [c.table, c]));
  const queue = s?.resnapshotQueue ?? [];
  const skipped = s?.skipped ?? [];
  const pendingSkip = s?.pendingSkip ?? null;

  // Every table the page knows of: copied in this run, queued for a re-copy, or named exactly in the definition.
  const progress = new Map<string, TableProgress>();
  for (const t of snap && !noSnapshotThisRun ? snap.tables : []) progress.set(`${t.database}.${t.table}`, t);
  const tableKeys = [...new Set([...progress.keys(), ...queue, ...lastCopies.keys(), ...(def.data?.tables ?? []).filter(exactTable)])]
    .filter((k) => !(def.data?.exclude ?? []).includes(k));
  const hasPatterns = (def.data?.tables ?? []).some((t) => !exactTable(t));

  const canResnapshot = (table: string): { ok: boolean; why: string } => {
    if (queue.includes(table)) return { ok: false, why: queue[0] === table && state === 'snapshotting' ? 'Being copied now' : 'Already queued' };
    if (busy !== null) return { ok: false, why: 'Busy' };
    if (state === 'snapshotting' && queue.length === 0) return { ok: false, why: 'Wait for the initial snapshot to finish' };
    if (state === 'snapshotting') return { ok: true, why: `Queue ${table} behind ${queue[0]} (copied next, shadow table, swapped in atomically)` };
    if (state !== 'streaming') return { ok: false, why: `A table can be copied again only while the pipeline streams (it is ${state})` };
    return { ok: true, why: `Copy ${table} again from the source (shadow table, swapped in atomically)` };
  };
  const askResnapshot = (table: string): void => {
    const t = progress.get(table);
    setConfirm({ kind: 'resnapshot', table, rows: t ? Math.max(t.rowsEstimated, t.rowsCopied) : null });
  };
  /** Only the error the pipeline is stopped at can be skipped; an older one lies behind the stream. */
  const canSkip = (e: PipelineError, i: number): { ok: boolean; why: string } => {
    if (!e.skip) return { ok: false, why: '' };
    if (skipped.some((k) => samePos(k.position, e.skip))) return { ok: false, why: 'Already skipped' };
    if (samePos(pendingSkip, e.skip)) return { ok: false, why: 'Skip requested; waiting for the stream to reach it' };
    if (busy !== null) return { ok: false, why: 'Busy' };
    if (i !== 0 || !['failed', 'retrying', 'paused', 'stopped'].includes(state)) {
      return { ok: false, why: 'Only the error the pipeline is stopped at can be skipped' };
    }
    return { ok: true, why: `Pass over the source ${e.skip.kind === 'ddl' ? 'DDL statement' : 'transaction'} at ${posText(e.skip)} and restart` };
  };
  const onOtherTable = (ev: FormEvent): void => {
    ev.preventDefault();
    const t = otherTable.trim();
    if (exactTable(t)) askResnapshot(t);
    else setActionError(new Error(`'${t}' is not a table name: use database.table`));
  };
  const resnapshotDisabled = state !== 'streaming';
  const verifyRunning = verifyState.data?.verify?.state === 'running';
  // Why Verify cannot start now (null: it can).
  const verifyBlocked = state !== 'streaming' ? `Verify compares the tables while the pipeline streams (it is ${state})`
    : verifyRunning ? 'A verify of this pipeline is running' : busy !== null ? 'Busy' : null;
  const currentSkip = current ? canSkip(current, 0) : null;

  return (
    <div data-testid="pipeline-page">
      <div className="topline">
        <h1>
          <a href="#/" className="muted" style={{ fontWeight: 400 }}>Pipelines / </a>{name}{' '}
          <Badge value={state} testId="pipeline-state" />
        </h1>
        {operator && (
          <div className="actions" data-testid="pipeline-actions">
            {actionsFor(state).map((a) => (
              <button key={a} className={a === 'stop' ? 'danger' : a === 'resume' || a === 'start' || a === 'retry' ? 'primary' : ''}
                disabled={busy !== null} title={ACTION_TITLE[a]} onClick={() => void act(a)}>
                {busy === a ? '…' : ACTION_LABEL[a]}
              </button>
            ))}
            <button data-testid="verify-all" disabled={verifyBlocked !== null} title={verifyBlocked ?? 'Compare every table with the source, without locks, while the pipeline streams'}
              onClick={() => void verify(undefined, false)}>{busy === 'verify' || verifyRunning ? 'Verifying…' : 'Verify'}</button>
            <button disabled={busy !== null} title="Stream from the source's current position and copy every table again (swapped in atomically)"
              onClick={() => setConfirm({ kind: 'resync' })}>{busy === 'resync' ? '…' : 'Resync'}</button>
            {def.data && !def.data.managedByConfig && (confirmDelete ? (
              <>
                <button className="danger" onClick={() => void remove()}>Really delete</button>
                <button onClick={() => setConfirmDelete(false)}>Keep</button>
              </>
            ) : (
              <button className="danger" disabled={busy !== null} onClick={() => setConfirmDelete(true)}>Delete</button>
            ))}
          </div>
        )}
      </div>
      {s?.owner && <OwnerLine owner={s.owner} />}
      <ErrorBanner error={status.error ?? def.error} />
      <ErrorBanner error={actionError} />
      {notice && <div className="alert info" data-testid="notice">{notice}</div>}
      {current && (
        <div className="alert error" role="alert" data-testid="current-error">
          <strong>{s?.state === 'failed' ? 'Failed' : 'Retrying'}: </strong>
          <span className="mono">[{current.code}]</span> {forThisPage(current.message)}
          <Subjects e={current} />
          {current.fix && <div>Fix: {forThisPage(current.fix)}</div>}
          {operator && (NEEDS_RESYNC.has(current.code) || (current.skip && currentSkip?.ok)) && (
            <div className="actions" style={{ marginTop: 8 }}>
              {NEEDS_RESYNC.has(current.code) && (
                <button className="small primary" disabled={busy !== null} onClick={() => setConfirm({ kind: 'resync' })}>Resync</button>
              )}
              {current.skip && currentSkip?.ok && (
                <button className="small danger" title={currentSkip.why}
                  onClick={() => setConfirm({ kind: 'skip', target: current.skip!, error: current })}>{skipLabel(current.skip)}</button>
              )}
            </div>
          )}
        </div>
      )}
      {pendingSkip && (
        <div className="alert info" data-testid="pending-skip">
          Skip requested: the source {pendingSkip.kind === 'ddl' ? 'DDL statement' : 'transaction'} at{' '}
          <span className="mono">{posText(pendingSkip)}</span> will be passed over when the stream reaches it.
        </div>
      )}

      <div className="cards">
        <div className="card"><div className="label">Lag</div><div className="value" data-testid="lag">{duration(s?.lagSeconds)}</div></div>
        <div className="card"><div className="label">Rows / s</div><div className="value">{num(s?.rowsPerSecond)}</div></div>
        <div className="card"><div className="label">Rows applied (stream)</div><div className="value" data-testid="rows-applied">{num(s?.rowsApplied)}</div></div>
        <div className="card"><div className="label">Transactions</div><div className="value">{num(s?.transactionsApplied)}</div></div>
        <div className="card"><div className="label">Queued changes</div><div className="value" data-testid="queued-changes" title="Read from the source, not yet committed on the target">{num(s?.queuedChanges)}</div></div>
        <div className="card"><div className="label">Binlog read</div><div className="value" data-testid="bytes-read">{bytes(s?.bytesRead)}</div></div>
        <div className="card"><div className="label">Source reconnects</div><div className="value" data-testid="source-reconnects">{num(s?.sourceReconnects)}</div></div>
        <div className="card"><div className="label">Errors / restarts</div><div className="value">{s ? `${s.errorCount} / ${s.restarts}` : '–'}</div></div>
      </div>

      <div className="grid2">
        <div className="panel">
          <h2>Position</h2>
          <dl className="kv" data-testid="position">
            <dt>State since</dt><dd>{when(s?.since)}</dd>
            <dt>Running since</dt><dd>{when(s?.startedAt)}</dd>
            <dt>Binlog file : pos</dt><dd className="mono">{s?.position ? `${s.position.file}:${s.position.pos}` : '–'}</dd>
            <dt>GTID</dt><dd className="mono" data-testid="gtid">{s?.position?.gtidSet ?? '–'}</dd>
          </dl>
        </div>
        <div className="panel">
          <h2>Definition</h2>
          {def.data ? (
            <dl className="kv">
              <dt>Source → target</dt><dd className="names"><a href="#/sources" className="name">{def.data.source}</a> → <a href="#/targets" className="name">{def.data.target}</a>{def.data.targetDatabase ? <span className="name">(database <span className="mono">{def.data.targetDatabase}</span>)</span> : null}</dd>
              <dt>Tables</dt><dd className="names" data-testid="definition-tables">{def.data.tables.map((t) => <span key={t} className="mono name">{t}</span>)}</dd>
              {def.data.exclude.length > 0 && <><dt>Exclude</dt><dd className="names">{def.data.exclude.map((t) => <span key={t} className="mono name">{t}</span>)}</dd></>}
              <dt>Snapshot / DDL</dt><dd>{def.data.snapshot} / {def.data.ddl}</dd>
              <dt>Desired state</dt><dd>{def.data.desiredState}{def.data.managedByConfig ? ' (from the config file)' : ''}</dd>
            </dl>
          ) : <div className="muted">Loading…</div>}
        </div>
      </div>

      <div className="panel">
        <div className="topline" style={{ marginBottom: 8 }}>
          <h2 style={{ margin: 0 }}>Snapshot</h2>
          {snap && !noSnapshotThisRun && (
            <span className="muted" data-testid="snapshot-summary">
              {num(snap.rowsCopied)} / {num(snap.rowsEstimated)} rows · {num(snap.rowsPerSecond)} rows/s · {snap.etaSeconds !== null ? `${duration(snap.etaSeconds)} left` : 'time left –'}
            </span>
          )}
        </div>
        {def.data?.snapshot === 'none' && <div className="muted">This pipeline streams changes only (no initial snapshot); a table can still be copied with Re-snapshot.</div>}
        {snap && noSnapshotThisRun && def.data?.snapshot !== 'none' && (
          <div className="muted" data-testid="snapshot-none">
            Nothing is being copied: this run continues from the checkpoint on the target.{lastCopies.size > 0 ? ' The last copy of each table is listed below.' : ''}
          </div>
        )}
        {snap && !noSnapshotThisRun && <div style={{ marginBottom: 12 }}><Progress done={snap.rowsCopied} total={snap.rowsEstimated} percent={snap.percent} testId="snapshot-progress" /></div>}
        {queue.length > 0 && (
          <div className="alert info" data-testid="resnapshot-queue">
            <strong>Re-snapshot queue: </strong>
            {queue.map((t, i) => (
              <span key={t}>{i > 0 ? ', ' : ''}<span className="mono">{t}</span> ({i === 0 && state === 'snapshotting' ? 'copying' : 'waiting'})</span>
            ))}
            <div className="hint">Streaming waits while a table is copied; changes made meanwhile are applied after the swap.</div>
          </div>
        )}
        {snap && tableKeys.length > 0 && (
          <div className="scroll">
            <table className="data" data-testid="tables-progress">
              <thead><tr><th>Table</th><th style={{ width: '20%' }}>Progress</th><th className="num">Rows copied</th><th className="num">Estimated</th><th className="num">Rate</th><th className="num">Time left</th><th>Last copy</th>{operator && <th />}</tr></thead>
              <tbody>
                {tableKeys.map((key) => {
                  const t = progress.get(key);
                  const rate = rates.get(key) ?? null;
                  const left = !t || t.done ? 0 : rate && rate > 0 ? Math.max(0, t.rowsEstimated - t.rowsCopied) / rate : null;
                  const rs = canResnapshot(key);
                  const lc = lastCopies.get(key);
                  const lastCell = (
                    <td className="nowrap" data-testid="last-copy">
                      {lc ? <span title={`The last complete copy: ${num(lc.rowsCopied)} rows, finished ${when(lc.finishedAt)}`}>{whenShort(lc.finishedAt)} · {num(lc.rowsCopied)} rows</span> : <span className="muted">–</span>}
                    </td>
                  );
                  return (
                    <tr key={key} data-testid={`table-progress-${key}`}>
                      <td className="mono">{key}</td>
                      {t ? (
                        <>
                          <td><Progress done={t.rowsCopied} total={t.rowsEstimated} percent={t.done ? 100 : null} /></td>
                          <td className="num">{num(t.rowsCopied)}</td>
                          <td className="num">{num(t.rowsEstimated)}</td>
                          <td className="num">{t.done ? 'done' : rate === null ? '–' : `${num(rate)}/s`}</td>
                          <td className="num">{t.done ? '–' : duration(left)}</td>
                          {lastCell}
                        </>
                      ) : queue.includes(key) ? (
                        <><td colSpan={5} className="muted">queued for re-snapshot</td>{lastCell}</>
                      ) : lc ? (
                        <>
                          <td><Progress done={lc.rowsCopied} total={lc.rowsCopied} percent={100} /></td>
                          <td className="num">{num(lc.rowsCopied)}</td>
                          <td className="num">–</td>
                          <td className="num">done</td>
                          <td className="num">–</td>
                          {lastCell}
                        </>
                      ) : (
                        <><td colSpan={5} className="muted">not copied yet</td>{lastCell}</>
                      )}
                      {operator && (
                        <td className="nowrap">
                          <button className="small" disabled={!rs.ok} title={rs.why} onClick={() => askResnapshot(key)}>Re-snapshot</button>{' '}
                          <button className="small" data-testid={`verify-table-${key}`} disabled={verifyBlocked !== null} title={verifyBlocked ?? `Compare ${key} with the source`}
                            onClick={() => void verify([key], false)}>Verify</button>
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        {operator && hasPatterns && (
          <form className="actions" style={{ marginTop: 8 }} onSubmit={onOtherTable} aria-label="Re-snapshot a table">
            <input name="resnapshot-table" placeholder="database.table" value={otherTable} onChange={(e) => setOtherTable(e.target.value)} style={{ width: 260 }} />
            <button type="submit" className="small" disabled={resnapshotDisabled || busy !== null || otherTable.trim() === ''}
              title={resnapshotDisabled ? `A table can be copied again only while the pipeline streams (it is ${state})` : 'Copy another table of this pipeline again'}>Re-snapshot</button>
            <span className="hint">any table the pipeline's patterns cover</span>
          </form>
        )}
      </div>

      <VerifyPanel state={verifyState.data} operator={operator} canStart={verifyBlocked} onVerify={(tables, repair) => void verify(tables, repair)} />
      <ErrorBanner error={verifyState.error} />

      <div className="grid2">
        <div className="panel"><Chart title="Lag (last 30 min)" unit="s" format={duration} series={toSeries(history.data, (x) => x.lagSeconds, name, live.lag)} testId="chart-lag" /></div>
        <div className="panel"><Chart title="Throughput (rows/s, last 30 min)" unit="/s" series={toSeries(history.data, (x) => x.rowsPerSecond, name, live.rate)} testId="chart-throughput" /></div>
      </div>

      <div className="panel">
        <h2>Recent errors</h2>
        {!s || s.recentErrors.length === 0 ? <div className="empty" data-testid="no-errors">No errors.</div> : (
          <table className="data" data-testid="recent-errors">
            <thead><tr><th>Time</th><th>Code</th><th>Message and fix</th>{operator && <th />}</tr></thead>
            <tbody>
              {s.recentErrors.map((e, i) => {
                const sk = canSkip(e, i);
                return (
                  <tr key={`${e.time}-${i}`} className={e.resolvedAt ? 'resolved' : ''} data-testid={`error-row-${i}`}>
                    <td className="muted" style={{ whiteSpace: 'nowrap' }}>{when(e.time)}</td>
                    <td className="mono">
                      {e.code}
                      <div>{e.resolvedAt
                        ? <span className="badge ok" title={`Streaming again since ${when(e.resolvedAt)}`} data-testid="error-resolved">resolved</span>
                        : <span className="badge fail">open</span>}</div>
                    </td>
                    <td>{forThisPage(e.message)}<Subjects e={e} />{e.fix && <div className="hint">Fix: {forThisPage(e.fix)}</div>}</td>
                    {operator && (
                      <td className="nowrap">
                        {e.skip && !e.resolvedAt && (
                          <button className="small danger" disabled={!sk.ok} title={sk.why}
                            onClick={() => setConfirm({ kind: 'skip', target: e.skip!, error: e })}>{skipLabel(e.skip)}</button>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {operator && s && s.recentErrors.some((e) => e.skip && !e.resolvedAt) && (
          <div className="hint" style={{ marginTop: 8 }}>Skip passes over one source transaction the target refuses; its changes never reach the target.</div>
        )}
      </div>

      {(skipped.length > 0 || pendingSkip) && (
        <div className="panel">
          <h2>Skipped source transactions</h2>
          {skipped.length === 0 ? <div className="empty">None yet: the requested skip has not been reached.</div> : (
            <table className="data" data-testid="skipped">
              <thead><tr><th>Time</th><th>Kind</th><th>Source position</th><th className="num">Changes not applied</th></tr></thead>
              <tbody>
                {skipped.map((k, i) => (
                  <tr key={`${posText(k.position)}-${i}`}>
                    <td className="muted" style={{ whiteSpace: 'nowrap' }}>{when(k.time)}</td>
                    <td>{k.position.kind === 'ddl' ? 'DDL' : 'transaction'}</td>
                    <td className="mono">{posText(k.position)}</td>
                    <td className="num">{num(k.changes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <div className="hint" style={{ marginTop: 8 }}>These changes are not on the target: the rows they touched may differ from the source until they change again or the table is re-snapshot.</div>
        </div>
      )}

      {confirm?.kind === 'resnapshot' && (
        <Modal title={`Re-snapshot ${confirm.table}?`} onClose={() => setConfirm(null)}>
          <p>
            The whole table <span className="mono">{confirm.table}</span>{confirm.rows !== null ? ` (about ${num(confirm.rows)} rows)` : ''} is
            read from the source again and written into a shadow table on the target, which then replaces the current copy in one atomic swap.
          </p>
          <p className="muted">The current copy stays readable meanwhile. Streaming of this pipeline waits until the copy is done, so lag grows for a large table.</p>
          <div className="actions">
            <button className="primary" onClick={() => void resnapshot(confirm.table)}>Start re-snapshot</button>
            <button onClick={() => setConfirm(null)}>Cancel</button>
          </div>
        </Modal>
      )}
      {confirm?.kind === 'resync' && (
        <Modal title={`Resync ${name}?`} onClose={() => setConfirm(null)}>
          <p>
            The pipeline restarts from the source&apos;s <strong>current</strong> binlog position and copies every one of its tables again
            into shadow tables on the target, which replace the current copies in one atomic swap when all are complete.
          </p>
          <p className="muted">
            Use it when the binlog the pipeline needs was purged, or the target drifted. The current copies stay readable meanwhile;
            streaming waits until the copy is done.
          </p>
          <div className="actions">
            <button className="primary" onClick={() => void resync()}>Start resync</button>
            <button onClick={() => setConfirm(null)}>Cancel</button>
          </div>
        </Modal>
      )}
      {confirm?.kind === 'skip' && (
        <Modal title={`${skipLabel(confirm.target)}?`} onClose={() => setConfirm(null)}>
          <p>
            <strong>The changes of this source {confirm.target.kind === 'ddl' ? 'DDL statement' : 'transaction'} will not reach the target.</strong>{' '}
            The pipeline restarts and passes over the {confirm.target.kind === 'ddl' ? 'statement' : 'transaction'} at{' '}
            <span className="mono">{posText(confirm.target)}</span>; the rows it changed may differ from the source until they change again or
            the table is re-snapshot.
          </p>
          <p className="muted"><span className="mono">[{confirm.error.code}]</span> {confirm.error.message}</p>
          <div className="actions">
            <button className="danger" onClick={() => void skip(confirm.target)}>{skipLabel(confirm.target)}</button>
            <button onClick={() => setConfirm(null)}>Cancel</button>
          </div>
        </Modal>
      )}
    </div>
  );
}

/** The tables and keys an error names, as chips under its message. */
function Subjects({ e }: { e: { message: string } }): ReactElement | null {
  const { tables, keys } = errorSubjects(e);
  if (tables.length === 0 && keys.length === 0) return null;
  return (
    <div className="subjects" data-testid="error-subjects">
      {tables.map((t) => <span key={`t-${t}`} className="chip">table <span className="mono">{t}</span></span>)}
      {keys.map((k) => <span key={`k-${k}`} className="chip">key <span className="mono">{k}</span></span>)}
    </div>
  );
}
