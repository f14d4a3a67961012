/**
 * A synthetic load run for the HTML report's screenshot and browser test, until `imspec load`
 * writes real ones: two minutes at 2,000 msgs/s with 5% frame loss and a server kill -9 at 60 s.
 * Deterministic (no randomness), and labelled synthetic in its title.
 */

import { buildLoadReport, type ReportModel } from '../src/report/index.js';

export function syntheticLoadReport(): ReportModel {
  const t = Array.from({ length: 120 }, (_, k) => k + 1);
  const wobble = (k: number) => Math.sin(k * 1.7) * 0.5 + Math.sin(k * 0.31) * 0.5;
  const down = (k: number) => k >= 60 && k < 64;
  const offered = t.map(() => 2000);
  const achieved = t.map((_, k) => (down(k) ? 0 : Math.round(1985 + 10 * wobble(k))));
  const dropped = t.map((_, k) => (down(k) ? 2000 : 0));
  const inFlight = t.map((_, k) =>
    down(k) ? 2000 * (k - 59) : k >= 64 && k < 68 ? 900 - 200 * (k - 64) : Math.round(40 + 8 * wobble(k)),
  );
  const retransmits = t.map((_, k) =>
    k >= 64 && k < 68 ? 3000 - 600 * (k - 64) : Math.round(100 + 12 * wobble(k)),
  );
  const ackP99Ms = t.map((_, k) =>
    down(k) ? 0 : k >= 64 && k < 68 ? 900 - 150 * (k - 64) : Math.round((12 + 3 * wobble(k)) * 10) / 10,
  );
  const deliveryP99Ms = ackP99Ms.map((v) => Math.round(v * 1.6 * 10) / 10);
  return buildLoadReport({
    title: 'imspec load profiles/steady-5pct-loss.yaml (synthetic example data)',
    meta: {
      version: 'example',
      target: 'embedded reference server',
      driver: 'ran',
      seed: 42,
      command: 'imspec load profiles/steady-5pct-loss.yaml --duration 2m --seed 42',
      durationMs: 120_000,
      exitCode: 1,
      extra: { profile: 'steady 2,000 msgs/s, 200 pairs, 5% frame loss, kill -9 at 60 s' },
    },
    load: {
      t,
      series: { offered, achieved, dropped, inFlight, retransmits, ackP99Ms, deliveryP99Ms },
      thresholds: [
        { metric: 'lost', condition: '== 0', actual: '0', ok: true },
        { metric: 'duplicates.app', condition: '== 0', actual: '0', ok: true },
        { metric: 'ack_latency.msg_a', condition: 'p(99) < 200ms', actual: '14.1 ms', ok: true },
        { metric: 'dropped', condition: '== 0', actual: '8000', ok: false },
      ],
      totals: {
        offered: 240_000,
        sent: 232_000,
        dropped: 8000,
        delivered: 232_000,
        lost: 0,
        retransmits: 22_840,
      },
      latency: [
        {
          name: 'msg:R → msg:A',
          count: 232_000,
          p50: 4.1,
          p90: 9.8,
          p99: 14.1,
          max: 910,
          bins: [
            [2, 21_000],
            [5, 118_000],
            [10, 72_000],
            [20, 18_700],
            [50, 1500],
            [500, 600],
            [1000, 200],
          ],
        },
      ],
    },
  });
}
