// A small dependency-free SVG line chart for time series (throughput, lag).
import { useEffect, useMemo, useRef, useState, type ReactElement } from 'react';

export interface Series {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>; // [epoch ms, value]
  /** Stroke dash pattern, so that equal series stay distinguishable (set by toSeries). */
  dash?: string;
}

export interface ChartProps {
  title: string;
  unit: string;
  series: readonly Series[];
  height?: number;
  testId?: string;
  /** How a value is written on the axis and in the caption (default: compact number + unit). */
  format?: (v: number) => string;
}

/**
 * The y scale: linear from 0, or — when the values span more than ~1.5 decades (a bulk copy at 1,400 rows/s and
 * streaming at 5 rows/s in one window) — logarithmic (log10(1 + v)), so that small values are not a flat line at 0.
 */
type Scale = { kind: 'linear' | 'log'; top: number };

function chooseScale(values: number[]): Scale {
  const positive = values.filter((v) => v > 0).sort((a, b) => a - b);
  const top = positive[positive.length - 1] ?? 0;
  const median = positive[Math.floor(positive.length / 2)] ?? 0;
  if (top > 20 && median > 0 && top / median > 30) return { kind: 'log', top: niceMax(top) };
  return { kind: 'linear', top: niceMax(top) };
}

function scaleFraction(sc: Scale, v: number): number {
  if (sc.kind === 'linear') return Math.max(0, v) / sc.top;
  return Math.log10(1 + Math.max(0, v)) / Math.log10(1 + sc.top);
}

function scaleTicks(sc: Scale): number[] {
  if (sc.kind === 'linear') return [0, 0.5, 1].map((f) => f * sc.top);
  const out = [0];
  // 1 sits too close to 0 on a log axis reaching the thousands: start the labels at 10 there.
  for (let t = sc.top >= 1000 ? 10 : 1; t <= sc.top; t *= 10) out.push(t);
  const last = out[out.length - 1]!;
  if (sc.top >= last * 3) out.push(sc.top);
  return out.length > 6 ? out.filter((_, i) => i === 0 || i % 2 === 1 || i === out.length - 1) : out;
}

const PAD_L = 48;
const PAD_R = 12;
const PAD_T = 10;
const PAD_B = 24;

function niceMax(v: number): number {
  if (!Number.isFinite(v) || v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return v.toFixed(a >= 10 ? 1 : 2);
}

function clock(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`;
}

export function Chart({ title, unit, series, height = 160, testId, format }: ChartProps): ReactElement {
  const fmt = format ?? ((v: number) => `${formatNumber(v)}${unit}`);
  const [hover, setHover] = useState<number | null>(null);
  const ref = useRef<HTMLElement | null>(null);
  const [W, setW] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = Math.round(entries[0]?.contentRect.width ?? 0);
      if (w > 50) setW(w);
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const { t0, t1, scale } = useMemo(() => {
    let lo = Infinity;
    let hi = -Infinity;
    const values: number[] = [];
    for (const s of series) {
      for (const [t, v] of s.points) {
        if (t < lo) lo = t;
        if (t > hi) hi = t;
        values.push(v);
      }
    }
    if (!Number.isFinite(lo)) {
      const now = Date.now();
      return { t0: now - 60_000, t1: now, scale: { kind: 'linear', top: 1 } as Scale };
    }
    if (hi - lo < 1000) lo = hi - 60_000;
    return { t0: lo, t1: hi, scale: chooseScale(values) };
  }, [series]);

  const H = height;
  const x = (t: number): number => PAD_L + ((t - t0) / (t1 - t0)) * (W - PAD_L - PAD_R);
  const y = (v: number): number => PAD_T + (1 - scaleFraction(scale, v)) * (H - PAD_T - PAD_B);
  const empty = series.every((s) => s.points.length === 0);
  const ticks = scaleTicks(scale);
  const hoverT = hover === null ? null : t0 + ((hover - PAD_L) / (W - PAD_L - PAD_R)) * (t1 - t0);

  return (
    <figure className="chart" data-testid={testId} ref={ref}>
      <figcaption>
        <span>{title}{scale.kind === 'log' && <span className="muted scale-note" title="The values span several orders of magnitude: the axis is logarithmic"> · log scale</span>}</span>
        <span className="legend">
          {series.map((s) => {
            const last = s.points[s.points.length - 1];
            return (
              <span key={s.name} data-testid={testId ? `${testId}-now-${s.name}` : undefined}>
                <svg width="18" height="10" aria-hidden="true"><line x1="0" x2="18" y1="5" y2="5" stroke={s.color} strokeWidth={2.5} strokeDasharray={s.dash} /></svg>
                {s.name}{last ? <strong className="now">{fmt(last[1])}</strong> : null}
              </span>
            );
          })}
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        style={{ height: H }}
        role="img"
        aria-label={title}
        onMouseMove={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          const px = ((e.clientX - r.left) / r.width) * W;
          setHover(px >= PAD_L && px <= W - PAD_R ? px : null);
        }}
        onMouseLeave={() => setHover(null)}
      >
        {ticks.map((v) => (
          <g key={v}>
            <line x1={PAD_L} x2={W - PAD_R} y1={y(v)} y2={y(v)} className="grid" />
            <text x={PAD_L - 6} y={y(v) + 4} textAnchor="end" className="tick">{fmt(v)}</text>
          </g>
        ))}
        <text x={PAD_L} y={H - 6} className="tick">{clock(t0)}</text>
        <text x={W - PAD_R} y={H - 6} textAnchor="end" className="tick">{clock(t1)}</text>
        {series.map((s) =>
          s.points.length > 0 ? (
            <polyline
              key={s.name}
              fill="none"
              stroke={s.color}
              strokeWidth={2}
              strokeDasharray={s.dash}
              strokeLinejoin="round"
              vectorEffect="non-scaling-stroke"
              points={s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
            />
          ) : null,
        )}
        {series.map((s) => {
          // A lone sample (or the newest one) as a dot, so that a series with one point is visible.
          const last = s.points[s.points.length - 1];
          return last ? <circle key={`${s.name}-last`} cx={x(last[0])} cy={y(last[1])} r={3} fill={s.color} /> : null;
        })}
        {empty && <text x={W / 2} y={H / 2} textAnchor="middle" className="tick">no data yet</text>}
        {hover !== null && hoverT !== null && !empty && (
          <g>
            <line x1={hover} x2={hover} y1={PAD_T} y2={H - PAD_B} className="cursor" />
            {series.map((s, i) => {
              const p = nearest(s.points, hoverT);
              return p ? (
                <text key={s.name} x={Math.min(hover + 4, W - 120)} y={PAD_T + 12 + i * 13} className="tick" fill={s.color}>
                  {clock(p[0])} {fmt(p[1])}
                </text>
              ) : null;
            })}
          </g>
        )}
      </svg>
    </figure>
  );
}

function nearest(points: ReadonlyArray<readonly [number, number]>, t: number): readonly [number, number] | null {
  let best: readonly [number, number] | null = null;
  for (const p of points) if (!best || Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p;
  return best;
}
