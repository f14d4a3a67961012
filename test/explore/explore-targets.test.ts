/**
 * Explore beyond the embedded server's clean wire: against a real Mosquitto through the mqtt
 * driver (only what MQTT can express is generated: one kind of device state, no paging, no
 * kill -9 of a broker it did not start, no frame faults without a frame codec), and against the
 * reference server behind the frame-fault proxy, losing and duplicating msg and ack frames.
 * No false alarms: on a healthy target both end without a finding (retransmission, dedup and
 * re-push recover). Each is shown able to fail: the same runs find a broker that drops queued
 * messages (max_queued_messages) and a server that never re-pushes a lost msg:N (no-repush).
 *
 * Bounded: 8-10 s budgets, short cases and a 2-run shrink.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseExploreConfig } from '../../src/explore/config.js';
import { explore } from '../../src/explore/explore.js';
import { type MosquittoServer, startMosquitto } from '../helpers/mosquitto.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-explore-targets-'));
const brokers: MosquittoServer[] = [];
afterAll(async () => {
  for (const b of brokers) await b.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const SMALL = `operations: { min: 2, max: 5 }
offline: { min: 200ms, max: 800ms }
ackDelay: { min: 100ms, max: 800ms }
caseTimeout: 12s
shrink: { maxRuns: 2, maxTime: 5s }
`;

async function run(input: {
  config: string;
  seed: number;
  budgetMs: number;
  driver?: string;
  target?: string;
  serverFaults?: string[];
}) {
  const lines: string[] = [];
  const result = await explore({
    ...input,
    config: parseExploreConfig(input.config, 'explore.yaml'),
    outDir: join(dir, `out-${input.seed}-${lines.length}-${Math.random().toString(36).slice(2)}`),
    progress: (line) => lines.push(line),
  });
  return { result, log: lines.join('\n') };
}

describe('imspec explore against other targets', () => {
  it('explores a real Mosquitto within what MQTT can express, with no false finding', async () => {
    // A queue far above any backlog a case sends: Mosquitto's default (1000) drops silently.
    const broker = await startMosquitto({ maxQueuedMessages: 100_000 });
    brokers.push(broker);
    const { result, log } = await run({
      config: SMALL,
      seed: 1,
      budgetMs: 10_000,
      driver: 'mqtt',
      target: broker.url,
    });
    expect(log).toMatch(/target claims multi-device; .* kill -9 off; frame faults off/);
    expect(result.finding, log).toBeUndefined();
    expect(result.verdicts['PASS'] ?? 0, log).toBeGreaterThan(0);
    expect(result.verdicts['FAIL'] ?? 0).toBe(0);
  }, 120_000);

  it('finds a Mosquitto that drops what it queued for an offline client (max_queued_messages)', async () => {
    const broker = await startMosquitto({ maxQueuedMessages: 5 });
    brokers.push(broker);
    const { result, log } = await run({
      // Every case takes a user offline while a backlog is sent to it.
      config: `${SMALL}weights: { offline: 20 }\n`,
      seed: 1,
      budgetMs: 10_000,
      driver: 'mqtt',
      target: broker.url,
    });
    expect(result.finding?.verdict, log).toBe('FAIL');
    expect(result.finding?.requirements).toContain('PUSH-1');
  }, 120_000);

  const lossy = `${SMALL}frameFaults: { chance: 1, maxProbability: 0.3 }\n`;

  it('explores the reference server behind the frame-fault proxy (lost and duplicated frames) with no false finding', async () => {
    const { result, log } = await run({ config: lossy, seed: 3, budgetMs: 10_000 });
    expect(log).toMatch(/frame faults on/);
    // The proxy acted: frames were lost or duplicated, and every case still passed.
    expect(log).toMatch(/case \d+: PASS .*, \d+ frames lost or duplicated/);
    expect(result.finding, log).toBeUndefined();
    expect(result.verdicts['FAIL'] ?? 0).toBe(0);
  }, 120_000);

  it('finds a server that never re-pushes a msg:N the proxy lost (no-repush)', async () => {
    const { result, log } = await run({
      config: lossy,
      seed: 3,
      budgetMs: 10_000,
      serverFaults: ['no-repush'],
    });
    expect(result.finding?.verdict, log).toBe('FAIL');
  }, 120_000);
});
