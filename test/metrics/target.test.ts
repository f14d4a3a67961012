/**
 * The `target` label: one bounded value per run, load or monitor, on every series it exposes or
 * pushes — host:port of the target URL, a --target-name, or `embedded`.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { History } from '../../src/history/events.js';
import { AggregatedRegistry } from '../../src/load/aggregate-registry.js';
import { attachHistoryMetrics } from '../../src/metrics/from-history.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { renderMetrics } from '../../src/metrics/render.js';
import { labelTarget, targetLabel } from '../../src/metrics/target.js';
import { resolveMonitorConfig } from '../../src/monitor/config.js';
import { replayDeliveries } from './fixtures.js';

const base = { scenario: 's', driver: 'ran', suite: 'core' };

/** Every sample line of an exposition (no comments, no blank lines). */
const samples = (body: string) => body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('the target label', () => {
  it('is host:port of the target URL, the name given, or "embedded"', () => {
    expect(targetLabel('ws://10.0.0.5:7400/ran?x=1')).toBe('10.0.0.5:7400');
    expect(targetLabel('wss://user:pw@chat.example.com/ran')).toBe('chat.example.com');
    expect(targetLabel('mqtt://[::1]:1883')).toBe('[::1]:1883');
    expect(targetLabel(undefined)).toBe('embedded');
    expect(targetLabel('ws://10.0.0.5:7400', 'chat-eu-1')).toBe('chat-eu-1');
    expect(() => targetLabel(undefined, 'two words')).toThrow(UsageError);
    expect(() => targetLabel(undefined, '')).toThrow(/--target-name "": use 1 to 100/);
  });

  it('is on every series of a labelled registry, in both formats, exemplars untouched', async () => {
    const registry = new Registry();
    labelTarget(registry, 'chat-eu-1');
    const history = new History();
    attachHistoryMetrics(history, createMetrics(registry), base);
    replayDeliveries(history, { messages: 2, t0: 0 });
    for (const format of ['text', 'openmetrics'] as const) {
      const lines = samples((await renderMetrics(registry, format)).body);
      expect(lines.length).toBeGreaterThan(100);
      expect(lines.filter((l) => !l.includes('target="chat-eu-1"'))).toEqual([]);
    }
    const om = (await renderMetrics(registry, 'openmetrics')).body;
    expect(om).toMatch(/target="chat-eu-1".* # \{cmid="m2",smid="s-m2"\}/);
  });

  it('goes on the sum of a load run once, not on this process’s series alone', async () => {
    const agg = new AggregatedRegistry();
    labelTarget(agg, '10.0.0.5:7400');
    createMetrics(agg).m.messagesSent.inc(base, 1);
    const worker = new Registry();
    createMetrics(worker).m.messagesSent.inc(base, 4);
    agg.update(0, await worker.getMetricsAsJSON());
    const sent = samples(await agg.metrics()).filter((l) => l.startsWith('imspec_messages_sent_total'));
    expect(sent).toEqual([
      'imspec_messages_sent_total{scenario="s",driver="ran",suite="core",target="10.0.0.5:7400"} 5',
    ]);
  });

  it('comes from the monitor config: targetName, else host:port of target', () => {
    const env = { A: 'a', B: 'b' };
    const raw = {
      target: 'wss://chat.example.com:8443/ran',
      accounts: [
        { user: 'a', tokenEnv: 'A' },
        { user: 'b', tokenEnv: 'B' },
      ],
    };
    expect(resolveMonitorConfig(raw, env).targetName).toBe('chat.example.com:8443');
    expect(resolveMonitorConfig({ ...raw, targetName: 'chat-eu-1' }, env).targetName).toBe('chat-eu-1');
    expect(() => resolveMonitorConfig({ ...raw, targetName: 'a b' }, env)).toThrow(
      /targetName: use 1 to 100/,
    );
  });
});
