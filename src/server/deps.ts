/** What the routes work with. */
import type { ClusterMember } from '../control/cluster-member.js';
import type { PipelineManager } from '../control/pipeline-manager.js';
import type { ExportedAlerts } from '../store/config-sync.js';
import type { Store } from '../store/store.js';
import type { LoginLimiter } from './login-limiter.js';

export interface ServerDeps {
  store: Store;
  manager: PipelineManager;
  limiter: LoginLimiter;
  /** One-time token of the first-admin setup link; null once an admin exists. */
  setup: { token: string | null };
  /** Mark the session cookie Secure: always, never, or when the request came over https. */
  secureCookies: boolean | 'auto';
  /** Directory that ssl-ca / ssl-cert / ssl-key files of API-created endpoints must be in (null: uploaded PEM only). */
  tlsDir: string | null;
  /** The `alerts:` section of the config export (the alert settings in force, secrets as ${ENV}). */
  exportAlerts?: () => ExportedAlerts | undefined;
  /** This node's membership of a cluster on a shared store (none: a single node). */
  cluster?: ClusterMember | undefined;
}

export const SESSION_COOKIE = 'sluice_session';
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const MIN_PASSWORD = 10;
