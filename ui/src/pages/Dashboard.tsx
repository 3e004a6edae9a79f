import { useMemo, useRef, type ReactElement } from 'react';
import { api } from '../api';
import { can, useAuth } from '../auth';
import { Chart } from '../components/Chart';
import { Badge, ErrorBanner, Progress, duration, num, usePolling } from '../components/common';
import { addLive, toSeries, type LivePoint } from '../components/history';
import { href } from '../router';

export function DashboardPage(): ReactElement {
  const { user } = useAuth();
  const pipelines = usePolling((signal) => api.pipelines(signal), 3000, []);
  const history = usePolling((signal) => api.history(null, 30, signal), 5000, []);
  const list = pipelines.data ?? [];
  // Charts end with the live readings of the status polls, so the cards and the charts show the same figures.
  const liveRef = useRef({ lag: new Map<string, LivePoint[]>(), rate: new Map<string, LivePoint[]>() });
  const live = useMemo(() => {
    for (const p of pipelines.data ?? []) {
      addLive(liveRef.current.lag, p.name, p.status.lagSeconds);
      addLive(liveRef.current.rate, p.name, p.status.rowsPerSecond);
    }
    return { lag: new Map(liveRef.current.lag), rate: new Map(liveRef.current.rate) };
  }, [pipelines.data]);
  const totalRate = list.reduce((a, p) => a + (p.status.rowsPerSecond || 0), 0);
  const maxLag = list.reduce<number | null>((a, p) => (p.status.lagSeconds === null ? a : Math.max(a ?? 0, p.status.lagSeconds)), null);
  const failed = list.filter((p) => p.status.state === 'failed').length;
  const errors = list.reduce((a, p) => a + p.status.errorCount, 0);

  return (
    <div data-testid="dashboard">
      <div className="topline">
        <h1>Dashboard</h1>
        {can(user, 'operator') && <a className="button primary" href="#/new-pipeline">New pipeline</a>}
      </div>
      <ErrorBanner error={pipelines.error} />
      <div className="cards">
        <div className="card"><div className="label">Pipelines</div><div className="value">{list.length}</div></div>
        <div className="card"><div className="label">Rows / s (all)</div><div className="value" data-testid="total-rate">{num(totalRate)}</div></div>
        <div className="card"><div className="label">Highest lag</div><div className="value" data-testid="max-lag">{duration(maxLag)}</div></div>
        <div className="card"><div className="label">Failed</div><div className="value" style={{ color: failed ? 'var(--bad)' : undefined }}>{failed}</div></div>
        <div className="card"><div className="label">Errors</div><div className="value">{errors}</div></div>
      </div>
      <div className="panel">
        <h2>Pipelines</h2>
        {pipelines.loading && !pipelines.data ? <div className="empty">Loading…</div> : list.length === 0 ? (
          <div className="empty">No pipelines yet. {can(user, 'operator') && <a href="#/new-pipeline">Create one with the wizard.</a>}</div>
        ) : (
          <div className="scroll">
            <table className="data" data-testid="pipelines-table">
              <thead>
                <tr>
                  <th>Name</th><th>State</th><th>Source → target</th><th>Snapshot</th>
                  <th className="num">Lag</th><th className="num">Rows/s</th><th className="num">Rows applied</th><th className="num">Errors</th>
                </tr>
              </thead>
              <tbody>
                {list.map((p) => (
                  <tr key={p.name} data-testid={`pipeline-row-${p.name}`}>
                    <td><a href={href('pipelines', p.name)}>{p.name}</a></td>
                    <td><Badge value={p.status.state} /></td>
                    <td className="muted">{p.source} → {p.target}{p.targetDatabase ? ` (${p.targetDatabase})` : ''}</td>
                    <td style={{ width: 180 }}>
                      {p.snapshot === 'none' ? <span className="muted">none</span> :
                        p.status.snapshot.rowsEstimated === 0 && p.status.snapshot.rowsCopied === 0 && p.status.state !== 'snapshotting' && p.status.state !== 'starting'
                          ? <span className="muted" title="This run continues from the checkpoint">from checkpoint</span> :
                        <Progress done={p.status.snapshot.rowsCopied} total={p.status.snapshot.rowsEstimated} percent={p.status.snapshot.percent} />}
                    </td>
                    <td className="num">{duration(p.status.lagSeconds)}</td>
                    <td className="num">{num(p.status.rowsPerSecond)}</td>
                    <td className="num">{num(p.status.rowsApplied)}</td>
                    <td className="num" style={{ color: p.status.errorCount ? 'var(--bad)' : undefined }}>{p.status.errorCount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      <div className="grid2">
        <div className="panel"><Chart title="Throughput (rows/s, last 30 min)" unit="/s" series={toSeries(history.data, (s) => s.rowsPerSecond, undefined, live.rate)} testId="chart-throughput" /></div>
        <div className="panel"><Chart title="Lag (last 30 min)" unit="s" format={duration} series={toSeries(history.data, (s) => s.lagSeconds, undefined, live.lag)} testId="chart-lag" /></div>
      </div>
    </div>
  );
}
