// Turn the metrics-history response into chart series.
import type { MetricSample, MetricsHistory } from '../api';
import type { Series } from './Chart';

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4d7c0f', '#be185d'];
/** Dash patterns by series: two series with equal values still show both (solid under dashed). */
const DASHES = [undefined, '7 5', '2 4', '10 4 2 4'];

export function colorFor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#2563eb';
}

/** A value read live (status poll) at a time: appended after the history's samples, so chart and card agree. */
export interface LivePoint { time: number; value: number | null }

/**
 * Chart series from the metrics history, optionally restricted to one pipeline, merged with the live values the
 * page read while open (`live` by pipeline name): the chart's newest point is the figure the cards show.
 */
export function toSeries(h: MetricsHistory | null, pick: (s: MetricSample) => number | null, only?: string, live?: ReadonlyMap<string, readonly LivePoint[]>): Series[] {
  if (!h) return [];
  const names = [...new Set([...Object.keys(h.series), ...(live ? [...live.keys()] : [])])].filter((n) => only === undefined || n === only).sort();
  return names.map((name, i) => {
    const points: Array<readonly [number, number]> = [];
    for (const s of h.series[name] ?? []) {
      const v = pick(s);
      const t = Date.parse(s.time);
      if (v !== null && Number.isFinite(v) && Number.isFinite(t)) points.push([t, v]);
    }
    // Live readings between and after the samples: the same figure, read more often while the page is open.
    const firstT = points[0]?.[0] ?? -Infinity;
    for (const p of live?.get(name) ?? []) if (p.time > firstT && p.value !== null && Number.isFinite(p.value)) points.push([p.time, p.value]);
    points.sort((a, b) => a[0] - b[0]);
    return { name, color: colorFor(i), points, ...(DASHES[i % DASHES.length] ? { dash: DASHES[i % DASHES.length]! } : {}) };
  });
}

/** Keep the last `keepMs` of live readings per key (the page's status polls). */
export function addLive(buf: Map<string, LivePoint[]>, key: string, value: number | null, keepMs = 10 * 60_000): void {
  const now = Date.now();
  const list = (buf.get(key) ?? []).filter((p) => p.time > now - keepMs);
  list.push({ time: now, value });
  buf.set(key, list);
}
