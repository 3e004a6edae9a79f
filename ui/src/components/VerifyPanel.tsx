// The verify result panel of a pipeline: the run in progress, and the last result of every table (kept by the
// server across restarts) with a sample of the differing rows, both sides' values, and a Repair per table.
import { Fragment, useState, type ReactElement } from 'react';
import type { LastVerifyResult, VerifyDifference, VerifyState } from '../api';
import { Modal, num, when } from './common';

/** Differing rows a table still has after its last check (after a repair: what the re-check found). */
export function remaining(r: LastVerifyResult): number {
  return r.recheckMismatchedRows ?? r.mismatchedRows;
}

function Outcome({ r }: { r: LastVerifyResult }): ReactElement {
  if (r.problem) return <span className="badge fail" title={r.problem}>not compared</span>;
  const left = remaining(r);
  if (r.repair && r.repairedRows > 0) {
    return left === 0 ? <span className="badge ok">repaired {num(r.repairedRows)} · now equal</span>
      : <span className="badge fail">repaired {num(r.repairedRows)} · {num(left)} still differ</span>;
  }
  return left === 0 ? <span className="badge ok">equal</span> : <span className="badge fail">{num(left)} differ</span>;
}

const KIND_TEXT: Record<VerifyDifference['kind'], string> = {
  missing: 'missing on the target',
  extra: 'extra on the target',
  different: 'different',
};

function DifferenceRows({ r }: { r: LastVerifyResult }): ReactElement {
  return (
    <table className="data" data-testid={`verify-diffs-${r.table}`}>
      <thead><tr><th>Key</th><th>Difference</th><th>Column</th><th>Source</th><th>Target</th></tr></thead>
      <tbody>
        {r.differences.map((d, i) => {
          const cols = d.kind === 'different' && d.columns && d.columns.length > 0 ? d.columns : null;
          const kind = `${KIND_TEXT[d.kind]}${d.count !== undefined && d.count > 1 ? ` (${num(d.count)} copies)` : ''}`;
          if (!cols) {
            return (
              <tr key={i} data-testid="verify-diff">
                <td className="mono">{d.key}</td><td>{kind}</td><td className="muted">{d.kind === 'different' ? '–' : 'whole row'}</td>
                <td className="mono">{d.kind === 'extra' ? <span className="muted">(no row)</span> : <span className="muted">(row)</span>}</td>
                <td className="mono">{d.kind === 'missing' ? <span className="muted">(no row)</span> : <span className="muted">(row)</span>}</td>
              </tr>
            );
          }
          return (
            <Fragment key={i}>
              {cols.map((c, j) => (
                <tr key={`${i}-${c.column}`} data-testid="verify-diff">
                  {j === 0 && <td className="mono" rowSpan={cols.length}>{d.key}</td>}
                  {j === 0 && <td rowSpan={cols.length}>{kind}</td>}
                  <td className="mono">{c.column}</td>
                  <td className="mono">{c.source}</td>
                  <td className="mono">{c.target}</td>
                </tr>
              ))}
            </Fragment>
          );
        })}
      </tbody>
    </table>
  );
}

export function VerifyPanel({ state, operator, canStart, onVerify }: {
  state: VerifyState | null;
  operator: boolean;
  /** Why a verify cannot start now (null: it can). */
  canStart: string | null;
  onVerify: (tables: string[] | undefined, repair: boolean) => void;
}): ReactElement {
  const [confirmRepair, setConfirmRepair] = useState<LastVerifyResult | null>(null);
  const [open, setOpen] = useState<Set<string>>(new Set());
  const run = state?.verify ?? null;
  const results = state?.tables ?? [];
  const running = run?.state === 'running';
  const toggle = (t: string): void => setOpen((prev) => {
    const next = new Set(prev);
    if (next.has(t)) next.delete(t); else next.add(t);
    return next;
  });

  return (
    <div className="panel" data-testid="verify-panel">
      <div className="topline" style={{ marginBottom: 8 }}>
        <h2 style={{ margin: 0 }}>Verify</h2>
        {run && (
          <span className="muted" data-testid="verify-run">
            {running
              ? `${run.repair ? 'Repairing' : 'Verifying'}${run.progress ? ` ${run.progress.table}: chunk ${num(run.progress.chunksDone)} / ${num(run.progress.chunks)}, ${num(run.progress.rowsChecked)} rows checked` : '…'}`
              : run.state === 'failed' ? `Last run failed ${when(run.finishedAt)}`
                : `Last run ${when(run.finishedAt)}${run.summary ? `: ${num(run.summary.tables)} tables, ${num(run.summary.rows_checked)} rows, ${num(run.summary.mismatched_rows)} differing${run.summary.repaired_rows > 0 ? `, ${num(run.summary.repaired_rows)} repaired` : ''} in ${run.summary.seconds.toFixed(1)} s` : ''}`}
          </span>
        )}
      </div>
      {run?.state === 'failed' && run.error && (
        <div className="alert error" data-testid="verify-error"><span className="mono">[{run.error.code}]</span> {run.error.message}<div className="hint">Fix: {run.error.fix}</div></div>
      )}
      {results.length === 0 ? (
        <div className="empty" data-testid="verify-none">
          {running ? 'The first results appear as each table is compared.' : 'No table of this pipeline has been verified yet.'}{' '}
          Verify compares every table with the source while the pipeline streams, without locks, and lists the rows that differ.
        </div>
      ) : (
        <div className="scroll">
          <table className="data" data-testid="verify-results">
            <thead><tr><th>Table</th><th>Checked</th><th className="num">Rows checked</th><th className="num">Differences</th><th>Result</th>{operator && <th />}</tr></thead>
            <tbody>
              {results.map((r) => {
                const left = remaining(r);
                const shown = open.has(r.table) || results.length === 1;
                return (
                  <Fragment key={r.table}>
                    <tr data-testid={`verify-result-${r.table}`}>
                      <td className="mono">{r.table}{r.key === 'none' && <div className="hint">no key: compared whole</div>}</td>
                      <td className="nowrap" title={when(r.checkedAt)}>{when(r.checkedAt)}{r.repair ? ' (repair)' : ''}</td>
                      <td className="num">{num(r.rowsChecked)}</td>
                      <td className="num" data-testid="verify-differences">{num(r.mismatchedRows)}{r.unsettledRows > 0 ? <div className="hint">{num(r.unsettledRows)} kept changing</div> : null}</td>
                      <td>
                        <Outcome r={r} />{r.problem && <div className="hint">{r.problem}</div>}
                        {r.differences.length > 0 && results.length > 1 && (
                          <> <button className="small" onClick={() => toggle(r.table)}>{shown ? 'Hide rows' : 'Show rows'}</button></>
                        )}
                      </td>
                      {operator && (
                        <td className="nowrap">
                          <button className="small" disabled={canStart !== null || running} title={canStart ?? (running ? 'A verify is running' : `Compare ${r.table} again`)}
                            onClick={() => onVerify([r.table], false)}>Verify</button>{' '}
                          {left > 0 && !r.problem && (
                            <button className="small danger" data-testid={`verify-repair-${r.table}`} disabled={canStart !== null || running}
                              title={canStart ?? (running ? 'A verify is running' : 'Rewrite the differing rows on the target from the source, then check again')}
                              onClick={() => setConfirmRepair(r)}>Repair</button>
                          )}
                        </td>
                      )}
                    </tr>
                    {shown && r.differences.length > 0 && (
                      <tr className="detail">
                        <td colSpan={operator ? 6 : 5}>
                          <DifferenceRows r={r} />
                          {r.differencesTotal > r.differences.length && (
                            <div className="hint">The first {num(r.differences.length)} of {num(r.differencesTotal)} differing rows; <span className="mono">sluice verify --json</span> lists them all.</div>
                          )}
                          {r.repair && r.repairedRows > 0 && <div className="hint">These rows were found and rewritten by the repair.</div>}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {confirmRepair && (
        <Modal title={`Repair ${confirmRepair.table}?`} onClose={() => setConfirmRepair(null)}>
          <p>
            Verify compares <span className="mono">{confirmRepair.table}</span> again and rewrites on the target exactly the rows that differ from
            the source (about {num(remaining(confirmRepair))}), in the pipeline&apos;s order of apply; a re-check then proves the table equal.
          </p>
          <p className="muted">Rows changed on the target by hand are overwritten with the source&apos;s values; extra rows are deleted.</p>
          <div className="actions">
            <button className="danger" onClick={() => { const t = confirmRepair.table; setConfirmRepair(null); onVerify([t], true); }}>Repair</button>
            <button onClick={() => setConfirmRepair(null)}>Cancel</button>
          </div>
        </Modal>
      )}
    </div>
  );
}
