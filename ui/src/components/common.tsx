// Small shared view pieces: state badges, progress bars, error banners, durations, polling.
import { useCallback, useEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { errorText } from '../http';
import { formatNumber } from './Chart';

export function Badge({ value, testId }: { value: string; testId?: string }): ReactElement {
  return <span className={`badge ${value.toLowerCase()}`} data-testid={testId}>{value}</span>;
}

export function Progress({ done, total, percent, testId }: { done: number; total: number | null; percent?: number | null; testId?: string }): ReactElement {
  const pct = percent !== null && percent !== undefined ? Math.max(0, Math.min(100, percent))
    : total && total > 0 ? Math.min(100, (done / total) * 100) : done > 0 ? 100 : 0;
  const label = `${Math.floor(pct)} %`;
  return (
    <div className={`progress${pct >= 100 ? ' done' : ''}`} role="progressbar" aria-valuenow={Math.floor(pct)}
      aria-valuemin={0} aria-valuemax={100} data-testid={testId}>
      <div style={{ width: `${pct}%` }} />
      <span>{label}</span>
    </div>
  );
}

export function ErrorBanner({ error }: { error: unknown }): ReactElement | null {
  if (error === null || error === undefined) return null;
  return <div className="alert error" role="alert">{errorText(error)}</div>;
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1) return `${seconds.toFixed(2)} s`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds % 60)} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

export function num(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : formatNumber(v);
}

export function when(ts: string | number | null | undefined): string {
  if (ts === null || ts === undefined) return '–';
  const d = new Date(ts);
  return Number.isNaN(d.getTime()) ? String(ts) : d.toLocaleString();
}

export interface Polled<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Load `fn` now and again every `intervalMs` (0 = once); keeps the last good data while a reload fails. */
export function usePolling<T>(fn: (signal: AbortSignal) => Promise<T>, intervalMs: number, deps: readonly unknown[]): Polled<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let alive = true;
    const run = async (): Promise<void> => {
      try {
        const v = await fnRef.current(ctl.signal);
        if (!alive) return;
        setData(v);
        setError(null);
      } catch (e) {
        if (!alive || (e instanceof DOMException && e.name === 'AbortError')) return;
        setError(e);
      } finally {
        if (alive) {
          setLoading(false);
          if (intervalMs > 0) timer = setTimeout(() => void run(), intervalMs);
        }
      }
    };
    void run();
    return () => {
      alive = false;
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [...deps, tick, intervalMs]);

  return { data, error, loading, reload };
}

export function Modal({ title, children, onClose }: { title: string; children: ReactNode; onClose: () => void }): ReactElement {
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => { if (e.key === 'Escape') onClose(); };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="modal-back" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <div className="modal" role="dialog" aria-label={title}>
        <div className="topline"><h2>{title}</h2><button className="small" onClick={onClose} aria-label="Close">✕</button></div>
        {children}
      </div>
    </div>
  );
}
