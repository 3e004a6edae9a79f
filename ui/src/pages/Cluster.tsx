// The cluster of `sluice serve` nodes on a shared store: nodes (live or lost, heartbeat age, version, draining,
// pipelines owned) with Drain / Undrain / Forget for operators, and who runs each pipeline with its lease epoch
// and timings. On a single node (no --store) it says how to run a cluster.
import { useState, type ReactElement } from 'react';
import { api, type ClusterNode, type ClusterPipeline } from '../api';
import { can, useAuth } from '../auth';
import { Badge, ErrorBanner, duration, usePolling, when } from '../components/common';
import { href } from '../router';

const ms = (v: number | null): string => (v === null ? '–' : duration(v / 1000));

export function ClusterPage(): ReactElement {
  const { user } = useAuth();
  const operator = can(user, 'operator');
  const cluster = usePolling((signal) => api.cluster(signal), 2000, []);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const c = cluster.data;

  const act = async (id: string, what: () => Promise<unknown>): Promise<void> => {
    setBusy(id);
    setActionError(null);
    try {
      await what();
      cluster.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(null);
    }
  };

  if (c && !c.enabled) {
    return (
      <div data-testid="cluster-page">
        <h1>Cluster</h1>
        <div className="panel" data-testid="cluster-single">
          <p>This <code>sluice serve</code> runs alone, on its embedded store (<code>sluice.db</code> in its data directory).</p>
          <p className="muted">
            To run several nodes that share the pipelines and take over from each other in seconds, start each one on a shared
            MySQL, MariaDB or PostgreSQL store: <code>sluice serve --store mysql://user:password@db-host/sluice --node-id node-1</code>.
            See docs/cluster.md.
          </p>
        </div>
      </div>
    );
  }

  const nodeRow = (n: ClusterNode): ReactElement => (
    <tr key={n.id} data-testid={`node-row-${n.id}`}>
      <td><strong>{n.id}</strong>{c?.enabled && n.id === c.self ? <span className="muted"> (this node)</span> : null}
        {c?.enabled && n.id === c.alertEvaluator ? <span className="muted" title="This node evaluates and sends the alerts of the cluster"> · sends the alerts</span> : null}
        <div className="muted">{n.host} · pid {n.pid}</div></td>
      <td><Badge value={n.live ? 'live' : 'lost'} testId={`node-state-${n.id}`} />{n.draining ? <> <Badge value="draining" testId={`node-draining-${n.id}`} /></> : null}</td>
      <td className="num">{ms(n.heartbeatAgeMs)}</td>
      <td>{n.version}</td>
      <td>{when(n.startedAt)}</td>
      <td data-testid={`node-pipelines-${n.id}`}>{n.pipelines.length === 0 ? <span className="muted">none</span>
        : n.pipelines.map((p, i) => <span key={p}>{i > 0 ? ', ' : ''}<a href={href('pipelines', p)}>{p}</a></span>)}</td>
      {operator && (
        <td style={{ textAlign: 'right', whiteSpace: 'nowrap' }}>
          <button className="small" disabled={busy !== null} data-testid={`node-drain-${n.id}`}
            title={n.draining ? 'Let the node take its share of the pipelines again' : 'Hand the node\'s pipelines over to the other nodes; it takes no new ones'}
            onClick={() => void act(n.id, () => api.drainNode(n.id, !n.draining))}>{busy === n.id ? '…' : n.draining ? 'Undrain' : 'Drain'}</button>
          {!n.live && (
            <> <button className="small danger" disabled={busy !== null} data-testid={`node-forget-${n.id}`}
              title="Remove the lost node from the cluster (it joins again if it comes back); ends its node-lost alert"
              onClick={() => void act(n.id, () => api.forgetNode(n.id))}>Forget</button></>
          )}
        </td>
      )}
    </tr>
  );

  const pipelineRow = (p: ClusterPipeline): ReactElement => (
    <tr key={p.pipeline} data-testid={`lease-row-${p.pipeline}`}>
      <td><a href={href('pipelines', p.pipeline)}>{p.pipeline}</a></td>
      <td>{p.desiredState ? <Badge value={p.desiredState} /> : <span className="muted">deleted</span>}</td>
      <td data-testid={`lease-owner-${p.pipeline}`}>{p.owner ?? <span style={{ color: p.desiredState === 'running' ? 'var(--bad)' : undefined }}>none</span>}</td>
      <td className="num" data-testid={`lease-epoch-${p.pipeline}`}>{p.epoch}</td>
      <td className="num">{ms(p.leaseAgeMs)}</td>
      <td className="num">{p.owner ? ms(p.leaseRemainingMs) : '–'}</td>
      <td className="num">{p.renewedAgoMs === null ? '–' : `${ms(p.renewedAgoMs)} ago`}</td>
    </tr>
  );

  return (
    <div data-testid="cluster-page">
      <div className="topline"><h1>Cluster</h1></div>
      <ErrorBanner error={cluster.error} />
      <ErrorBanner error={actionError} />
      {!c ? <div className="empty">Loading…</div> : c.enabled && (
        <>
          <div className="cards">
            <div className="card"><div className="label">Live nodes</div><div className="value" data-testid="live-nodes">{c.nodes.filter((n) => n.live).length}</div></div>
            <div className="card"><div className="label">Lost nodes</div><div className="value" style={{ color: c.nodes.some((n) => !n.live) ? 'var(--bad)' : undefined }}>{c.nodes.filter((n) => !n.live).length}</div></div>
            <div className="card"><div className="label">Running without owner</div>
              <div className="value" data-testid="ownerless">{c.pipelines.filter((p) => p.desiredState === 'running' && p.owner === null).length}</div></div>
            <div className="card"><div className="label">Lease time</div><div className="value">{ms(c.leaseMs)}</div></div>
          </div>
          <div className="panel">
            <h2>Nodes</h2>
            <div className="scroll">
              <table className="data" data-testid="nodes-table">
                <thead>
                  <tr><th>Node</th><th>State</th><th className="num">Heartbeat</th><th>Version</th><th>Started</th><th>Pipelines</th>{operator && <th />}</tr>
                </thead>
                <tbody>{c.nodes.map(nodeRow)}</tbody>
              </table>
            </div>
          </div>
          <div className="panel">
            <h2>Pipelines</h2>
            {c.pipelines.length === 0 ? <div className="empty">No pipeline runs or holds a lease.</div> : (
              <div className="scroll">
                <table className="data" data-testid="leases-table">
                  <thead>
                    <tr><th>Pipeline</th><th>Desired</th><th>Owner</th><th className="num">Epoch</th><th className="num">Held for</th><th className="num">Lease left</th><th className="num">Last renewal</th></tr>
                  </thead>
                  <tbody>{c.pipelines.map(pipelineRow)}</tbody>
                </table>
              </div>
            )}
            <p className="muted">Times by the store's clock. The epoch rises at every takeover: the target refuses writes from an older owner.</p>
          </div>
        </>
      )}
    </div>
  );
}
