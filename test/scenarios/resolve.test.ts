/**
 * Valid scenario files resolve to the exact model of src/scenarios/types.ts: every form, every
 * default, positions of every step, derived fields, frozen.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CLIENT_OPTIONS,
  loadScenarioFile,
  loadScenarioText,
  renderRaw,
  type Scenario,
} from '../../src/scenarios/index.js';

const valid = (name: string) => join('test', 'scenarios', 'fixtures', 'valid', name);

describe('resolving a scenario', () => {
  it('resolves every key and step form of the full fixture to the exact model', () => {
    const file = valid('full.yaml');
    const at = (line: number) => ({ file, line, col: 5 });
    const expected: Scenario = {
      id: 'full-surface',
      title: 'Every key and step form resolves',
      description: 'Two lines\nof description.\n',
      covers: ['DEDUP-1', 'DEDUP-2', 'FRAME-2', 'AUTH-3'],
      severity: 'SHOULD',
      requires: ['dedup', 'multi-device'],
      needsTargetControl: true,
      timeoutMs: 60_000,
      users: { alice: ['phone'], bob: ['phone', 'tablet'] },
      client: {
        retransmitMs: 500,
        backoff: 1.5,
        maxRetransmitMs: 4000,
        maxAttempts: 5,
        ackDelayMs: 20,
        pageSize: 50,
        requestTimeoutMs: 2500,
        storedStopsRetransmit: false,
        reconnectDelayMs: 250,
      },
      steps: [
        { op: 'connect', loc: at(25), bots: ['alice', 'bob'], state: 'keep' },
        { op: 'connect', loc: at(26), bots: ['bob/tablet'], state: 'none' },
        { op: 'disconnect', loc: at(27), bots: ['bob'], mode: 'clean' },
        { op: 'disconnect', loc: at(28), bots: ['bob/phone'], mode: 'crash' },
        { op: 'disconnect', loc: at(29), bots: ['alice'], mode: 'crash' },
        {
          op: 'send',
          loc: at(30),
          from: 'alice',
          to: 'bob',
          count: 250,
          rate: 500,
          size: 64,
          text: 'ascii',
          await: 'accepted',
        },
        {
          op: 'send',
          loc: at(31),
          from: 'bob/phone',
          to: 'alice',
          count: 1,
          rate: 0,
          size: 32,
          text: 'ascii',
          await: 'none',
        },
        { op: 'wait', loc: at(32), ms: 1500 },
        { op: 'wait', loc: at(33), ms: 20 },
        { op: 'waitFor', loc: at(34), condition: 'settled', timeoutMs: 10_000, quietMs: 300 },
        { op: 'waitFor', loc: at(35), condition: 'quiet', timeoutMs: 10_000, quietMs: 1000 },
        { op: 'target', loc: at(36), action: 'kill', restart: true },
        { op: 'target', loc: at(37), action: 'term', restart: true },
        { op: 'target', loc: at(38), action: 'pause', restart: false },
        {
          op: 'misbehave',
          loc: at(39),
          bots: ['bob'],
          crashBeforeCommit: 1,
          withholdAcks: true,
          delayAcksMs: 2000,
          loseState: true,
          noRetransmit: false,
        },
        { op: 'behave', loc: at(46), bots: ['bob'] },
        { op: 'page', loc: at(47), bot: 'bob/tablet', direction: 'backward', limit: 100, pages: 3 },
        // limit defaults to client.pageSize
        { op: 'page', loc: at(48), bot: 'alice', direction: 'forward', limit: 50, pages: 0 },
        {
          op: 'raw',
          loc: at(49),
          bot: 'alice',
          text: '{"type":"msg:R"',
          rid: null,
          beforeHello: false,
          expect: { type: 'error:A', fields: { code: 'bad-json', rid: null } },
          requirement: 'FRAME-2',
        },
        {
          op: 'raw',
          loc: at(54),
          bot: 'bob/phone',
          text: '{"type":"ping:R","rid":"p1"}',
          rid: 'p1',
          beforeHello: true,
          expect: { type: 'ping:A', fields: { rid: 'p1' } },
          requirement: 'AUTH-3',
        },
        {
          op: 'raw',
          loc: at(60),
          bot: 'alice',
          text: '{"type":"ping:R","rid":"r9"}',
          rid: 'r9',
          beforeHello: false,
          expect: { type: 'close', closeCode: 1009 },
          requirement: 'FRAME-2',
        },
        {
          op: 'expectSession',
          loc: at(67),
          bot: 'bob/phone',
          pending: 250,
          maxSeq: 250,
          requirement: 'AUTH-3',
        },
        { op: 'connect', loc: at(68), bots: ['alice'], state: 'server' },
        { op: 'misbehave', loc: at(69), bots: ['alice'], loseAccepts: 1, loseReceipts: 2, losePushes: 3 },
        {
          op: 'probe',
          loc: at(70),
          user: 'bob',
          device: 'laptop',
          login: 'wrong',
          requirement: 'AUTH-3',
          exchange: [
            {
              // The user a hand-written hello names follows the run's prefix on a shared target.
              send: '{"type":"hello:R","rid":"h2","user":"$user:bob","device":"laptop","token":"x"}',
              binary: false,
              expect: { type: 'error:A', fields: { code: 'auth-failed' } },
              capture: { code: 'code' },
            },
            {
              binary: false,
              expect: { type: 'close', fields: {}, closeCode: 4401 },
              capture: {},
              requirement: 'FRAME-2',
              timeout: { limit: 'helloTimeoutMs' },
            },
            {
              send: 'bin',
              binary: true,
              expect: { type: 'error:A', fields: { code: '$code', 'msgs.0.seq': 1 } },
              capture: {},
              timeout: { ms: 3000 },
            },
          ],
        },
        {
          op: 'probe',
          loc: at(85),
          user: 'alice',
          // a probe speaks as its own device unless told otherwise, so it never replaces a bot's session
          device: 'probe',
          login: 'valid',
          requirement: 'FRAME-2',
          exchange: [{ send: '{"type":"ping:R","rid":"p9"}', binary: false, capture: {} }],
        },
      ],
      expect: {
        exactlyOnce: false,
        allAccepted: false,
        receipt: 'any',
        standinWithinMs: 2000,
        ackLatencyP99Ms: 500,
        deliveryLatencyP99Ms: 2000,
        maxRetransmitRatio: 0.5,
        maxWireDuplicates: 0,
      },
      // Written ones first, then those the expectations imply (standinWithin: a stored message).
      preconditions: [
        { kind: 'accepted', atLeast: 3, from: 'preconditions' },
        { kind: 'acceptedOffline', atLeast: 1, from: 'expect.standinWithin' },
      ],
      faults: [],
      file,
      suite: 'valid',
    };
    expect(loadScenarioFile(file)).toStrictEqual(expected);
  });

  it('applies every default to a scenario with only the required keys', () => {
    const file = valid('minimal.yaml');
    const scenario = loadScenarioFile(file, 'core');
    const at = (line: number) => ({ file, line, col: 5 });
    expect(scenario).toStrictEqual({
      id: 'minimal',
      title: 'Only the required keys; everything else defaults',
      description: '',
      covers: ['RID-1'],
      // the strongest level among the covered requirements (RID-1 is a MUST)
      severity: 'MUST',
      requires: [],
      needsTargetControl: false,
      timeoutMs: 30_000,
      users: { alice: ['phone'], bob: ['phone'] },
      client: { ...DEFAULT_CLIENT_OPTIONS },
      steps: [
        { op: 'connect', loc: at(8), bots: ['alice', 'bob'], state: 'keep' },
        {
          op: 'send',
          loc: at(9),
          from: 'alice',
          to: 'bob',
          count: 1,
          rate: 0,
          size: 32,
          text: 'ascii',
          await: 'none',
        },
        { op: 'waitFor', loc: at(10), condition: 'settled', timeoutMs: 10_000, quietMs: 300 },
        { op: 'page', loc: at(11), bot: 'bob', direction: 'forward', limit: 100, pages: 0 },
        {
          op: 'raw',
          loc: at(12),
          bot: 'alice',
          text: '{"type":"ping:R"}',
          rid: null,
          beforeHello: false,
          expect: { type: 'ping:A' },
          // the case's only covered id
          requirement: 'RID-1',
        },
        { op: 'expectSession', loc: at(13), bot: 'bob', maxSeq: 1, requirement: 'RID-1' },
      ],
      expect: { exactlyOnce: true, allAccepted: true, receipt: 'delivered' },
      preconditions: [{ kind: 'accepted', atLeast: 'all', from: 'expect.allAccepted' }],
      faults: [],
      file,
      suite: 'core',
    });
  });

  it('severity defaults to the strongest covered level (SHOULD when no MUST is covered)', () => {
    const text = 'id: x\ntitle: t\ncovers: [AUTH-4, RID-3]\nusers: {a: p}\nsteps: [connect: a]\n';
    expect(loadScenarioText(text, 'x.yaml').severity).toBe('SHOULD');
  });

  it('takes a probe device from user: a/x or from device:, else "probe"', () => {
    const probe = (lines: string) =>
      `id: x\ntitle: t\ncovers: [PING-1]\nusers: { a: p }\nsteps:\n  - probe:\n${lines}      exchange: [send: x]\n`;
    const devices = ['      user: a/x\n', '      user: a\n      device: y\n', '      user: a\n'].map(
      (lines) => {
        const step = loadScenarioText(probe(lines), 'p.yaml').steps[0]!;
        return step.op === 'probe' && [step.user, step.device];
      },
    );
    expect(devices).toEqual([
      ['a', 'x'],
      ['a', 'y'],
      ['a', 'probe'],
    ]);
  });

  it('returns a deeply frozen scenario', () => {
    const scenario = loadScenarioFile(valid('full.yaml'));
    expect(Object.isFrozen(scenario)).toBe(true);
    expect(Object.isFrozen(scenario.steps)).toBe(true);
    expect(Object.isFrozen(scenario.steps[0]!.loc)).toBe(true);
    expect(Object.isFrozen(scenario.users.bob)).toBe(true);
    expect(Object.isFrozen(scenario.client)).toBe(true);
    expect(() => {
      (scenario.steps as unknown[]).push(1);
    }).toThrow(TypeError);
  });

  it('follows YAML anchors and aliases, keeping each step at its own position', () => {
    const text = [
      'id: x',
      'title: t',
      'covers: [RID-1]',
      'users: {a: p}',
      'steps:',
      '  - send: &burst {from: a, to: a, count: 10}',
      '  - send: *burst',
      '',
    ].join('\n');
    const scenario = loadScenarioText(text, 'alias.yaml');
    expect(scenario.steps.map((s) => [s.loc.line, s.op, s.op === 'send' && s.count])).toEqual([
      [6, 'send', 10],
      [7, 'send', 10],
    ]);
  });

  it('merges shared blocks with <<, the merged-in keys checked like any other', () => {
    const text = [
      'id: x',
      'title: t',
      'covers: [RID-1]',
      'users: { a: p }',
      'steps:',
      '  - send: &burst { from: a, to: a, count: 10, rate: 100 }',
      '  - send: { <<: *burst, count: 3 }',
      '  - send: { <<: *burst, cuont: 3 }',
      '',
    ].join('\n');
    expect(() => loadScenarioText(text, 'merge.yaml')).toThrow(
      /^merge\.yaml:8:25: unknown key "cuont" in steps\[2\]\.send; did you mean "count"\?$/,
    );
    const fixed = loadScenarioText(text.replace('cuont', 'size'), 'merge.yaml');
    expect(fixed.steps.map((s) => s.op === 'send' && [s.count, s.rate, s.size])).toEqual([
      [10, 100, 32],
      [3, 100, 32],
      [10, 100, 3],
    ]);
  });
});

describe('renderRaw', () => {
  it('JSON-encodes an object and takes its rid only when it is a string', () => {
    expect(renderRaw({ type: 'ping:R', rid: 'r1' })).toEqual({
      text: '{"type":"ping:R","rid":"r1"}',
      rid: 'r1',
    });
    expect(renderRaw({ type: 'ping:R', rid: 7 })).toEqual({ text: '{"type":"ping:R","rid":7}', rid: null });
  });

  it('names users in a mapping by "$user:NAME" (msg:R to, hello:R user), so the runner can prefix them', () => {
    expect(renderRaw({ type: 'msg:R', rid: 'r', cmid: 'c', to: 'dave', body: 'b' }).text).toBe(
      '{"type":"msg:R","rid":"r","cmid":"c","to":"$user:dave","body":"b"}',
    );
    expect(renderRaw({ type: 'hello:R', rid: 'h', user: 'alice', device: 'd', token: '$token' }).text).toBe(
      '{"type":"hello:R","rid":"h","user":"$user:alice","device":"d","token":"$token"}',
    );
    // A malformed name, another frame type, or a string send is sent exactly as written.
    expect(renderRaw({ type: 'msg:R', to: '' }).text).toBe('{"type":"msg:R","to":""}');
    expect(renderRaw({ type: 'msg:R', to: 7 }).text).toBe('{"type":"msg:R","to":7}');
    expect(renderRaw({ type: 'sync:R', to: 'dave' }).text).toBe('{"type":"sync:R","to":"dave"}');
    expect(renderRaw('{"type":"msg:R","to":"dave"}').text).toBe('{"type":"msg:R","to":"dave"}');
  });

  it('sends a string verbatim and reads a rid only from a JSON object with a string rid', () => {
    expect(renderRaw('{"type":"x:R","rid":"r2"}')).toEqual({ text: '{"type":"x:R","rid":"r2"}', rid: 'r2' });
    expect(renderRaw('{"type":"x:R","rid":"r2"')).toEqual({ text: '{"type":"x:R","rid":"r2"', rid: null });
    expect(renderRaw('["rid"]')).toEqual({ text: '["rid"]', rid: null });
    expect(renderRaw('null')).toEqual({ text: 'null', rid: null });
    expect(renderRaw('')).toEqual({ text: '', rid: null });
  });
});
