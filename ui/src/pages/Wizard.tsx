// Pipeline wizard: source → tables → target → policies → create (and start).
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { api, type DatabaseInfo, type TableInfo } from '../api';
import { ErrorBanner, num, usePolling } from '../components/common';
import { href, navigate } from '../router';

const STEPS = ['Source', 'Tables', 'Target', 'Policies', 'Review'] as const;

function splitPatterns(s: string): string[] {
  return s.split(/[\s,]+/).map((x) => x.trim()).filter((x) => x.length > 0);
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

  const tables = useMemo(() => [...picked, ...splitPatterns(extra)].filter((v, i, a) => a.indexOf(v) === i), [picked, extra]);
  const stepOk = [
    name.trim().length > 0 && source.length > 0,
    tables.length > 0,
    target.length > 0,
    true,
    true,
  ];

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
      <div className="steps">{STEPS.map((s, i) => <span key={s} className={i === step ? 'on' : ''}>{i + 1}. {s}</span>)}</div>
      <ErrorBanner error={error ?? sources.error ?? targets.error} />
      <div className="panel">
        {step === 0 && (
          <div className="stack" style={{ display: 'flex', flexDirection: 'column', gap: 12, maxWidth: 560 }}>
            <label className="field">Pipeline name
              <input name="pipeline-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="product-to-order" autoFocus />
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
        <button onClick={() => setStep((s) => Math.max(0, s - 1))} disabled={step === 0}>Back</button>
        {step < STEPS.length - 1 ? (
          <button className="primary" onClick={() => setStep((s) => s + 1)} disabled={!stepOk[step]}>Next</button>
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
