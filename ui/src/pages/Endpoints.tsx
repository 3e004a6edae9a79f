// Sources and targets: list, add, edit, delete, test connection.
import { useEffect, useState, type FormEvent, type ReactElement } from 'react';
import { api, type Endpoint, type EndpointInput, type EndpointKind, type TargetKindInfo, type TestResult } from '../api';
import { can, useAuth } from '../auth';
import { Checks } from '../components/Checks';
import { ErrorBanner, Modal, usePolling, when } from '../components/common';

const title = (kind: EndpointKind): string => (kind === 'source' ? 'Sources' : 'Targets');

// TLS modes: the URL's ssl-mode values (docs: README, "TLS").
const TLS_MODES = [
  { value: 'DISABLED', label: 'Off (not encrypted)' },
  { value: 'PREFERRED', label: 'Preferred (encrypt if the server offers TLS, no verification)' },
  { value: 'REQUIRED', label: 'Required (encrypt, server certificate not verified)' },
  { value: 'VERIFY_CA', label: 'Verify CA (encrypt, certificate signed by the CA)' },
  { value: 'VERIFY_IDENTITY', label: 'Verify identity (CA and host name)' },
] as const;
type TlsMode = typeof TLS_MODES[number]['value'];

/** The effective ssl-mode of an endpoint's options (ssl-ca alone means VERIFY_CA, a client certificate alone REQUIRED). */
function tlsModeOf(options: Record<string, string>): TlsMode {
  const m = (options['ssl-mode'] ?? '').trim().toUpperCase().replace(/-/g, '_');
  const known = TLS_MODES.find((t) => t.value === m);
  if (known) return known.value;
  return options['ssl-ca'] ? 'VERIFY_CA' : options['ssl-cert'] ? 'REQUIRED' : 'DISABLED';
}

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
                    <td className="mono">{e.type}://{e.host}:{e.port}{tlsModeOf(e.options) !== 'DISABLED' && <span className="badge" title={`ssl-mode=${tlsModeOf(e.options)}`}>TLS</span>}</td>
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
  const [type, setType] = useState<string>(existing?.type ?? 'mysql');
  // Targets: the kinds the server knows (targets registry) give the type choices, default ports and labels.
  const [kinds, setKinds] = useState<TargetKindInfo[] | null>(null);
  useEffect(() => {
    if (kind !== 'target') return;
    let live = true;
    api.targetKinds().then((k) => { if (live) setKinds(k); }, () => undefined);
    return () => { live = false; };
  }, [kind]);
  const targetKind = kinds?.find((k) => k.types.includes(type)) ?? null;
  const field = (n: TargetKindInfo['fields'][number]['name']): TargetKindInfo['fields'][number] | undefined => targetKind?.fields.find((f) => f.name === n);
  const typeChoices: Array<{ value: string; label: string }> = kind === 'target' && kinds
    // One choice per kind (an alias such as mariadb or postgresql is the same kind): an endpoint stored with an
    // alias keeps it, a new one gets the kind's main type.
    ? kinds.map((k) => ({ value: k.types.includes(type) ? type : k.types[0]!, label: k.title }))
    : [{ value: 'mysql', label: 'MySQL' }, { value: 'mariadb', label: 'MariaDB' }];
  const pickType = (t: string): void => {
    const next = kinds?.find((k) => k.types.includes(t));
    // A new endpoint follows the kind's default port while the port was left at the previous kind's default.
    if (!existing && next && Number(port) === (targetKind?.defaultPort ?? 3306)) setPort(String(next.defaultPort));
    setType(t);
  };
  const [host, setHost] = useState(existing?.host ?? '127.0.0.1');
  const [port, setPort] = useState(String(existing?.port ?? 3306));
  const [user, setUser] = useState(existing?.user ?? '');
  // Never pre-filled: empty keeps the stored password; removing it is an explicit choice.
  const [password, setPassword] = useState('');
  const [clearPassword, setClearPassword] = useState(false);
  const [caPem, setCaPem] = useState<{ name: string; text: string } | null>(null);
  const [serverId, setServerId] = useState(existing?.serverId !== undefined ? String(existing.serverId) : '');
  const [checkpointDatabase, setCheckpointDatabase] = useState(existing?.checkpointDatabase ?? '');
  // Kinds whose URL names a database (PostgreSQL): the form asks for it (its field comes from the kind).
  const [database, setDatabase] = useState(existing?.database ?? '');
  const [tlsMode, setTlsMode] = useState<TlsMode>(tlsModeOf(existing?.options ?? {}));
  const [sslCa, setSslCa] = useState(existing?.options['ssl-ca'] ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  const [testedSaved, setTestedSaved] = useState(false);

  const input = (): EndpointInput => {
    // Other options (a client certificate: ssl-cert, ssl-key) are kept; the form sets ssl-mode and ssl-ca.
    const options: Record<string, string> = { ...(existing?.options ?? {}) };
    delete options['ssl-mode'];
    delete options['ssl-ca'];
    if (tlsMode === 'DISABLED') {
      delete options['ssl-cert'];
      delete options['ssl-key'];
    } else {
      options['ssl-mode'] = tlsMode;
      if ((tlsMode === 'VERIFY_CA' || tlsMode === 'VERIFY_IDENTITY') && sslCa.trim()) options['ssl-ca'] = sslCa.trim();
    }
    const i: EndpointInput = { type, host: host.trim(), port: Number(port), user: user.trim(), options };
    if (password !== '') i.password = password;
    else if (existing?.hasPassword && clearPassword) i.clearPassword = true;
    if (caPem && (tlsMode === 'VERIFY_CA' || tlsMode === 'VERIFY_IDENTITY')) {
      delete options['ssl-ca'];
      i.tlsFiles = { 'ssl-ca': caPem.text };
    }
    if (!existing) i.name = name.trim();
    if (kind === 'source' && serverId.trim()) i.serverId = Number(serverId);
    if (kind === 'target' && checkpointDatabase.trim()) i.checkpointDatabase = checkpointDatabase.trim();
    if (kind === 'target' && field('database') && database.trim()) i.database = database.trim();
    return i;
  };

  const test = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      // The stored password is never sent to the browser: with it, only the saved settings can be tested.
      const useStored = !!existing?.hasPassword && password === '' && !clearPassword;
      setTestedSaved(useStored);
      setResult(useStored ? await api.testEndpoint(kind, existing.name) : await api.testConnection(kind, input()));
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
          <select name="type" value={type} onChange={(e) => pickType(e.target.value)}>
            {typeChoices.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
          {targetKind && <span className="hint">{targetKind.description}</span>}
        </label>
        <div style={{ display: 'grid', gridTemplateColumns: '1fr 120px', gap: 12 }}>
          <label className="field">Host<input name="host" value={host} onChange={(e) => setHost(e.target.value)} required /></label>
          <label className="field">Port<input name="port" type="number" min={1} max={65535} value={port} onChange={(e) => setPort(e.target.value)} required /></label>
        </div>
        <label className="field">User<input name="user" value={user} onChange={(e) => setUser(e.target.value)} required autoComplete="off" /></label>
        <label className="field">Password
          <input name="password" type="password" value={password} onChange={(e) => { setPassword(e.target.value); if (e.target.value) setClearPassword(false); }}
            autoComplete="new-password" disabled={clearPassword}
            placeholder={existing?.hasPassword ? (clearPassword ? 'no password' : 'stored – leave empty to keep it') : 'optional'} />
          <span className="hint">{existing?.hasPassword
            ? 'A password is stored (encrypted, never shown). Leave the field empty to keep it, or type a new one.'
            : 'Stored encrypted; never shown again.'}</span>
        </label>
        {existing?.hasPassword && (
          <label className="check">
            <input type="checkbox" name="clearPassword" checked={clearPassword} onChange={(e) => { setClearPassword(e.target.checked); if (e.target.checked) setPassword(''); }} />
            Remove the stored password (connect without one)
          </label>
        )}
        <label className="field">TLS
          <select name="tls" value={tlsMode} onChange={(e) => setTlsMode(TLS_MODES.find((t) => t.value === e.target.value)?.value ?? 'DISABLED')}>
            {TLS_MODES.map((t) => <option key={t.value} value={t.value}>{t.label}</option>)}
          </select>
        </label>
        {(tlsMode === 'VERIFY_CA' || tlsMode === 'VERIFY_IDENTITY') && (
          <div className="field">CA certificate (optional)
            <input name="sslCaFile" type="file" accept=".pem,.crt,.cer,application/x-pem-file" aria-label="CA certificate file (PEM)"
              onChange={(e) => {
                const f = e.target.files?.[0];
                if (!f) { setCaPem(null); return; }
                void f.text().then((text) => setCaPem({ name: f.name, text }));
              }} />
            {!caPem && (
              <input name="sslCa" value={sslCa} onChange={(e) => setSslCa(e.target.value)} placeholder="or a path in the server's TLS directory" autoComplete="off" aria-label="CA certificate path on the server" />
            )}
            <span className="hint">{caPem ? `${caPem.name} is uploaded and kept on the server when you save.`
              : 'Upload the PEM (e.g. your cloud provider\'s CA bundle), or name a file in the TLS directory of sluice serve (--tls-dir). Neither: the CAs Node.js trusts.'}</span>
          </div>
        )}
        {kind === 'source' ? (
          <label className="field">Replication server id (optional)
            <input name="serverId" type="number" min={1} value={serverId} onChange={(e) => setServerId(e.target.value)} placeholder="auto" />
          </label>
        ) : (
          <>
          {field('database') && (
            <label className="field">{field('database')!.label}
              <input name="database" value={database} onChange={(e) => setDatabase(e.target.value)} required={field('database')!.required} autoComplete="off" />
              {field('database')!.help && <span className="hint">{field('database')!.help}</span>}
            </label>
          )}
          <label className="field">{field('checkpointDatabase')?.label ?? 'Checkpoint database'} (optional)
            <input name="checkpointDatabase" value={checkpointDatabase} onChange={(e) => setCheckpointDatabase(e.target.value)} placeholder={String(field('checkpointDatabase')?.default ?? '_sluice')} />
          </label>
          </>
        )}
        {result && testedSaved && <div className="hint" data-testid="tested-saved">Tested with the saved settings and the stored password; save first to test your changes with it.</div>}
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
