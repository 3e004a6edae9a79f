// Pipeline wizard: source → tables → target → policies → create (and start).
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { api, type DatabaseInfo, type PipelineWithStatus, type TableInfo, type TestResult } from '../api';
import { Checks } from '../components/Checks';
import { ErrorBanner, num, usePolling } from '../components/common';
import { href, navigate } from '../router';

const STEPS = ['Source', 'Tables', 'Target', 'Policies', 'Review'] as const;

function splitPatterns(s: string): string[] {
  return s.split(/[\s,]+/).map((x) => x.trim()).filter((x) => x.length > 0);
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function globRe(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

/** Two `db.table` patterns that can name the same table (either matches the other read literally). */
function overlaps(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase() || globRe(a).test(b) || globRe(b).test(a);
}

/** The pattern as it lands on the target: the target database replaces the source database when set. */
function onTarget(pattern: string, targetDatabase: string): string {
  const dot = pattern.indexOf('.');
  return targetDatabase && dot > 0 ? `${targetDatabase}.${pattern.slice(dot + 1)}` : pattern;
}

/** Existing pipelines that already copy one of these tables into the same target database. */
export function conflicts(existing: readonly PipelineWithStatus[], target: string, targetDatabase: string, tables: readonly string[]): Array<{ pipeline: string; table: string }> {
  const out: Array<{ pipeline: string; table: string }> = [];
  for (const p of existing) {
    if (p.target !== target) continue;
    for (const t of tables) {
      const mine = onTarget(t, targetDatabase);
      const theirs = p.tables.map((x) => onTarget(x, p.targetDatabase ?? ''));
      const hit = theirs.find((x) => overlaps(mine, x));
      if (hit) out.push({ pipeline: p.name, table: mine });
    }
  }
  return out;
}

export function WizardPage(): ReactElement {
  const sources = usePolling((signal) => api.listEndpoints('source', signal), 0, []);
  const targets = usePolling((signal) => api.listEndpoints('target', signal), 0, []);
  const [step, setStep] = useState(0);
  const [name, setName] = useState('');
  const [source, setSource] = useState('');
  const [target, setTarget] = useState('');
  const [targetDatabase, setTargetDatabase] = useState('');
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [extra, setExtra] = useState('');
  const [exclude, setExclude] = useState('');
  const [snapshot, setSnapshot] = useState<'initial' | 'none'>('initial');
  const [ddl, setDdl] = useState<'apply' | 'ignore' | 'fail'>('apply');
  const [start, setStart] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [furthest, setFurthest] = useState(0);
  const goTo = (i: number): void => {
    setStep(i);
    setFurthest((f) => Math.max(f, i));
  };

  const tables = useMemo(() => [...picked, ...splitPatterns(extra)].filter((v, i, a) => a.indexOf(v) === i), [picked, extra]);
  const stepOk = [
    NAME_RE.test(name.trim()) && source.length > 0,
    tables.length > 0,
    target.length > 0,
    true,
    true,
  ];
  /** Why Next is disabled on this step (shown next to it). */
  const stepHint = [
    !name.trim() ? 'Enter a pipeline name to continue.' : !NAME_RE.test(name.trim()) ? 'The name may use letters, digits, _ . - (starting with a letter or digit).'
      : !source ? 'Choose a source (add one under Sources first).' : '',
    'Tick at least one table or database, or type a pattern.',
    'Choose a target (add one under Targets first).',
    '',
    '',
  ];
  // A step can be reached by its label once every step before it is complete.
  const reachable = (i: number): boolean => i <= furthest + 1 && stepOk.slice(0, i).every(Boolean);

  useEffect(() => {
    if (!source && sources.data && sources.data.length > 0) setSource(sources.data[0]?.name ?? '');
  }, [sources.data, source]);
  useEffect(() => {
    if (!target && targets.data && targets.data.length > 0) setTarget(targets.data[0]?.name ?? '');
  }, [targets.data, target]);

  const create = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const p = await api.createPipeline({
        name: name.trim(), source, target, tables, exclude: splitPatterns(exclude),
        ...(targetDatabase.trim() ? { targetDatabase: targetDatabase.trim() } : {}),
        snapshot, ddl, start,
      });
      navigate(href('pipelines', p.name).slice(1));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="wizard">
      <div className="topline"><h1>New pipeline</h1></div>
      <nav className="steps" aria-label="Wizard steps">
        {STEPS.map((s, i) => (
          <button key={s} type="button" className={`step${i === step ? ' on' : i <= furthest ? ' done' : ''}`} aria-current={i === step ? 'step' : undefined}
            disabled={!reachable(i)} onClick={() => goTo(i)}>{i + 1}. {s}</button>
        ))}
      </nav>
      <ErrorBanner error={error ?? sources.error ?? targets.error} />
      <div className="panel">
        {step === 0 && (
          <div className="stack" style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 560 }}>
            <label className="field">Pipeline name
              <input name="pipeline-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. product-to-order" autoFocus />
              <span className="hint">Letters, digits, _ . - ; it names the pipeline in the UI, the API and the metrics.</span>
            </label>
            <label className="field">Source
              <select name="source" value={source} onChange={(e) => { setSource(e.target.value); setPicked(new Set()); }}>
                {(sources.data ?? []).map((s) => <option key={s.name} value={s.name}>{s.name} ({s.host}:{s.port})</option>)}
              </select>
              {sources.data && sources.data.length === 0 && <span className="hint">No sources yet: <a href="#/sources">add one first</a>.</span>}
            </label>
          </div>
        )}
        {step === 1 && (
          <div>
            <h2>Tables of {source}</h2>
            <p className="hint">Tick tables or whole databases; add patterns (<code>db.table</code>, <code>*</code> and <code>?</code> wildcards) below.</p>
            <TableBrowser source={source} picked={picked} onChange={setPicked} />
            <div className="grid2" style={{ marginTop: 12 }}>
              <label className="field">More table patterns
                <input name="patterns" value={extra} onChange={(e) => setExtra(e.target.value)} placeholder="shop.order_*" />
              </label>
              <label className="field">Exclude patterns
                <input name="exclude" value={exclude} onChange={(e) => setExclude(e.target.value)} placeholder="shop.tmp_*" />
              </label>
            </div>
            <p className="hint" data-testid="picked">Selected: {tables.length ? tables.join(', ') : 'nothing yet'}</p>
          </div>
        )}
        {step === 2 && (
          <div style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 560 }}>
            <label className="field">Target
              <select name="target" value={target} onChange={(e) => setTarget(e.target.value)}>
                {(targets.data ?? []).map((t) => <option key={t.name} value={t.name}>{t.name} ({t.host}:{t.port})</option>)}
              </select>
              {targets.data && targets.data.length === 0 && <span className="hint">No targets yet: <a href="#/targets">add one first</a>.</span>}
            </label>
            <TargetDatabaseField target={target} value={targetDatabase} onChange={setTargetDatabase} />
          </div>
        )}
        {step === 3 && (
          <div style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 560 }}>
            <label className="field">Initial snapshot
              <select name="snapshot" value={snapshot} onChange={(e) => setSnapshot(e.target.value === 'none' ? 'none' : 'initial')}>
                <option value="initial">initial: copy the existing rows, then stream</option>
                <option value="none">none: stream changes from now on</option>
              </select>
            </label>
            <label className="field">Schema changes (DDL)
              <select name="ddl" value={ddl} onChange={(e) => setDdl(e.target.value === 'ignore' ? 'ignore' : e.target.value === 'fail' ? 'fail' : 'apply')}>
                <option value="apply">apply: run them on the target in stream order</option>
                <option value="ignore">ignore: skip them</option>
                <option value="fail">fail: stop the pipeline</option>
              </select>
            </label>
            <label className="check"><input type="checkbox" name="start" checked={start} onChange={(e) => setStart(e.target.checked)} /> Start right away</label>
          </div>
        )}
        {step === 4 && <ReviewChecks source={source} target={target} targetDatabase={targetDatabase.trim()} tables={tables} />}
        {step === 4 && (
          <dl className="kv" data-testid="review">
            <dt>Name</dt><dd>{name}</dd>
            <dt>Source</dt><dd>{source}</dd>
            <dt>Tables</dt><dd>{tables.join(', ')}</dd>
            <dt>Exclude</dt><dd>{splitPatterns(exclude).join(', ') || '–'}</dd>
            <dt>Target</dt><dd>{target}</dd>
            <dt>Target database</dt><dd>{targetDatabase || 'same as the source'}</dd>
            <dt>Snapshot</dt><dd>{snapshot}</dd>
            <dt>DDL</dt><dd>{ddl}</dd>
            <dt>Start now</dt><dd>{start ? 'yes' : 'no'}</dd>
          </dl>
        )}
      </div>
      <div className="actions">
        {step > 0 && <button onClick={() => setStep((s) => Math.max(0, s - 1))}>Back</button>}
        {step < STEPS.length - 1 ? (
          <>
            <button className="primary" onClick={() => goTo(step + 1)} disabled={!stepOk[step]}>Next</button>
            {!stepOk[step] && stepHint[step] && <span className="hint" data-testid="next-hint">{stepHint[step]}</span>}
          </>
        ) : (
          <button className="primary" onClick={() => void create()} disabled={busy}>{start ? 'Create and start' : 'Create'}</button>
        )}
      </div>
    </div>
  );
}

function TableBrowser({ source, picked, onChange }: { source: string; picked: Set<string>; onChange: (s: Set<string>) => void }): ReactElement {
  const dbs = usePolling((): Promise<DatabaseInfo[]> => (source ? api.databases('source', source) : Promise.resolve([])), 0, [source]);
  const [open, setOpen] = useState<Record<string, TableInfo[] | 'loading' | { error: unknown }>>({});

  const expand = async (db: string): Promise<void> => {
    if (open[db] && open[db] !== 'loading') {
      const next = { ...open };
      delete next[db];
      setOpen(next);
      return;
    }
    setOpen((o) => ({ ...o, [db]: 'loading' }));
    try {
      const t = await api.tables('source', source, db);
      setOpen((o) => ({ ...o, [db]: t }));
    } catch (e) {
      setOpen((o) => ({ ...o, [db]: { error: e } }));
    }
  };
  const toggle = (key: string): void => {
    const next = new Set(picked);
    if (next.has(key)) next.delete(key);
    else next.add(key);
    onChange(next);
  };

  if (dbs.error) return <ErrorBanner error={dbs.error} />;
  if (!dbs.data) return <div className="muted">Loading databases…</div>;
  if (dbs.data.length === 0) return <div className="empty">This source has no user databases.</div>;
  return (
    <div className="tree" data-testid="table-browser">
      {dbs.data.map((d) => {
        const st = open[d.name];
        const all = `${d.name}.*`;
        return (
          <div key={d.name}>
            <div className="db">
              <button className="small" onClick={() => void expand(d.name)} aria-label={`Browse ${d.name}`}>{st && st !== 'loading' ? '▾' : '▸'}</button>
              <label className="check"><input type="checkbox" checked={picked.has(all)} onChange={() => toggle(all)} aria-label={`All tables of ${d.name}`} />{d.name}</label>
              <span className="muted" style={{ marginLeft: 'auto' }}>{d.tables} tables</span>
            </div>
            {st === 'loading' && <div className="tbl muted">Loading…</div>}
            {st && typeof st === 'object' && !Array.isArray(st) && <div className="tbl"><ErrorBanner error={st.error} /></div>}
            {Array.isArray(st) && st.map((t) => {
              const key = `${d.name}.${t.name}`;
              return (
                <div className="tbl" key={key} data-testid={`table-${key}`}>
                  <label className="check">
                    <input type="checkbox" checked={picked.has(key) || picked.has(all)} disabled={picked.has(all)} onChange={() => toggle(key)} aria-label={key} />
                    {t.name}
                  </label>
                  {!t.hasPrimaryKey && <span className="badge warn" title="Tables without a primary key are synced, but slower and with less safety">no PK</span>}
                  <span className="rows">{t.rowsExact ? '' : '~'}{num(t.rows)} rows</span>
                </div>
              );
            })}
          </div>
        );
      })}
    </div>
  );
}

function TargetDatabaseField({ target, value, onChange }: { target: string; value: string; onChange: (v: string) => void }): ReactElement {
  const dbs = usePolling((): Promise<DatabaseInfo[]> => (target ? api.databases('target', target) : Promise.resolve([])), 0, [target]);
  return (
    <label className="field">Target database (optional)
      <input name="targetDatabase" list="target-dbs" value={value} onChange={(e) => onChange(e.target.value)} placeholder="same database name as the source" />
      <datalist id="target-dbs">{(dbs.data ?? []).map((d) => <option key={d.name} value={d.name} />)}</datalist>
      <span className="hint">Created when missing. {dbs.error ? 'Could not list the target’s databases.' : ''}</span>
    </label>
  );
}

/** The review step: test both connections and warn when a chosen table is already copied into the same target database. */
function ReviewChecks({ source, target, targetDatabase, tables }: { source: string; target: string; targetDatabase: string; tables: string[] }): ReactElement {
  const [results, setResults] = useState<Record<'source' | 'target', TestResult | { error: unknown } | null>>({ source: null, target: null });
  const pipelines = usePolling((signal) => api.pipelines(signal), 0, []);
  useEffect(() => {
    let alive = true;
    for (const [kind, name] of [['source', source], ['target', target]] as const) {
      if (!name) continue;
      api.testEndpoint(kind, name).then((r) => { if (alive) setResults((x) => ({ ...x, [kind]: r })); },
        (e: unknown) => { if (alive) setResults((x) => ({ ...x, [kind]: { error: e } })); });
    }
    return () => { alive = false; };
  }, [source, target]);
  const clash = conflicts(pipelines.data ?? [], target, targetDatabase, tables);
  return (
    <div className="stack" style={{ display: 'flex', flexDirection: 'column', gap: 12, marginBottom: 16 }} data-testid="review-checks">
      {clash.length > 0 && (
        <div className="alert error" role="alert" data-testid="review-conflict">
          <strong>Already copied into this target database: </strong>
          {clash.map((c, i) => <span key={`${c.pipeline}-${c.table}`}>{i > 0 ? '; ' : ''}<span className="mono">{c.table}</span> by pipeline <a href={href('pipelines', c.pipeline)}>{c.pipeline}</a></span>)}.
          {' '}Two pipelines writing one table overwrite each other&apos;s rows: choose another target database, or exclude these tables.
        </div>
      )}
      {(['source', 'target'] as const).map((kind) => {
        const r = results[kind];
        return (
          <div key={kind} data-testid={`review-test-${kind}`}>
            <h3>Connection to the {kind} {kind === 'source' ? source : target}</h3>
            {r === null ? <div className="muted">Testing the connection…</div> : 'error' in r ? <ErrorBanner error={r.error} /> : <Checks result={r} />}
          </div>
        );
      })}
    </div>
  );
}
