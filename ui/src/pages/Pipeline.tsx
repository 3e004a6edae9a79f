// One pipeline: state and actions, per-table snapshot progress, position, charts, recent errors.
import { useEffect, useRef, useState, type ReactElement } from 'react';
import { api, routeUnsupported, type OpenApiDoc, type PipelineState, type PipelineStatus, type TableProgress } from '../api';
import { can, useAuth } from '../auth';
import { Chart } from '../components/Chart';
import { Badge, ErrorBanner, Progress, duration, num, usePolling, when } from '../components/common';
import { toSeries } from '../components/history';
import { ApiError } from '../http';
import { navigate } from '../router';

type Action = 'start' | 'pause' | 'resume' | 'stop' | 'retry';

const ACTIVE: readonly PipelineState[] = ['starting', 'snapshotting', 'streaming', 'retrying'];

function allowed(state: PipelineState, action: Action): boolean {
  switch (action) {
    case 'start': return state === 'stopped' || state === 'failed';
    case 'pause': return ACTIVE.includes(state);
    case 'resume': return state === 'paused';
    case 'stop': return state !== 'stopped';
    case 'retry': return state === 'failed' || state === 'retrying';
  }
}

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

export function PipelinePage({ name }: { name: string }): ReactElement {
  const { user } = useAuth();
  const def = usePolling((signal) => api.pipeline(name, signal), 15_000, [name]);
  const status = usePolling((signal) => api.pipelineStatus(name, signal), 2000, [name]);
  const history = usePolling((signal) => api.history(name, 30, signal), 5000, [name]);
  const [openapi, setOpenapi] = useState<OpenApiDoc | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const s: PipelineStatus | null = status.data;
  const rates = useTableRates(s?.snapshot.tables);
  const operator = can(user, 'operator');

  useEffect(() => {
    api.openapi().then(setOpenapi).catch(() => setOpenapi(null));
  }, []);
  const resnapshotPath = openapi?.paths ? Object.keys(openapi.paths).find((p) => p.startsWith('/api/pipelines/') && p.endsWith('/resnapshot')) ?? null : null;
  const [resnapshot501, setResnapshot501] = useState(false);
  const resnapshotUnsupported = resnapshot501 || (openapi ? (resnapshotPath === null || routeUnsupported(openapi, resnapshotPath, 'post')) : false);

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
    setActionError(null);
    setNotice(null);
    try {
      await api.resnapshot(name, table);
      setNotice(`Re-snapshot of ${table} requested.`);
      status.reload();
    } catch (e) {
      if (e instanceof ApiError && e.status === 501) setResnapshot501(true);
      setActionError(e);
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

  return (
    <div data-testid="pipeline-page">
      <div className="topline">
        <h1>
          <a href="#/" className="muted" style={{ fontWeight: 400 }}>Pipelines / </a>{name}{' '}
          <Badge value={state} testId="pipeline-state" />
        </h1>
        {operator && (
          <div className="actions" data-testid="pipeline-actions">
            {(['start', 'pause', 'resume', 'stop'] as const).map((a) => (
              <button key={a} className={a === 'stop' ? 'danger' : a === 'resume' || a === 'start' ? 'primary' : ''}
                disabled={!allowed(state, a) || busy !== null} onClick={() => void act(a)}>
                {busy === a ? '…' : a[0]?.toUpperCase() + a.slice(1)}
              </button>
            ))}
            {confirmDelete ? (
              <>
                <button className="danger" onClick={() => void remove()}>Really delete</button>
                <button onClick={() => setConfirmDelete(false)}>Keep</button>
              </>
            ) : (
              <button className="danger" disabled={def.data?.managedByConfig} onClick={() => setConfirmDelete(true)}>Delete</button>
            )}
          </div>
        )}
      </div>
      <ErrorBanner error={status.error ?? def.error} />
      <ErrorBanner error={actionError} />
      {notice && <div className="alert info">{notice}</div>}
      {current && (
        <div className="alert error" role="alert" data-testid="current-error">
          <strong>{s?.state === 'failed' ? 'Failed' : 'Retrying'}: </strong>
          <span className="mono">[{current.code}]</span> {current.message}
          {current.fix && <div>Fix: {current.fix}</div>}
          {operator && allowed(state, 'retry') && (
            <div style={{ marginTop: 8 }}><button className="small" onClick={() => void act('retry')}>Retry now</button></div>
          )}
        </div>
      )}

      <div className="cards">
        <div className="card"><div className="label">Lag</div><div className="value" data-testid="lag">{duration(s?.lagSeconds)}</div></div>
        <div className="card"><div className="label">Rows / s</div><div className="value">{num(s?.rowsPerSecond)}</div></div>
        <div className="card"><div className="label">Rows applied (stream)</div><div className="value" data-testid="rows-applied">{num(s?.rowsApplied)}</div></div>
        <div className="card"><div className="label">Transactions</div><div className="value">{num(s?.transactionsApplied)}</div></div>
        <div className="card"><div className="label">Errors / restarts</div><div className="value">{s ? `${s.errorCount} / ${s.restarts}` : '–'}</div></div>
      </div>

      <div className="grid2">
        <div className="panel">
          <h2>Position</h2>
          <dl className="kv" data-testid="position">
            <dt>State since</dt><dd>{when(s?.since)}</dd>
            <dt>Running since</dt><dd>{when(s?.startedAt)}</dd>
            <dt>Binlog file : pos</dt><dd className="mono">{s?.position ? `${s.position.file}:${s.position.pos}` : '–'}</dd>
            <dt>GTID</dt><dd className="mono" data-testid="gtid">{s?.position?.gtidSet ?? s?.position?.gtid ?? '–'}</dd>
          </dl>
        </div>
        <div className="panel">
          <h2>Definition</h2>
          {def.data ? (
            <dl className="kv">
              <dt>Source → target</dt><dd><a href="#/sources">{def.data.source}</a> → <a href="#/targets">{def.data.target}</a>{def.data.targetDatabase ? ` (database ${def.data.targetDatabase})` : ''}</dd>
              <dt>Tables</dt><dd className="mono">{def.data.tables.join(', ')}</dd>
              {def.data.exclude.length > 0 && <><dt>Exclude</dt><dd className="mono">{def.data.exclude.join(', ')}</dd></>}
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
        {snap && noSnapshotThisRun && <div className="muted" data-testid="snapshot-none">No snapshot in this run: it continues from the checkpoint on the target.</div>}
        {snap && !noSnapshotThisRun && <div style={{ marginBottom: 12 }}><Progress done={snap.rowsCopied} total={snap.rowsEstimated} percent={snap.percent} testId="snapshot-progress" /></div>}
        {def.data?.snapshot === 'none' ? <div className="muted">This pipeline streams changes only (no initial snapshot).</div> :
          !snap || noSnapshotThisRun ? null : snap.tables.length === 0 ? <div className="empty">The server reports snapshot totals only (no per-table progress yet).</div> : (
            <div className="scroll">
              <table className="data" data-testid="tables-progress">
                <thead><tr><th>Table</th><th style={{ width: '30%' }}>Progress</th><th className="num">Rows copied</th><th className="num">Estimated</th><th className="num">Rate</th><th className="num">Time left</th>{operator && <th />}</tr></thead>
                <tbody>
                  {snap.tables.map((t) => {
                    const key = `${t.database}.${t.table}`;
                    const rate = rates.get(key) ?? null;
                    const left = t.done ? 0 : rate && rate > 0 ? Math.max(0, t.rowsEstimated - t.rowsCopied) / rate : null;
                    return (
                      <tr key={key} data-testid={`table-progress-${key}`}>
                        <td className="mono">{key}</td>
                        <td><Progress done={t.rowsCopied} total={t.rowsEstimated} percent={t.done ? 100 : null} /></td>
                        <td className="num">{num(t.rowsCopied)}</td>
                        <td className="num">{num(t.rowsEstimated)}</td>
                        <td className="num">{t.done ? 'done' : rate === null ? '–' : `${num(rate)}/s`}</td>
                        <td className="num">{t.done ? '–' : duration(left)}</td>
                        {operator && (
                          <td>
                            <button className="small" disabled={resnapshotUnsupported}
                              title={resnapshotUnsupported ? 'Not supported by this server yet' : `Copy ${key} again`}
                              onClick={() => void resnapshot(key)}>Re-snapshot</button>
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
      </div>

      <div className="grid2">
        <div className="panel"><Chart title="Lag" unit="s" series={toSeries(history.data, (x) => x.lagSeconds, name)} testId="chart-lag" /></div>
        <div className="panel"><Chart title="Throughput" unit="/s" series={toSeries(history.data, (x) => x.rowsPerSecond, name)} testId="chart-throughput" /></div>
      </div>

      <div className="panel">
        <h2>Recent errors</h2>
        {!s || s.recentErrors.length === 0 ? <div className="empty" data-testid="no-errors">No errors.</div> : (
          <table className="data" data-testid="recent-errors">
            <thead><tr><th>Time</th><th>Code</th><th>Message and fix</th></tr></thead>
            <tbody>
              {s.recentErrors.map((e, i) => (
                <tr key={`${e.time}-${i}`}>
                  <td className="muted" style={{ whiteSpace: 'nowrap' }}>{when(e.time)}</td>
                  <td className="mono">{e.code}</td>
                  <td>{e.message}{e.fix && <div className="hint">Fix: {e.fix}</div>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {operator && s && s.recentErrors.length > 0 && (
          <div className="actions" style={{ marginTop: 8 }}>
            <button className="small" disabled={!allowed(state, 'retry')} onClick={() => void act('retry')}
              title={allowed(state, 'retry') ? 'Restart the pipeline now' : 'Only a failed or retrying pipeline can be retried'}>Retry</button>
            <span className="hint">Skipping a failed change is not offered by this server's API.</span>
          </div>
        )}
      </div>
    </div>
  );
}
