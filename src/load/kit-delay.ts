/**
 * How late the kit's own event loop ran during a load run. A worker whose loop is busy fires its
 * retransmit timers late, reads answers late and stamps them late: every latency it reports then
 * includes its own delay, and messages still unsettled when the drain runs out may be the kit's
 * doing rather than the server's. The figure goes into the result so a reader can tell (and the
 * summary warns) — measured with Node's own event-loop delay histogram, nothing hand-made.
 */

import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface KitDelay {
  /** 99th percentile of the event loop's delay (ms) over the run, worst worker. */
  p99Ms: number;
  /** Longest single delay (ms), worst worker. */
  maxMs: number;
}

/** Above this p99 the summary says the kit was saturated and its figures include its own delay. */
export const KIT_SATURATED_P99_MS = 100;

/** Starts measuring; `stop()` returns the figures since the start. */
export function measureKitDelay(): { stop(): KitDelay } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    stop(): KitDelay {
      h.disable();
      // Reported in nanoseconds; an empty histogram reads as 0.
      const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e4) / 100 : 0);
      return { p99Ms: ms(h.percentile(99)), maxMs: ms(h.max) };
    },
  };
}

/** The worst of several workers' (or shards') figures; undefined when none measured. */
export function worstKitDelay(all: readonly (KitDelay | undefined)[]): KitDelay | undefined {
  let worst: KitDelay | undefined;
  for (const d of all) {
    if (!d) continue;
    worst = worst
      ? { p99Ms: Math.max(worst.p99Ms, d.p99Ms), maxMs: Math.max(worst.maxMs, d.maxMs) }
      : { ...d };
  }
  return worst;
}

export function kitSaturated(d: KitDelay | undefined): boolean {
  return d !== undefined && d.p99Ms > KIT_SATURATED_P99_MS;
}
