// Users (admin) and API tokens (everyone: their own; admin: all).
import { useState, type FormEvent, type ReactElement } from 'react';
import { api, type Role } from '../api';
import { can, useAuth } from '../auth';
import { ErrorBanner, usePolling, when } from '../components/common';

const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const asRole = (v: string): Role => (v === 'admin' || v === 'operator' ? v : 'viewer');

export function UsersPage(): ReactElement {
  const { user } = useAuth();
  return (
    <div data-testid="users-page">
      <div className="topline"><h1>{can(user, 'admin') ? 'Users & API tokens' : 'API tokens'}</h1></div>
      {can(user, 'admin') && <UsersPanel />}
      <TokensPanel />
    </div>
  );
}

function UsersPanel(): ReactElement {
  const { user: me } = useAuth();
  const users = usePolling(() => api.users(), 0, []);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<string | null>(null);

  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      await api.createUser(username.trim(), password, role);
      setUsername('');
      setPassword('');
      users.reload();
    } catch (err) {
      setError(err);
    }
  };
  const run = async (fn: () => Promise<unknown>): Promise<void> => {
    setError(null);
    try {
      await fn();
      setConfirm(null);
      users.reload();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="panel">
      <h2>Users</h2>
      <ErrorBanner error={error ?? users.error} />
      <table className="data" data-testid="users-table">
        <thead><tr><th>User</th><th>Role</th><th>Created</th><th /></tr></thead>
        <tbody>
          {(users.data ?? []).map((u) => (
            <tr key={u.username} data-testid={`user-row-${u.username}`}>
              <td><strong>{u.username}</strong>{u.username === me.username && <span className="muted"> (you)</span>}</td>
              <td>
                <select aria-label={`Role of ${u.username}`} value={u.role} disabled={u.username === me.username}
                  onChange={(e) => void run(() => api.updateUser(u.username, { role: asRole(e.target.value) }))}>
                  {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
                </select>
              </td>
              <td className="muted">{when(u.createdAt)}</td>
              <td style={{ textAlign: 'right' }}>
                {u.username !== me.username && (confirm === u.username ? (
                  <span className="actions" style={{ justifyContent: 'flex-end' }}>
                    <button className="small danger" onClick={() => void run(() => api.deleteUser(u.username))}>Really delete</button>
                    <button className="small" onClick={() => setConfirm(null)}>Keep</button>
                  </span>
                ) : <button className="small danger" onClick={() => setConfirm(u.username)}>Delete</button>)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="actions form-row" style={{ marginTop: 12 }} onSubmit={(e) => void add(e)} aria-label="Add user">
        <input name="new-username" placeholder="user name" aria-label="User name" value={username} onChange={(e) => setUsername(e.target.value)} required />
        <input name="new-password" type="password" placeholder="password, 10+ characters" aria-label="Password" minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        <select name="new-role" value={role} onChange={(e) => setRole(asRole(e.target.value))}>
          {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <button className="primary" type="submit">Add user</button>
      </form>
      <p className="hint">Passwords: at least 10 characters, not a common password, not one character or a keyboard row repeated. Viewer: read-only. Operator: start, stop, retry and edit pipelines. Admin: everything, including sources, targets and users.</p>
    </div>
  );
}

function TokensPanel(): ReactElement {
  const { user } = useAuth();
  const tokens = usePolling(() => api.tokens(), 0, []);
  const [name, setName] = useState('');
  // Least privilege by default: a new token can read; a higher role is an explicit choice.
  const [role, setRole] = useState<Role>('viewer');
  const [expires, setExpires] = useState('90');
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api.createToken(name.trim(), role, expires === 'never' ? undefined : Number(expires));
      setSecret(r.secret);
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (id: string): Promise<void> => {
    setError(null);
    try {
      await api.deleteToken(id);
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const rank = ROLES.indexOf(user.role);

  return (
    <div className="panel">
      <h2>API tokens</h2>
      <ErrorBanner error={error ?? tokens.error} />
      {secret && (
        <div className="alert ok" data-testid="token-secret">
          New token (shown only now; use it as <code>Authorization: Bearer …</code>): <code>{secret}</code>
        </div>
      )}
      {(tokens.data ?? []).length === 0 ? <div className="empty">No tokens.</div> : (
        <table className="data" data-testid="tokens-table">
          <thead><tr><th>Name</th><th>Owner</th><th>Role</th><th>Created</th><th>Last used</th><th>Expires</th><th /></tr></thead>
          <tbody>
            {(tokens.data ?? []).map((t) => (
              <tr key={String(t.id)}>
                <td>{t.name}</td><td>{t.username}</td><td>{t.role}</td>
                <td className="muted">{when(t.createdAt)}</td><td className="muted">{when(t.lastUsedAt)}</td>
                <td className="muted">{t.expiresAt ? (Date.parse(t.expiresAt) <= Date.now() ? <span className="badge fail">expired</span> : when(t.expiresAt)) : 'never'}</td>
                <td style={{ textAlign: 'right' }}><button className="small danger" onClick={() => void remove(t.id)}>Revoke</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="actions form-row" style={{ marginTop: 12 }} onSubmit={(e) => void add(e)} aria-label="Create token">
        <input name="token-name" placeholder="name, e.g. ci-deploy" aria-label="Token name" value={name} onChange={(e) => setName(e.target.value)} required />
        <select name="token-role" aria-label="Token role" value={role} onChange={(e) => setRole(asRole(e.target.value))}>
          {ROLES.filter((_, i) => i <= rank).map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
        <select name="token-expires" aria-label="Token expiry" value={expires} onChange={(e) => setExpires(e.target.value)}>
          <option value="7">expires in 7 days</option>
          <option value="30">expires in 30 days</option>
          <option value="90">expires in 90 days</option>
          <option value="365">expires in 1 year</option>
          <option value="never">never expires</option>
        </select>
        <button className="primary" type="submit">Create token</button>
      </form>
    </div>
  );
}
