import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/registry.js';

const base = { scenario: 's', driver: 'ran', suite: 'load' };

describe('histogram cells', () => {
  it('expose exactly what direct observations do, across several reads', async () => {
    const direct = createMetrics(new Registry());
    const buffered = createMetrics(new Registry());
    direct.zeroInit(base);
    buffered.zeroInit(base);
    const cell = buffered.histogram('ackLatency', { ...base, ack: 'msg_a' });
    // On a bound, between bounds, below the first and above the last (only +Inf holds it).
    const values = [0, 0.001, 0.005, 0.0051, 0.25, 1, 7, 1e6, 0.02, 0.02];
    const labels = { ...base, ack: 'msg_a' };
    for (const [i, v] of values.entries()) {
      direct.m.ackLatency.observe(labels, v);
      cell.observe(v);
      // A read in the middle moves what is buffered; the next read must not count it twice.
      if (i === 4) expect(await buffered.registry.metrics()).toContain('imspec_');
    }
    const pick = (text: string) => text.split('\n').filter((l) => l.startsWith('imspec_ack_latency'));
    const a = pick(await direct.registry.metrics());
    expect(a.some((l) => l.includes('le="+Inf"') && l.endsWith(' 10'))).toBe(true);
    expect(pick(await buffered.registry.metrics())).toEqual(a);
    expect(pick(await buffered.registry.metrics())).toEqual(a);
  });
});
