// The preflight results of "Test connection": one line per check, with its fix.
import type { ReactElement } from 'react';
import type { TestResult } from '../api';
import { Badge } from './common';

export function Checks({ result }: { result: TestResult }): ReactElement {
  return (
    <div data-testid="check-results">
      <div className={`alert ${result.ok ? 'ok' : 'error'}`} data-testid="check-summary">
        {result.ok ? 'Connection ok: every check passed' : 'Some checks failed: see the fixes below'}
        {result.ok && result.results.some((r) => r.warn) ? ' (with warnings)' : ''}.
      </div>
      <ul className="checks">
        {result.results.map((r) => (
          <li key={r.check} data-testid={`check-${r.check}`}>
            <Badge value={!r.ok ? 'fail' : r.warn ? 'warn' : 'ok'} />
            <div>
              <strong>{r.check}</strong>{detail(r.check, r.message)}
              {r.code && <span className="muted mono"> [{r.code}]</span>}
              {r.fix && <div className="fix">Fix: {r.fix}</div>}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The message without the check's own name in front ("reachable: mariadb 11.4" under "reachable"). */
function detail(check: string, message: string): string {
  const lower = message.toLowerCase();
  const name = check.toLowerCase();
  if (lower === name) return '';
  if (lower.startsWith(`${name}:`)) return `: ${message.slice(name.length + 1).trim()}`;
  return `: ${message}`;
}
