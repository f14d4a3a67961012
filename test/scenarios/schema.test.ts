/**
 * schemas/scenario.schema.json agrees with the code around it: the cap list with CAPS, its
 * `default` annotations with defaults.ts, its duration pattern with parseDuration, and every
 * oneOf branch is a $ref (the loader re-checks the one branch a value was meant for).
 */

import { describe, expect, it } from 'vitest';
import schema from '../../schemas/scenario.schema.json' with { type: 'json' };
import { CAPS } from '../../src/protocol/frames.js';
import {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_EXPECTATIONS,
  DEFAULT_TIMEOUT_MS,
  formatDuration,
  parseDuration,
  STEP_DEFAULTS,
} from '../../src/scenarios/index.js';

type Node = Record<string, unknown>;
const defs = schema.$defs as unknown as Record<string, Node>;
const props = (node: Node) => node.properties as Record<string, Node>;

function walk(node: unknown, visit: (node: Node) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (typeof node === 'object' && node !== null) {
    visit(node as Node);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

describe('scenario schema', () => {
  it('lists exactly the capabilities of the protocol', () => {
    expect(defs.cap!.enum).toEqual([...CAPS]);
  });

  it('documents the same client and case defaults as defaults.ts', () => {
    const client = props(defs.client!);
    const ms = (key: string) => parseDuration(client[key]!.default as string | number);
    expect({
      retransmitMs: ms('retransmit'),
      backoff: client.backoff!.default,
      maxRetransmitMs: ms('maxRetransmit'),
      maxAttempts: client.maxAttempts!.default,
      ackDelayMs: ms('ackDelay'),
      pageSize: client.pageSize!.default,
      requestTimeoutMs: ms('requestTimeout'),
      storedStopsRetransmit: client.storedStopsRetransmit!.default,
      reconnectDelayMs: ms('reconnectDelay'),
    }).toEqual(DEFAULT_CLIENT_OPTIONS);
    const expectations = props(defs.expect!);
    expect({
      exactlyOnce: expectations.exactlyOnce!.default,
      allAccepted: expectations.allAccepted!.default,
      receipt: expectations.receipt!.default,
    }).toEqual(DEFAULT_EXPECTATIONS);
    expect(parseDuration(schema.properties.timeout.default)).toBe(DEFAULT_TIMEOUT_MS);
  });

  it('documents the same step defaults as defaults.ts', () => {
    const send = props(props(defs.sendStep!).send!);
    expect({
      count: send.count!.default,
      rate: send.rate!.default,
      size: send.size!.default,
      text: send.text!.default,
      await: send.await!.default,
    }).toEqual(STEP_DEFAULTS.send);
    const waitFor = props(defs.waitForOptions!);
    expect(parseDuration(waitFor.timeout!.default as string)).toBe(STEP_DEFAULTS.waitFor.timeoutMs);
    expect(parseDuration(waitFor.quiet!.default as string)).toBe(STEP_DEFAULTS.waitFor.quietMs);
    expect(props(defs.connectOptions!).state!.default).toBe(STEP_DEFAULTS.connect.state);
    expect(props(defs.disconnectOptions!).mode!.default).toBe(STEP_DEFAULTS.disconnect.mode);
    const page = props(props(defs.pageStep!).page!);
    expect({ direction: page.direction!.default, pages: page.pages!.default }).toEqual(STEP_DEFAULTS.page);
  });

  it('makes every oneOf branch a local $ref and every step form a single required key', () => {
    let oneOfs = 0;
    walk(schema, (node) => {
      if (!Array.isArray(node.oneOf)) return;
      oneOfs++;
      for (const branch of node.oneOf as Node[]) expect(branch.$ref).toMatch(/^#\/\$defs\/[A-Za-z]+$/);
    });
    expect(oneOfs).toBeGreaterThanOrEqual(5);
    for (const branch of defs.step!.oneOf as Node[]) {
      const step = defs[(branch.$ref as string).slice('#/$defs/'.length)]!;
      expect(step.required).toHaveLength(1);
      expect(Object.keys(props(step))).toEqual(step.required);
      expect(step.additionalProperties).toBe(false);
    }
  });

  it('refuses unknown keys in every keyed mapping, except those that hold data', () => {
    const open: string[] = [];
    walk(schema, (node) => {
      if ([node.type].flat().includes('object') && node.additionalProperties !== false)
        open.push(String(node.title));
    });
    expect(open.sort()).toEqual([
      'a mapping of capture names to dotted answer paths',
      'a mapping of user names to device names',
      'a mapping {type, closeCode, and answer members to compare}',
      'a text (sent verbatim) or a mapping (sent JSON-encoded)',
      'a text (sent verbatim) or a mapping (sent JSON-encoded)',
    ]);
  });
});

describe('durations', () => {
  it('reads ms, s, m, h and integer milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('0.25m')).toBe(15_000);
    expect(parseDuration(750)).toBe(750);
    expect(parseDuration('1.0005s')).toBe(1001);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
  });

  it('refuses anything else with what to write instead', () => {
    for (const bad of ['2d', '1.5ms', '-1s', ' 2s', '2 s', '2H', '', 1.5, -1]) {
      expect(() => parseDuration(bad)).toThrow(
        /is not a duration: write 250ms, 2s, 1\.5s, 1m, 2h, or integer milliseconds/,
      );
    }
  });

  it('formats back in the shortest form that parses to the same value', () => {
    for (const ms of [0, 1, 999, 1000, 1500, 60_000, 90_000, 120_000, 3_600_000, 5_400_000, 7_200_000])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    expect([1500, 2000, 120_000, 5_400_000, 7_200_000].map((ms) => formatDuration(ms))).toEqual([
      '1500ms',
      '2s',
      '2m',
      '90m',
      '2h',
    ]);
  });

  it('accepts in the schema exactly the strings parseDuration reads', () => {
    const pattern = new RegExp(defs.duration!.pattern as string, 'u');
    for (const text of ['250ms', '2s', '1.5s', '1m', '0ms', '2h', '0.5h', '2d', '1.5ms', '2 s', 's', '.5s']) {
      let parses = true;
      try {
        parseDuration(text);
      } catch {
        parses = false;
      }
      expect([text, pattern.test(text)]).toEqual([text, parses]);
    }
  });
});
