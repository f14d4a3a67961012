/**
 * LatencyHistograms counts recorded values by HdrHistogram slot and adds them into its
 * histograms before any read (latency.ts, Pending): every figure must read exactly as recording
 * each value into the histogram does.
 */

import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import {
  HIGHEST_US,
  LATENCY_FIGURE_LIST,
  LatencyHistograms,
  newHistogram,
  slotOf,
} from '../../src/load/latency.js';

function reference(): hdr.JsHistogram {
  return newHistogram() as hdr.JsHistogram;
}

/** A deterministic spread of values: small, around powers of two, and up to the top. */
function values(): number[] {
  const out: number[] = [];
  for (let v = 1; v <= 70_000; v++) out.push(v);
  for (let k = 1; k <= 32; k++) for (const d of [-2, -1, 0, 1, 2]) out.push(2 ** k + d);
  let x = 12345;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(1 + Math.floor((x / 2 ** 31) ** 3 * HIGHEST_US));
  }
  return out.filter((v) => v >= 1 && v <= HIGHEST_US);
}

describe('latency histograms', () => {
  it('slot a value as HdrHistogram does', () => {
    const h = reference() as unknown as { countsArrayIndex(v: number): number };
    for (const v of values()) expect(slotOf(v), `value ${v}`).toBe(h.countsArrayIndex(v));
  });

  it('keep the exact extremes when other values share their slot', () => {
    // 5001 and 5003 µs share a slot whose lowest value is 5000; so do 9997 and 9999.
    const set = new LatencyHistograms();
    const ref = reference();
    for (const ms of [5.003, 5.001, 7, 9.997, 9.999, 5.002]) {
      set.record('msg_a', ms);
      ref.recordValue(Math.round(ms * 1000));
    }
    expect(set.min('ack_latency.msg_a')).toBe(5.001);
    expect(set.max('ack_latency.msg_a')).toBe(9.999);
    expect(set.min('ack_latency.msg_a')).toBe(ref.minNonZeroValue / 1000);
    expect(set.encode()['ack_latency.msg_a']).toBe(hdr.encodeIntoCompressedBase64(ref));
  });

  it('read as recording each value into the histogram does', () => {
    const set = new LatencyHistograms();
    const ref = new Map(LATENCY_FIGURE_LIST.map((f) => [f, reference()]));
    const put = (f: (typeof LATENCY_FIGURE_LIST)[number], ms: number) =>
      ref.get(f)!.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
    let x = 7;
    const next = () => {
      x = (x * 48271) % 2147483647;
      return x / 2147483647;
    };
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20_000; i++) {
        const ms = next() ** 4 * 5_000;
        const late = next() < 0.5 ? undefined : next() * 100 - 20;
        set.record('delivery', ms, late);
        put('delivery_latency', ms);
        if (late !== undefined) put('delivery_latency.scheduled', ms + Math.max(0, late));
        set.record('msg_a', ms / 10);
        put('ack_latency.msg_a', ms / 10);
        // Nothing in the exact first bucket: every extreme shares its slot with other values.
        set.record('ack_n', 10 + ms);
        put('ack_latency.ack_n', 10 + ms);
      }
      // A read between rounds: what was added before is not added again.
      for (const f of LATENCY_FIGURE_LIST) {
        const r = ref.get(f)!;
        expect(set.count(f), f).toBe(r.totalCount);
        if (r.totalCount === 0) continue;
        expect(set.max(f), f).toBe(r.maxValue / 1000);
        expect(set.min(f), f).toBe(r.minNonZeroValue / 1000);
        expect(set.mean(f), f).toBe(r.mean / 1000);
        for (const p of [50, 90, 99, 99.9])
          expect(set.percentile(f, p), `${f} p${p}`).toBe(r.getValueAtPercentile(p) / 1000);
      }
    }
    const encoded = set.encode();
    for (const f of LATENCY_FIGURE_LIST)
      expect(encoded[f], f).toBe(hdr.encodeIntoCompressedBase64(ref.get(f)!));
    expect(set.bins('delivery_latency', [1, 10, 100, 1000])).toEqual(
      LatencyHistograms.decode(encoded).bins('delivery_latency', [1, 10, 100, 1000]),
    );
  });
});
