// Sources and targets: list, add, edit, delete, test connection.
import { useState, type FormEvent, type ReactElement } from 'react';
import { api, type Endpoint, type EndpointInput, type EndpointKind, type TestResult } from '../api';
import { can, useAuth } from '../auth';
import { Checks } from '../components/Checks';
import { ErrorBanner, Modal, usePolling, when } from '../components/common';

const title = (kind: EndpointKind): string => (kind === 'source' ? 'Sources' : 'Targets');

export function EndpointsPage({ kind }: { kind: EndpointKind }): ReactElement {
  const { user } = useAuth();
  const list = usePolling((signal) => api.listEndpoints(kind, signal), 10_000, [kind]);
  const [editing, setEditing] = useState<Endpoint | 'new' | null>(null);
  const [testing, setTesting] = useState<{ name: string; result: TestResult | null; error: unknown } | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const isAdmin = can(user, 'admin');
  const isOperator = can(user, 'operator');

  const test = async (name: string): Promise<void> => {
    setTesting({ name, result: null, error: null });
    try {
      setTesting({ name, result: await api.testEndpoint(kind, name), error: null });
    } catch (e) {
      setTesting({ name, result: null, error: e });
    }
  };

  const remove = async (name: string): Promise<void> => {
    setError(null);
    try {
      await api.deleteEndpoint(kind, name);
      setConfirm(null);
      list.reload();
    } catch (e) {
      setError(e);
    }
  };

  const rows = list.data ?? [];
  return (
    <div data-testid={`${kind}s-page`}>
      <div className="topline">
        <h1>{title(kind)}</h1>
        {isAdmin && <button className="primary" onClick={() => setEditing('new')}>Add {kind}</button>}
      </div>
      <ErrorBanner error={list.error ?? error} />
      <div className="panel">
        {list.loading && !list.data ? <div className="empty">Loading…</div> : rows.length === 0 ? (
          <div className="empty">No {kind}s yet.</div>
        ) : (
          <div className="scroll">
            <table className="data">
              <thead>
                <tr><th>Name</th><th>Address</th><th>User</th>{kind === 'source' ? <th>Server id</th> : <th>Checkpoints</th>}<th>Used by</th><th>Updated</th><th /></tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <tr key={e.name} data-testid={`${kind}-row-${e.name}`}>
                    <td><strong>{e.name}</strong>{e.managedByConfig && <span className="badge" title="Declared in the --config file">config</span>}</td>
                    <td className="mono">{e.type}://{e.host}:{e.port}</td>
                    <td>{e.user}{e.hasPassword ? '' : <span className="muted"> (no password)</span>}</td>
                    <td>{kind === 'source' ? (e.serverId ?? <span className="muted">auto</span>) : (e.checkpointDatabase ?? '_sluice')}</td>
                    <td>{e.usedBy.length ? e.usedBy.join(', ') : <span className="muted">–</span>}</td>
                    <td className="muted nowrap">{when(e.updatedAt)}</td>
                    <td>
                      <div className="actions" style={{ justifyContent: 'flex-end' }}>
                        {isOperator && <button className="small" onClick={() => void test(e.name)}>Test connection</button>}
                        {isAdmin && <button className="small" disabled={e.managedByConfig} title={e.managedByConfig ? 'Declared in the config file' : undefined} onClick={() => setEditing(e)}>Edit</button>}
                        {isAdmin && (confirm === e.name ? (
                          <>
                            <button className="small danger" onClick={() => void remove(e.name)}>Really delete</button>
                            <button className="small" onClick={() => setConfirm(null)}>Keep</button>
                          </>
                        ) : (
                          <button className="small danger" disabled={e.managedByConfig || e.usedBy.length > 0}
                            title={e.usedBy.length ? `Used by ${e.usedBy.join(', ')}` : undefined} onClick={() => setConfirm(e.name)}>Delete</button>
                        ))}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
      {testing && (
        <Modal title={`Test connection: ${testing.name}`} onClose={() => setTesting(null)}>
          <ErrorBanner error={testing.error} />
          {testing.result ? <Checks result={testing.result} /> : !testing.error && <div className="muted">Running the preflight checks…</div>}
        </Modal>
      )}
      {editing && (
        <EndpointForm kind={kind} existing={editing === 'new' ? null : editing} onClose={() => setEditing(null)}
          onSaved={() => { setEditing(null); list.reload(); }} />
      )}
    </div>
  );
}

function EndpointForm({ kind, existing, onClose, onSaved }: { kind: EndpointKind; existing: Endpoint | null; onClose: () => void; onSaved: () => void }): ReactElement {
  const [name, setName] = useState(existing?.name ?? '');
  const [type, setType] = useState<'mysql' | 'mariadb'>(existing?.type ?? 'mysql');
  const [host, setHost] = useState(existing?.host ?? '127.0.0.1');
  const [port, setPort] = useState(String(existing?.port ?? 3306));
  const [user, setUser] = useState(existing?.user ?? '');
  const [password, setPassword] = useState(existing?.hasPassword ? '***' : '');
  const [serverId, setServerId] = useState(existing?.serverId !== undefined ? String(existing.serverId) : '');
  const [checkpointDatabase, setCheckpointDatabase] = useState(existing?.checkpointDatabase ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);

  const input = (): EndpointInput => {
    const i: EndpointInput = { type, host: host.trim(), port: Number(port), user: user.trim(), password };
    if (!existing) i.name = name.trim();
    if (kind === 'source' && serverId.trim()) i.serverId = Number(serverId);
    if (kind === 'target' && checkpointDatabase.trim()) i.checkpointDatabase = checkpointDatabase.trim();
    return i;
  };

  const test = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      // A stored password ("***") can only be tested through the saved object.
      setResult(existing && password === '***' ? await api.testEndpoint(kind, existing.name) : await api.testConnection(kind, input()));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (existing) await api.updateEndpoint(kind, existing.name, input());
      else await api.createEndpoint(kind, input());
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal title={existing ? `Edit ${kind} ${existing.name}` : `Add ${kind}`} onClose={onClose}>
      <form className="stack" onSubmit={(e) => void save(e)} aria-label={`${kind} form`}>
        <ErrorBanner error={error} />
        {!existing && (
          <label className="field">Name
            <input name="name" value={name} onChange={(e) => setName(e.target.value)} required pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}" />
          </label>
        )}
        <label className="field">Type
          <select name="type" value={type} onChange={(e) => setType(e.target.value === 'mariadb' ? 'mariadb' : 'mysql')}>
            <option value="mysql">MySQL</option>
            <option value="mariadb">MariaDB</option>
          </select>
        </label>
        <div style={{ display: 'grid', gridTemplateColumns: '1fr 120px', gap: 12 }}>
          <label className="field">Host<input name="host" value={host} onChange={(e) => setHost(e.target.value)} required /></label>
          <label className="field">Port<input name="port" type="number" min={1} max={65535} value={port} onChange={(e) => setPort(e.target.value)} required /></label>
        </div>
        <label className="field">User<input name="user" value={user} onChange={(e) => setUser(e.target.value)} required autoComplete="off" /></label>
        <label className="field">Password
          <input name="password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
          {existing?.hasPassword && <span className="hint">Leave “***” to keep the stored password; empty clears it. Stored encrypted, never shown.</span>}
        </label>
        {kind === 'source' ? (
          <label className="field">Replication server id (optional)
            <input name="serverId" type="number" min={1} value={serverId} onChange={(e) => setServerId(e.target.value)} placeholder="auto" />
          </label>
        ) : (
          <label className="field">Checkpoint database (optional)
            <input name="checkpointDatabase" value={checkpointDatabase} onChange={(e) => setCheckpointDatabase(e.target.value)} placeholder="_sluice" />
          </label>
        )}
        {result && <Checks result={result} />}
        <div className="actions">
          <button type="button" onClick={() => void test()} disabled={busy}>Test connection</button>
          <span style={{ flex: 1 }} />
          <button type="button" onClick={onClose}>Cancel</button>
          <button className="primary" type="submit" disabled={busy}>{existing ? 'Save' : `Add ${kind}`}</button>
        </div>
      </form>
    </Modal>
  );
}
