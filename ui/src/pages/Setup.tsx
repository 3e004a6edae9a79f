import { useState, type FormEvent, type ReactElement } from 'react';
import { api, type User } from '../api';
import { ErrorBanner } from '../components/common';

export function SetupPage({ token: initialToken, needed, onDone }: { token: string; needed: boolean; onDone: (u: User) => void }): ReactElement {
  const [token, setToken] = useState(initialToken);
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (password !== again) {
      setError(new Error('The two passwords differ.'));
      return;
    }
    if (password.length < 10) {
      setError(new Error('Use at least 10 characters.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const s = await api.setup(token, username, password);
      onDone(s.user);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-wrap">
      <form className="panel login stack" onSubmit={(e) => void submit(e)} aria-label="Create the first admin">
        <div>
          <div className="brand">≋ Sluice</div>
          <div className="muted">Create the first administrator</div>
        </div>
        {!needed && <div className="alert info">An administrator already exists. <a href="#/login">Sign in</a> instead.</div>}
        <ErrorBanner error={error} />
        <label className="field">Setup token
          <input name="token" value={token} onChange={(e) => setToken(e.target.value)} required />
          <span className="hint">From the one-time link that <code>sluice serve</code> printed at its first start.</span>
        </label>
        <label className="field">User name
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
        </label>
        <label className="field">Password (10 characters or more)
          <input name="password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <label className="field">Password again
          <input name="password2" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} required />
        </label>
        <button className="primary" type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create admin and sign in'}</button>
      </form>
    </div>
  );
}
