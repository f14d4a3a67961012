/**
 * Latency exemplars in the exposition: each bucket of a latency series names the last message
 * observed in it (cmid, smid) in OpenMetrics, and the Prometheus text format stays without them.
 * The real-Prometheus proof (exemplar storage, query_exemplars) is exemplars-e2e.test.ts.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { History } from '../../src/history/events.js';
import { bucketOf, ExemplarSlots } from '../../src/metrics/exemplars.js';
import { attachHistoryMetrics } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { renderMetrics } from '../../src/metrics/render.js';
import { replayDeliveries } from './fixtures.js';

const base = { scenario: 's', driver: 'ran', suite: 'core' };

/** The exemplar after the sample of one bucket line, or undefined when the line has none. */
function exemplarOf(body: string, metric: string, labels: string, le: string) {
  const line = body
    .split('\n')
    .find((l) => l.startsWith(`${metric}_bucket{`) && l.includes(labels) && l.includes(`le="${le}"`));
  if (line === undefined) throw new Error(`no ${metric} bucket le=${le} with ${labels}`);
  const m = / # \{(.*)\} (\S+) (\S+)$/.exec(line);
  return m ? { labels: m[1], value: Number(m[2]), timestamp: Number(m[3]) } : undefined;
}

function fed(): { registry: Registry; history: History } {
  const registry = new Registry();
  const history = new History();
  attachHistoryMetrics(history, createMetrics(registry), base);
  return { registry, history };
}

describe('latency exemplars', () => {
  it('name the last message of each bucket in OpenMetrics, with its latency and wall-clock time', async () => {
    const { registry, history } = fed();
    const before = Date.now() / 1000;
    // msg:A 0.2 ms after msg:R, ack:N 0.9 ms and the commit 0.5 ms after the send (fixtures.ts).
    replayDeliveries(history, { messages: 3, t0: 0 });
    const { body } = await renderMetrics(registry, 'openmetrics');
    const msgA = exemplarOf(body, 'imspec_ack_latency_seconds', 'ack="msg_a"', '0.00025');
    expect(msgA?.labels).toBe('cmid="m3",smid="s-m3"');
    expect(msgA?.value).toBeCloseTo(0.0002, 6);
    expect(msgA?.timestamp).toBeGreaterThanOrEqual(before);
    expect(exemplarOf(body, 'imspec_ack_latency_seconds', 'ack="ack_n"', '0.001')?.labels).toBe(
      'cmid="m3",smid="s-m3"',
    );
    expect(exemplarOf(body, 'imspec_delivery_latency_seconds', 'scenario="s"', '0.0005')?.labels).toBe(
      'cmid="m3",smid="s-m3"',
    );
    // Buckets no message fell in carry none.
    expect(exemplarOf(body, 'imspec_ack_latency_seconds', 'ack="msg_a"', '0.25')).toBeUndefined();
  });

  it('point a latency outlier at the message that caused it, in its own bucket', async () => {
    const { registry, history } = fed();
    replayDeliveries(history, { messages: 3, t0: 0 });
    const t = 10_000;
    const send = { kind: 'send', t, actor: 'alice/phone', cmid: 'slow-1', to: 'bob', body: '' } as const;
    history.append(send);
    const frame = { kind: 'frame', conn: 1, raw: '', actor: 'alice/phone' } as const;
    history.append({ ...frame, t, dir: 'out', type: 'msg:R', fields: { rid: 'rs', cmid: 'slow-1' } });
    history.append({
      ...frame,
      t: t + 1_700,
      dir: 'in',
      type: 'msg:A',
      fields: { rid: 'rs', cmid: 'slow-1', smid: 's-slow' },
    });
    const { body } = await renderMetrics(registry, 'openmetrics');
    const outlier = exemplarOf(body, 'imspec_ack_latency_seconds', 'ack="msg_a"', '2.5');
    expect(outlier?.labels).toBe('cmid="slow-1",smid="s-slow"');
    expect(outlier?.value).toBeCloseTo(1.7, 6);
    // The fast bucket still names a fast message.
    expect(exemplarOf(body, 'imspec_ack_latency_seconds', 'ack="msg_a"', '0.00025')?.labels).toBe(
      'cmid="m3",smid="s-m3"',
    );
  });

  it('are left out of the Prometheus text format, which has no exemplars', async () => {
    const { registry, history } = fed();
    replayDeliveries(history, { messages: 3, t0: 0 });
    const { body } = await renderMetrics(registry, 'text');
    expect(body).not.toContain(' # {');
    expect(body).toMatch(/^imspec_ack_latency_seconds_bucket\{le="0.00025",.*ack="msg_a"\} 3$/m);
  });

  it('keep within the OpenMetrics 128-character label limit: a long smid is dropped, a long cmid leaves none', async () => {
    const registry = new Registry();
    const metrics = createMetrics(registry);
    const cell = metrics.latency('deliveryLatency', base);
    cell.observe(0.003, 'c'.repeat(100), 's'.repeat(40)); // 108 + 44 > 128: cmid alone
    cell.observe(0.3, 'c'.repeat(125), 's'); // 129 > 128: none
    cell.observe(3, 'c-3', undefined); // no smid known: cmid alone
    cell.observe(0.03, { not: 'an id' }, 's'); // not an id: none
    const { body } = await renderMetrics(registry, 'openmetrics');
    const at = (le: string) =>
      exemplarOf(body, 'imspec_delivery_latency_seconds', 'scenario="s"', le)?.labels;
    expect(at('0.005')).toBe(`cmid="${'c'.repeat(100)}"`);
    expect(at('0.5')).toBeUndefined();
    expect(at('5')).toBe('cmid="c-3"');
    expect(at('0.05')).toBeUndefined();
    // The histogram itself counted all four.
    expect(body).toMatch(/^imspec_delivery_latency_seconds_count\{.*scenario="s".*\} 4$/m);
  });

  it('carry the +Inf bucket for a message slower than the largest bound', async () => {
    const registry = new Registry();
    createMetrics(registry)
      .latency('ackLatency', { ...base, ack: 'msg_a' })
      .observe(45, 'late', 's-late');
    const { body } = await renderMetrics(registry, 'openmetrics');
    expect(exemplarOf(body, 'imspec_ack_latency_seconds', 'ack="msg_a"', '+Inf')?.labels).toBe(
      'cmid="late",smid="s-late"',
    );
  });

  it('a latency cell counts and notes as the histogram cell and the slot do apart (one bucket search for both)', async () => {
    // On bounds, between them, below the first, above the last, and what is not a duration.
    const values = [
      0,
      0.0001,
      0.00011,
      0.005,
      0.25,
      0.2500001,
      30,
      45,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ];
    const together = new Registry();
    const cell = createMetrics(together).latency('deliveryLatency', base);
    const apart = new Registry();
    const metrics = createMetrics(apart);
    const series = metrics.histogram('deliveryLatency', base);
    const slot = new ExemplarSlots(['scenario', 'driver', 'suite']).slot(base, metrics.m.deliveryLatency);
    for (const [i, v] of values.entries()) {
      cell.observe(v, `c-${i}`, `s-${i}`);
      series.observe(v);
      slot.note(v, `c-${i}`, `s-${i}`);
    }
    const lines = (body: string) =>
      body.split('\n').filter((l) => l.startsWith('imspec_delivery_latency_seconds_bucket'));
    const a = lines((await renderMetrics(together, 'openmetrics')).body);
    expect(a.some((l) => l.includes(' # {cmid="c-10",smid="s-10"}'))).toBe(true);
    expect(lines((await renderMetrics(apart, 'text')).body)).toEqual(
      lines((await renderMetrics(together, 'text')).body),
    );
    // The slot apart noted the same message in each bucket as the cell's own slot.
    for (const [i, v] of values.entries()) {
      const b = bucketOf(slot.bounds, v);
      expect(
        a.some((l) => l.includes(`# {cmid="c-${i}"`)),
        `value ${v}`,
      ).toBe(values.findLastIndex((w) => bucketOf(slot.bounds, w) === b) === i);
    }
  });
});
