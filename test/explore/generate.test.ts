/**
 * The generator and renderer without a server: the same seed gives the same schedule, what the
 * target cannot do is never drawn, every rendered case passes the normal loader, and the shrink
 * variants only ever make an operation simpler.
 */

import { describe, expect, it } from 'vitest';
import { MQTT_CAPS } from '../../src/drivers/mqtt/index.js';
import { EXPLORE_DEFAULTS } from '../../src/explore/config.js';
import { generateCase } from '../../src/explore/generate.js';
import type { Operation, TargetAbilities } from '../../src/explore/operations.js';
import { renderCase } from '../../src/explore/render.js';
import { smallerVariants } from '../../src/explore/shrink.js';
import { loadScenarioText } from '../../src/scenarios/index.js';

const FULL: TargetAbilities = {
  caps: ['dedup', 'paged-sync', 'backward-sync', 'multi-device'],
  maxBodyBytes: 16_384,
  canKill: true,
};
const BARE: TargetAbilities = { caps: ['dedup'], canKill: false };

function ops(seed: number, count: number, target: TargetAbilities): Operation[][] {
  return Array.from({ length: count }, (_, i) => generateCase(seed, i, EXPLORE_DEFAULTS, target).operations);
}

describe('explore generator', () => {
  it('gives the same schedule for the same seed and case, another for another seed', () => {
    expect(ops(7, 20, FULL)).toEqual(ops(7, 20, FULL));
    expect(ops(8, 20, FULL)).not.toEqual(ops(7, 20, FULL));
    // Case 5 does not depend on whether cases 0-4 were generated first.
    expect(generateCase(7, 5, EXPLORE_DEFAULTS, FULL)).toEqual(
      ops(7, 6, FULL).length && generateCase(7, 5, EXPLORE_DEFAULTS, FULL),
    );
  });

  it('draws the workload shapes hand-written cases lack, over a few hundred cases', () => {
    const all = ops(1, 300, FULL).flat();
    const sends = all.filter((o) => o.op === 'send');
    expect(sends.some((o) => o.size > 1024)).toBe(true);
    expect(sends.every((o) => o.size >= 1 && o.size <= 16_384)).toBe(true);
    expect(sends.some((o) => o.text === 'unicode')).toBe(true);
    expect(sends.some((o) => o.cmids !== undefined)).toBe(true);
    expect(sends.some((o) => o.count > 300)).toBe(true);
    for (const kind of ['kill', 'page', 'misbehave', 'wait', 'disconnect'] as const) {
      expect(
        all.some((o) => o.op === kind),
        kind,
      ).toBe(true);
    }
    expect(all.some((o) => o.op === 'connect' && o.state === 'server')).toBe(true);
    expect(all.some((o) => o.op === 'page' && o.limit > 200)).toBe(true);
  });

  it('never draws what the target cannot do: kill without control, paging without paged-sync, second devices without multi-device', () => {
    const all = ops(1, 300, BARE).flat();
    expect(all.some((o) => o.op === 'kill')).toBe(false);
    expect(all.some((o) => o.op === 'page')).toBe(false);
    const bots = all.flatMap((o) => (o.op === 'send' ? [o.from] : 'bot' in o ? [o.bot] : []));
    expect(bots.every((b) => b.endsWith('/d1'))).toBe(true);
    // Without an advertised limit, bodies stay under the fallback.
    expect(all.every((o) => o.op !== 'send' || o.size <= 4096)).toBe(true);
  });

  it('draws the older-device shape on multi-device targets with delivered receipts, and never elsewhere', () => {
    const withReceipts: TargetAbilities = { ...FULL, caps: [...FULL.caps, 'delivered-receipt'] };
    const rendered = Array.from({ length: 200 }, (_, i) =>
      renderCase(generateCase(5, i, EXPLORE_DEFAULTS, withReceipts), EXPLORE_DEFAULTS, {
        id: `o-${i}`,
        title: 't',
        comment: [],
      }),
    );
    // The shape as it reaches the scenario: the sibling logs in after the older device and
    // withholds its acks, the send waits for a delivered receipt (only the older device acks),
    // then the older device comes back trusting the server's cursor.
    const shapes = rendered.filter((r) => {
      const ops = r.operations;
      const send = ops.findIndex((o) => o.op === 'send' && o.await === 'delivered');
      if (send < 0) return false;
      const to = (ops[send] as Extract<Operation, { op: 'send' }>).to;
      const back = ops.findIndex(
        (o, i) => i > send && o.op === 'connect' && o.state === 'server' && o.bot.startsWith(`${to}/`),
      );
      if (back < 0) return false;
      const older = (ops[back] as Extract<Operation, { op: 'connect' }>).bot;
      const loginAt = (bot: string, before: number) =>
        ops.findLastIndex((o, i) => i < before && o.op === 'connect' && o.bot === bot);
      const sibling = ops.find(
        (o, i) => i < send && o.op === 'misbehave' && o.withholdAcks && o.bot.startsWith(`${to}/`),
      ) as Extract<Operation, { op: 'misbehave' }> | undefined;
      return (
        sibling !== undefined && sibling.bot !== older && loginAt(sibling.bot, send) > loginAt(older, send)
      );
    });
    expect(shapes.length).toBeGreaterThan(5);
    for (const r of shapes.slice(0, 5)) expect(() => loadScenarioText(r.text, 'o.yaml')).not.toThrow();
    // Without delivered receipts (or a second device) the send could not wait for the ack.
    for (const target of [FULL, BARE])
      expect(
        ops(5, 200, target)
          .flat()
          .some((o) => o.op === 'send' && o.await === 'delivered'),
      ).toBe(false);
  });

  it('draws only what MQTT can express: no paging, kill, frame faults or older-device shape, and every device online before anything is sent', () => {
    const mqtt: TargetAbilities = { caps: MQTT_CAPS, canKill: false, frameFaults: false };
    for (let i = 0; i < 200; i++) {
      const c = generateCase(4, i, EXPLORE_DEFAULTS, mqtt);
      expect(c.faults).toBeUndefined();
      expect(c.pageSize).toBeUndefined();
      for (const o of c.operations) {
        expect(['page', 'kill'].includes(o.op), o.op).toBe(false);
        if (o.op === 'send') expect(o.await).toBeUndefined();
      }
      // A client that never subscribed has no session to queue into: every device logs in first.
      const devices = Object.entries(c.users).flatMap(([u, ds]) => ds.map((d) => `${u}/${d}`));
      const first = c.operations.slice(0, devices.length);
      expect(first.map((o) => (o.op === 'connect' ? o.bot : o.op))).toEqual(devices);
    }
  });

  it('draws frame faults (msg and ack frames, lost or duplicated) only for drivers with a frame codec', () => {
    const withCodec: TargetAbilities = { ...FULL, frameFaults: true };
    const faults = Array.from(
      { length: 200 },
      (_, i) => generateCase(2, i, EXPLORE_DEFAULTS, withCodec).faults ?? [],
    );
    const all = faults.flat();
    expect(faults.filter((f) => f.length > 0).length).toBeGreaterThan(20);
    expect(new Set(all.map((f) => f.action))).toEqual(new Set(['drop', 'duplicate']));
    for (const f of all) {
      expect(['msg', 'ack']).toContain(f.match.op);
      expect(f.probability).toBeGreaterThanOrEqual(0.01);
      expect(f.probability).toBeLessThanOrEqual(0.1);
      // A second msg:A or ack:N for one request would be the proxy's doing, not the server's.
      if (f.action === 'duplicate') expect(f.match.kind === 'R' || f.match.op === 'msg').toBe(true);
      if (f.action === 'duplicate') expect(f.match.kind).not.toBe('A');
    }
    // The operations do not change with frame faults on: one seed, one workload.
    expect(generateCase(2, 7, EXPLORE_DEFAULTS, withCodec).operations).toEqual(
      generateCase(2, 7, EXPLORE_DEFAULTS, FULL).operations,
    );
    const r = renderCase(
      {
        ...generateCase(2, 0, EXPLORE_DEFAULTS, FULL),
        faults: [{ match: { op: 'msg', kind: 'N' }, action: 'drop', probability: 0.05 }],
      },
      EXPLORE_DEFAULTS,
      { id: 'f', title: 't', comment: [] },
    );
    expect(r.text).toContain(
      '- { id: drop-msg-N, match: { op: msg, kind: N }, probability: 0.05, action: drop }',
    );
    expect(loadScenarioText(r.text, 'f.yaml').faults).toHaveLength(1);
  });

  it('one sender never shares a cmid prefix between its own devices (that would be a retransmission)', () => {
    for (const list of ops(3, 300, FULL)) {
      const prefixOf = new Map<string, string>();
      for (const o of list) {
        if (o.op !== 'send' || o.cmids === undefined) continue;
        const key = `${o.from.split('/')[0]}:${o.cmids}`;
        expect(prefixOf.get(key) ?? o.from, key).toBe(o.from);
        prefixOf.set(key, o.from);
      }
    }
  });

  it('renders every case as a scenario the normal loader accepts, ending with every device back and settled', () => {
    for (let i = 0; i < 150; i++) {
      const generated = generateCase(11, i, EXPLORE_DEFAULTS, FULL);
      const r = renderCase(generated, EXPLORE_DEFAULTS, {
        id: `explore-11-${i}`,
        title: 't',
        comment: ['c'],
      });
      const scenario = loadScenarioText(r.text, `explore-11-${i}.yaml`);
      expect(scenario.steps.at(-1)!.op, r.text).toBe('waitFor');
      expect(r.messages).toBeGreaterThan(0);
    }
  });

  it('drops operations a cut made meaningless instead of writing an invalid scenario', () => {
    const generated = {
      users: { u1: ['d1'], u2: ['d1'] },
      operations: [
        { op: 'send', from: 'u1/d1', to: 'u2', count: 2, size: 10, text: 'ascii', rate: 0 },
        { op: 'connect', bot: 'u1/d1', state: 'keep' },
        { op: 'disconnect', bot: 'u2/d1', mode: 'clean' },
        { op: 'send', from: 'u1/d1', to: 'u2', count: 1, size: 2000, text: 'unicode', rate: 0 },
      ] as Operation[],
    };
    const r = renderCase(generated, EXPLORE_DEFAULTS, { id: 'cut', title: 't', comment: [] });
    expect(r.operations.map((o) => o.op)).toEqual(['connect', 'send']);
    expect(r.messages).toBe(1);
    const scenario = loadScenarioText(r.text, 'cut.yaml');
    expect(scenario.steps.map((s) => s.op)).toEqual(['connect', 'send', 'connect', 'waitFor']);
  });

  it('weighing only what the target cannot do still gives a case: its closing send', () => {
    const weights = { ...EXPLORE_DEFAULTS.weights };
    for (const k of Object.keys(weights) as (keyof typeof weights)[]) weights[k] = k === 'kill' ? 1 : 0;
    const onlyKill = { ...EXPLORE_DEFAULTS, weights };
    const { operations } = generateCase(1, 0, onlyKill, BARE);
    expect(operations.filter((o) => o.op === 'send')).toHaveLength(1);
    expect(operations.some((o) => o.op === 'kill')).toBe(false);
  });

  it('keeps a second misbehave of a device: its rules add up (a catch-up crash on a device delaying acks)', () => {
    const generated = {
      users: { u1: ['d1'], u2: ['d1'] },
      operations: [
        { op: 'misbehave', bot: 'u1/d1', delayAcksMs: 300 },
        { op: 'misbehave', bot: 'u1/d1', crashInSync: 3 },
        { op: 'connect', bot: 'u1/d1', state: 'keep' },
        { op: 'behave', bot: 'u1/d1' },
        { op: 'behave', bot: 'u1/d1' },
      ] as Operation[],
    };
    const r = renderCase(generated, EXPLORE_DEFAULTS, { id: 'both', title: 't', comment: [] });
    // The second behave has nothing left to end: dropped.
    expect(r.operations.map((o) => o.op)).toEqual(['misbehave', 'misbehave', 'connect', 'behave']);
    const scenario = loadScenarioText(r.text, 'both.yaml');
    const told = scenario.steps.flatMap((s) => (s.op === 'misbehave' ? [s] : []));
    expect(told.map((s) => [s.delayAcksMs, s.crashInSync])).toEqual([
      [300, undefined],
      [undefined, 3],
    ]);
  });

  it('drops a page right after a kill -9 (the device has no session until it is back on its own)', () => {
    const generated = {
      users: { u1: ['d1'], u2: ['d1'] },
      operations: [
        { op: 'connect', bot: 'u1/d1', state: 'keep' },
        { op: 'connect', bot: 'u2/d1', state: 'keep' },
        { op: 'page', bot: 'u1/d1', direction: 'forward', limit: 5 },
        { op: 'kill' },
        { op: 'page', bot: 'u1/d1', direction: 'forward', limit: 5 },
        { op: 'send', from: 'u2/d1', to: 'u1', count: 1, size: 10, text: 'ascii', rate: 0 },
      ] as Operation[],
    };
    const r = renderCase(generated, EXPLORE_DEFAULTS, { id: 'kill', title: 't', comment: [] });
    expect(r.operations.map((o) => o.op)).toEqual(['connect', 'connect', 'page', 'kill', 'send']);
  });

  it('shrink variants only make an operation simpler', () => {
    const send: Operation = {
      op: 'send',
      from: 'u1/d1',
      to: 'u2',
      count: 40,
      size: 5000,
      text: 'unicode',
      cmids: 'shared-d1',
      rate: 100,
    };
    const variants = smallerVariants(send) as Extract<Operation, { op: 'send' }>[];
    expect(variants.length).toBeGreaterThan(4);
    for (const v of variants) {
      expect(v.count).toBeLessThanOrEqual(40);
      expect(v.size).toBeLessThanOrEqual(5000);
    }
    expect(smallerVariants({ op: 'kill' })).toEqual([]);
    expect(smallerVariants({ op: 'connect', bot: 'u1/d1', state: 'keep' })).toEqual([]);
  });
});
