/**
 * Broken scenario files: each error names the exact file:line:col of the offending node, says
 * what was expected, and every error of a file is reported at once.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import {
  checkScenarioFile,
  formatIssue,
  loadScenarioFile,
  loadScenarioText,
} from '../../src/scenarios/index.js';

const broken = (name: string) => join('test', 'scenarios', 'fixtures', 'broken', name);

function reported(name: string): string[] {
  const check = checkScenarioFile(broken(name));
  expect(check.scenario).toBeUndefined();
  return check.issues.map(formatIssue);
}

const DURATION = 'a duration like 250ms, 2s, 1.5s, 1m or 2h, or integer milliseconds';
const WAIT = `${DURATION}, or limits.repushMs, limits.helloTimeoutMs or limits.idleMs with an optional + duration`;
const STEP =
  'a step: a mapping with one key (connect, disconnect, crash, send, wait, waitFor, target, misbehave, behave, page, raw, probe, expectSession or expectClosed)';

describe('scenario errors', () => {
  it('a YAML syntax error keeps the parser position and message', () => {
    // .txt: biome lints *.yaml and would refuse the broken file; the loader takes any extension.
    const f = broken('syntax-error.yaml.txt');
    expect(reported('syntax-error.yaml.txt')).toEqual([
      `${f}:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    ]);
  });

  it('unknown keys point at the key and suggest the nearest allowed key', () => {
    const f = broken('unknown-key.yaml');
    expect(reported('unknown-key.yaml')).toEqual([
      `${f}:7:3: unknown key "retransmitMs" in client; did you mean "retransmit"? (durations drop the "Ms" suffix and take units: 500ms, 2s)`,
      `${f}:10:5: unknown key "sned" in steps[1]; did you mean "send"?`,
      `${f}:11:29: unknown key "stat" in steps[2].connect; did you mean "state"?`,
      `${f}:12:1: unknown key "expcet"; did you mean "expect"?`,
    ]);
  });

  it('an unknown key with no near match lists the allowed keys', () => {
    const text = 'id: x\ntitle: t\ncovers: [RID-1]\nusers: {a: p}\nsteps: [connect: a]\nexpect: {zzz: 1}\n';
    expect(() => loadScenarioText(text, 'inline.yaml')).toThrow(
      'inline.yaml:6:10: unknown key "zzz" in expect; expected one of exactlyOnce, allAccepted, receipt, standinWithin, ackLatencyP99, deliveryLatencyP99, maxRetransmitRatio or maxWireDuplicates',
    );
  });

  it('values of the wrong type say what was expected and what was found', () => {
    const f = broken('wrong-type.yaml');
    expect(reported('wrong-type.yaml')).toEqual([
      `${f}:7:44: steps[0].send.count: expected an integer ≥ 1, got "ten"`,
      `${f}:8:14: steps[1].connect: expected a bot, a list of bots, or a mapping {bots, state}, got 5`,
      `${f}:9:5: steps[2]: expected ${STEP}, got "connect"`,
      // YAML 1.2: `yes` is a string, not a boolean.
      `${f}:11:16: expect.exactlyOnce: expected true or false, got "yes"`,
    ]);
  });

  it('bad durations name the accepted forms; an empty value points at its key', () => {
    const f = broken('bad-duration.yaml');
    expect(reported('bad-duration.yaml')).toEqual([
      `${f}:4:10: timeout: expected ${DURATION}, got "5 seconds"`,
      `${f}:8:15: client.retransmit: expected ${DURATION}, got "1.5ms"`,
      `${f}:10:11: steps[0].wait: expected ${WAIT}, got "2d"`,
      `${f}:11:5: steps[1].wait: expected ${WAIT}, got nothing`,
      `${f}:12:45: steps[2].waitFor.timeout: expected a duration above 0, got 0`,
    ]);
  });

  it('unknown requirement ids are refused with the nearest known id', () => {
    const f = broken('unknown-requirement.yaml');
    expect(reported('unknown-requirement.yaml')).toEqual([
      `${f}:3:10: covers[0]: unknown requirement id "DEDUP-9"; did you mean "DEDUP-1"? (ids are defined in docs/protocol.md)`,
      `${f}:3:26: covers[2]: expected a requirement id like DEDUP-1, got "dedup-1"`,
      `${f}:8:46: steps[0].raw.requirement: unknown requirement id "AUTH-99"; did you mean "AUTH-1"? (ids are defined in docs/protocol.md)`,
      `${f}:9:59: steps[1].expectSession.requirement: unknown requirement id "AUHT-3"; did you mean "AUTH-3"? (ids are defined in docs/protocol.md)`,
    ]);
  });

  it('bot refs must name declared users and devices; one-bot steps need one device', () => {
    const f = broken('unknown-bot.yaml');
    expect(reported('unknown-bot.yaml')).toEqual([
      `${f}:8:22: steps[0].connect[1]: unknown bot "bobb": users declares alice, bob; did you mean "bob"?`,
      `${f}:9:25: steps[1].disconnect.bots: unknown bot "bob/laptop": bob has devices phone, tablet`,
      `${f}:10:19: steps[2].send.from: "bob" has 2 devices (phone, tablet) and this step acts as one: write bob/phone`,
      `${f}:10:28: steps[2].send.to: a message goes to a user, not a device: write bob`,
      `${f}:11:30: steps[3].send.to: unknown user "carol": users declares alice, bob`,
    ]);
  });

  it('unknown caps are refused with the nearest known cap', () => {
    const f = broken('unknown-cap.yaml');
    expect(reported('unknown-cap.yaml')).toEqual([
      `${f}:4:12: requires[0]: expected dedup, contiguous-seq, prev-seq, server-repush, standin-receipt, delivered-receipt, cumulative-ack, paged-sync, backward-sync or multi-device, got "dedupe"; did you mean "dedup"?`,
    ]);
  });

  it('missing required keys are each reported at the top-level mapping', () => {
    const f = broken('missing-key.yaml');
    expect(reported('missing-key.yaml')).toEqual([
      `${f}:2:1: missing required key "covers"`,
      `${f}:2:1: missing required key "steps"`,
    ]);
  });

  it('a ScenarioError holds every error of the file, one per line, with the first position', () => {
    const f = broken('unknown-key.yaml');
    let error: unknown;
    try {
      loadScenarioFile(f);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScenarioError);
    const scenarioError = error as ScenarioError;
    expect(scenarioError.code).toBe('IMSPEC_ERR_SCENARIO');
    expect(scenarioError.position).toEqual({ file: f, line: 7, col: 3 });
    expect(scenarioError.message.split('\n')).toEqual(reported('unknown-key.yaml'));
  });

  it('an empty file, a top-level list and a missing file are refused', () => {
    expect(() => loadScenarioText('', 'empty.yaml')).toThrow(
      'empty.yaml:1:1: expected a scenario: a mapping with id, title, covers, users and steps, got nothing',
    );
    expect(() => loadScenarioText('- id: x\n', 'list.yaml')).toThrow(
      'list.yaml:1:1: expected a scenario: a mapping with id, title, covers, users and steps, got a list',
    );
    const missing = checkScenarioFile(join('test', 'scenarios', 'fixtures', 'no-such-file.yaml'));
    expect(missing.issues).toHaveLength(1);
    expect(formatIssue(missing.issues[0]!)).toMatch(/no-such-file\.yaml: cannot read the file: ENOENT/);
  });

  it('options that do not go together are refused', () => {
    const text = [
      'id: x',
      'title: t',
      'covers: [RID-1, RID-2]',
      'users: {a: p}',
      'client: {retransmit: 2s, maxRetransmit: 1s}',
      'steps:',
      '  - target: {action: pause, restart: true}',
      '  - misbehave: {bots: a}',
      '  - expectSession: {bot: a, requirement: RID-1}',
      '  - raw: {bot: a, send: x, expect: {type: error:A, closeCode: 1000}}',
      '',
    ].join('\n');
    expect(() => loadScenarioText(text, 'combo.yaml')).toThrow(
      [
        'combo.yaml:5:41: client.maxRetransmit: client.maxRetransmit (1s) is below client.retransmit (2s); raise maxRetransmit or lower retransmit',
        'combo.yaml:7:29: steps[0].target: restart applies only to actions kill and term, not pause; remove it',
        'combo.yaml:8:16: steps[1].misbehave: says no misbehaviour: add one of crashBeforeCommit, crashInSync, withholdAcks, delayAcks, loseState, noRetransmit, loseAccepts, loseReceipts or losePushes',
        'combo.yaml:9:20: steps[2].expectSession: checks nothing: add pending, maxSeq or both',
        'combo.yaml:10:10: steps[3].raw: missing required key "requirement" (it may be left out only when covers lists one id)',
        'combo.yaml:10:52: steps[3].raw.expect: closeCode needs type: close (got type "error:A")',
      ].join('\n'),
    );
  });

  it('probe exchanges must do something, and "$name" must name an earlier capture', () => {
    const text = [
      'id: x',
      'title: t',
      'covers: [DEDUP-1, DEDUP-4]',
      'requires: [dedup]',
      'users: { a: p }',
      'steps:',
      '  - probe:',
      '      user: a',
      '      requirement: DEDUP-4',
      '      exchange:',
      '        - send: { type: msg:R, rid: r1, cmid: c1, to: a, body: x }',
      '          expect: { type: msg:A, smid: $smid }',
      '          capture: { smid: smid }',
      '        - expect: { type: msg:A, smid: $smdi }',
      '        - binary: true',
      '        - { requirement: DEDUP-0, expect: { type: close } }',
      '',
    ].join('\n');
    expect(() => loadScenarioText(text, 'probe.yaml')).toThrow(
      [
        'probe.yaml:12:40: steps[0].probe.exchange[0].expect.smid: "$smid" names no capture of an earlier exchange; capture it first, e.g. capture: { smid: <path in the answer> }',
        'probe.yaml:14:40: steps[0].probe.exchange[1].expect.smid: "$smdi" names no capture of an earlier exchange; did you mean "$smid"?',
        'probe.yaml:15:11: steps[0].probe.exchange[2]: does nothing: add send, expect or both',
        'probe.yaml:15:11: steps[0].probe.exchange[2]: binary needs send: there is nothing to send as binary',
        'probe.yaml:16:26: steps[0].probe.exchange[3].requirement: unknown requirement id "DEDUP-0"; did you mean "DEDUP-1"? (ids are defined in docs/protocol.md)',
      ].join('\n'),
    );
    const twice = text.replace('      user: a\n', '      user: a/x\n      device: y\n');
    expect(() => loadScenarioText(twice, 'probe.yaml')).toThrow(
      /^probe\.yaml:9:7: steps\[0\]\.probe: the device is named twice \(user: a\/x and device: y\); keep one$/m,
    );
  });

  it('a load profile given as a scenario is one line naming imspec load, not a line per unknown key', () => {
    const text =
      'name: steady\npopulation: { senders: 10 }\nexecutor: { type: constant-arrival-rate, rate: 10/s, duration: 5s }\n';
    expect(() => loadScenarioText(text, 'p.yaml')).toThrow(
      /^p\.yaml:1:1: this is a load profile \(population, executor\), not a scenario: run it with imspec load$/,
    );
  });

  it('"$user:NAME" in an expectation is a user reference: it must name a declared user, not a capture', () => {
    const text = (from: string) =>
      [
        'id: x',
        'title: t',
        'covers: [MSG-1]',
        'users: { alice: p, bob: p }',
        'steps:',
        '  - probe:',
        '      user: bob',
        '      exchange:',
        '        - send: { type: msg:R, rid: r1, cmid: c1, to: alice, body: x }',
        '          expect: { type: msg:A }',
        `        - expect: { type: msg:N, from: ${from} }`,
        '',
      ].join('\n');
    expect(loadScenarioText(text('$user:bob'), 'u.yaml').steps).toHaveLength(1);
    expect(() => loadScenarioText(text('$user:bobb'), 'u.yaml')).toThrow(
      'u.yaml:11:40: steps[0].probe.exchange[1].expect.from: "$user:bobb" names no user of this scenario: users declares alice, bob; did you mean "bob"?',
    );
  });

  it('a key repeated in one mapping is a YAML error at the repeat', () => {
    expect(() => loadScenarioText('id: a\nid: b\n', 'dup-key.yaml')).toThrow(
      /^dup-key\.yaml:2:1: Map keys must be unique/,
    );
  });
});
