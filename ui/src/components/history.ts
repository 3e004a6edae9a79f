// Turn the metrics-history response into chart series.
import type { MetricSample, MetricsHistory } from '../api';
import type { Series } from './Chart';

const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4d7c0f', '#be185d'];

export function colorFor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '#2563eb';
}

export function toSeries(h: MetricsHistory | null, pick: (s: MetricSample) => number | null, only?: string): Series[] {
  if (!h) return [];
  const names = Object.keys(h.series).filter((n) => only === undefined || n === only).sort();
  return names.map((name, i) => {
    const points: Array<readonly [number, number]> = [];
    for (const s of h.series[name] ?? []) {
      const v = pick(s);
      const t = Date.parse(s.time);
      if (v !== null && Number.isFinite(v) && Number.isFinite(t)) points.push([t, v]);
    }
    return { name, color: colorFor(i), points };
  });
}
