import { useState, type FormEvent, type ReactElement } from 'react';
import { api, type User } from '../api';
import { ErrorBanner } from '../components/common';

export function LoginPage({ onDone }: { onDone: (u: User) => void }): ReactElement {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api.login(username, password);
      onDone(s.user);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="login-wrap">
      <form className="panel login stack" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <div>
          <div className="brand">≋ Sluice</div>
          <div className="muted">Sign in to the control plane</div>
        </div>
        <ErrorBanner error={error} />
        <label className="field">User name
          <input name="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        </label>
        <label className="field">Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <button className="primary" type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </div>
  );
}
