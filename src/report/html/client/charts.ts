/** Charts drawn with uPlot (inlined into the page): latency histograms and a load run's time series. */

import type { LatencyModel, LoadModel } from '../model.js';
import { h, ms } from './dom.js';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2'];

function chartWidth(): number {
  return Math.min(560, Math.max(300, Math.floor(window.innerWidth / 2) - 60));
}

/** A histogram of one latency figure, with its percentiles as the caption. */
export function latencyChart(m: LatencyModel): HTMLElement {
  const box = h(
    'figure',
    { class: 'chart latency' },
    h(
      'figcaption',
      {},
      `${m.name}: n=${m.count}, p50 ${ms(m.p50)}, p90 ${ms(m.p90)}, p99 ${ms(m.p99)}, max ${ms(m.max)}`,
    ),
  );
  const xs = m.bins.map((_, k) => k);
  const labels = m.bins.map(([edge]) =>
    edge < 0 ? '> 100 s' : `≤ ${edge < 1000 ? `${edge} ms` : `${edge / 1000} s`}`,
  );
  new uPlot(
    {
      width: chartWidth(),
      height: 160,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false, range: [-0.6, Math.max(0.6, xs.length - 0.4)] } },
      axes: [{ values: (_u, ticks) => ticks.map((t) => labels[t] ?? ''), splits: () => xs }, { size: 60 }],
      series: [
        {},
        {
          label: 'messages',
          fill: '#2563eb88',
          stroke: '#2563eb',
          paths: uPlot.paths.bars?.({ size: [0.7, 60] }),
          points: { show: false },
        },
      ],
    },
    [xs, m.bins.map(([, c]) => c)],
    box,
  );
  return box;
}

interface SeriesSpec {
  key: keyof LoadModel['series'];
  label: string;
}

const GROUPS: Array<{ title: string; unit: string; series: SeriesSpec[] }> = [
  {
    title: 'Send rate (offered vs achieved)',
    unit: 'msgs/s',
    series: [
      { key: 'offered', label: 'offered' },
      { key: 'achieved', label: 'achieved' },
      { key: 'dropped', label: 'dropped' },
    ],
  },
  { title: 'In flight', unit: 'messages', series: [{ key: 'inFlight', label: 'in flight' }] },
  { title: 'Retransmits', unit: 'per s', series: [{ key: 'retransmits', label: 'retransmits' }] },
  {
    title: 'p99 latency',
    unit: 'ms',
    series: [
      { key: 'ackP99Ms', label: 'msg:R → msg:A p99' },
      { key: 'deliveryP99Ms', label: 'send → commit p99' },
    ],
  },
];

/** One chart per group of series the load model has. */
export function loadCharts(load: LoadModel): HTMLElement[] {
  const out: HTMLElement[] = [];
  for (const group of GROUPS) {
    const present = group.series.filter((sp) => (load.series[sp.key]?.length ?? 0) > 0);
    if (present.length === 0) continue;
    const box = h(
      'figure',
      { class: 'chart series', 'data-chart': group.title },
      h('figcaption', {}, `${group.title} (${group.unit})`),
    );
    new uPlot(
      {
        width: chartWidth(),
        height: 200,
        scales: { x: { time: false } },
        axes: [{ label: 'seconds', size: 40 }, { size: 52 }],
        series: [
          { label: 't (s)' },
          ...present.map((sp, k) => ({ label: sp.label, stroke: COLORS[k % COLORS.length]!, width: 1.5 })),
        ],
      },
      [load.t, ...present.map((sp) => load.series[sp.key]!.map((v) => v ?? null))],
      box,
    );
    out.push(box);
  }
  return out;
}
