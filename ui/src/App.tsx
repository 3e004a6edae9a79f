import { useCallback, useEffect, useState, type ReactElement } from 'react';
import { api, type User } from './api';
import { AuthContext, can } from './auth';
import { ApiError, setCsrfToken, setUnauthorizedHandler } from './http';
import { navigate, useRoute } from './router';
import { LoginPage } from './pages/Login';
import { SetupPage } from './pages/Setup';
import { DashboardPage } from './pages/Dashboard';
import { EndpointsPage } from './pages/Endpoints';
import { WizardPage } from './pages/Wizard';
import { PipelinePage } from './pages/Pipeline';
import { UsersPage } from './pages/Users';
import { ClusterPage } from './pages/Cluster';
import { ErrorBanner } from './components/common';

const SIGNED_IN_KEY = 'sluice.signedIn';

function wasSignedIn(): boolean {
  try {
    return window.localStorage.getItem(SIGNED_IN_KEY) === '1';
  } catch {
    return true;
  }
}

function markSignedIn(on: boolean): void {
  try {
    if (on) window.localStorage.setItem(SIGNED_IN_KEY, '1');
    else window.localStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    /* storage disabled: we just probe /api/me every time */
  }
}

type Phase = { kind: 'loading' } | { kind: 'anonymous'; setupNeeded: boolean } | { kind: 'signed-in'; user: User } | { kind: 'broken'; error: unknown };

export function App(): ReactElement {
  const route = useRoute();
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });

  const probe = useCallback(async () => {
    const anonymous = async (): Promise<void> => {
      markSignedIn(false);
      const info = await api.setupInfo();
      setPhase({ kind: 'anonymous', setupNeeded: info.needed });
    };
    try {
      // Only ask /api/me when this browser signed in before: an anonymous 401 would be logged as a console error.
      if (!wasSignedIn()) {
        await anonymous();
        return;
      }
      const s = await api.me();
      setPhase({ kind: 'signed-in', user: s.user });
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        try {
          await anonymous();
        } catch (e2) {
          setPhase({ kind: 'broken', error: e2 });
        }
      } else {
        setPhase({ kind: 'broken', error: e });
      }
    }
  }, []);

  useEffect(() => {
    void probe();
  }, [probe]);

  // The Cluster entry shows only when this server is a node of a cluster (a shared --store).
  const [clustered, setClustered] = useState(false);
  const signedIn = phase.kind === 'signed-in';
  useEffect(() => {
    if (!signedIn) return;
    const ctl = new AbortController();
    api.cluster(ctl.signal).then((c) => setClustered(c.enabled), () => undefined);
    return () => ctl.abort();
  }, [signedIn]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      markSignedIn(false);
      setPhase({ kind: 'anonymous', setupNeeded: false });
    });
    return () => setUnauthorizedHandler(null);
  }, []);

  const onSignedIn = useCallback((user: User) => {
    markSignedIn(true);
    setPhase({ kind: 'signed-in', user });
    const first = route.path[0];
    if (!first || first === 'login' || first === 'setup') navigate('/');
  }, [route.path]);

  const logout = useCallback(() => {
    void api.logout().catch(() => undefined).finally(() => {
      setCsrfToken(null);
      markSignedIn(false);
      setPhase({ kind: 'anonymous', setupNeeded: false });
      navigate('/login');
    });
  }, []);

  if (phase.kind === 'loading') return <div className="login-wrap muted">Loading…</div>;
  if (phase.kind === 'broken') {
    return (
      <div className="login-wrap">
        <div className="panel login">
          <div className="brand">Sluice</div>
          <ErrorBanner error={phase.error} />
          <button onClick={() => void probe()}>Try again</button>
        </div>
      </div>
    );
  }
  if (phase.kind === 'anonymous') {
    if (route.path[0] === 'setup' || phase.setupNeeded) {
      return <SetupPage token={route.query.get('token') ?? ''} needed={phase.setupNeeded} onDone={onSignedIn} />;
    }
    return <LoginPage onDone={onSignedIn} />;
  }

  const user = phase.user;
  const [section = 'dashboard', arg] = route.path;
  let page: ReactElement;
  switch (section) {
    case 'sources':
      // A key per kind: nothing (an open dialog, a test result) carries over between Sources and Targets.
      page = <EndpointsPage key="sources" kind="source" />;
      break;
    case 'targets':
      page = <EndpointsPage key="targets" kind="target" />;
      break;
    case 'new-pipeline':
      // The server refuses pipeline creation below operator: no wizard whose last step would fail.
      page = can(user, 'operator') ? <WizardPage /> : (
        <div className="panel" data-testid="forbidden">
          <h1>Not available</h1>
          <p className="muted">Creating pipelines needs the operator or admin role; you are signed in as {user.role}.</p>
        </div>
      );
      break;
    case 'pipelines':
      page = arg ? <PipelinePage name={arg} /> : <DashboardPage />;
      break;
    case 'users':
      page = <UsersPage />;
      break;
    case 'cluster':
      page = <ClusterPage />;
      break;
    default:
      page = <DashboardPage />;
  }
  const link = (to: string, label: string, active: boolean): ReactElement => (
    <a href={`#/${to}`} className={active ? 'active' : ''}>{label}</a>
  );

  return (
    <AuthContext.Provider value={{ user, logout }}>
      <div className="shell">
        <nav className="side" aria-label="Main">
          <div className="brand">≋ Sluice</div>
          {link('', 'Dashboard', section === 'dashboard' || section === 'pipelines' || section === 'login' || section === 'setup')}
          {link('sources', 'Sources', section === 'sources')}
          {link('targets', 'Targets', section === 'targets')}
          {can(user, 'operator') && link('new-pipeline', 'New pipeline', section === 'new-pipeline')}
          {clustered && link('cluster', 'Cluster', section === 'cluster')}
          {link('users', can(user, 'admin') ? 'Users & tokens' : 'API tokens', section === 'users')}
          <div className="spacer" />
          <div className="who" data-testid="whoami">{user.username} · {user.role}</div>
          <a href="#/login" onClick={(e) => { e.preventDefault(); logout(); }}>Sign out</a>
        </nav>
        <main className="main">{page}</main>
      </div>
    </AuthContext.Provider>
  );
}
