/**
 * One preflight finding. `code` is the SluiceError code of a failure; `transient` marks failures that a
 * retry can cure (server unreachable), as opposed to permanent ones (access denied, binlog off, …).
 */
export interface CheckResult {
  ok: boolean; what: string; fix?: string; warn?: boolean; code?: string; transient?: boolean;
  /** A short stable name of the check (the UI's heading and test id); when absent, the API derives one from `what`. */
  check?: string;
}
