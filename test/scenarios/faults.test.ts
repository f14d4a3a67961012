/**
 * The `faults:` section of a scenario: rules resolve to the model of src/faults/types.ts inside a
 * scenario, and every broken rule is reported at its own file:line:col with the resolver's
 * wording, next to the scenario's other problems.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkScenarioFile,
  formatIssue,
  loadScenarioFile,
  loadScenarioText,
} from '../../src/scenarios/index.js';

const fixture = (name: string) => join('test', 'scenarios', 'fixtures', 'faults', name);

describe('scenario faults', () => {
  it('resolves every rule with its defaults, window and position', () => {
    const file = fixture('valid.yaml');
    const s = loadScenarioFile(file);
    expect(s.faults.map((r) => r.id)).toEqual(['lose-a', 'fault-2', 'fault-3', 'fault-4']);
    expect(s.faults[0]).toEqual({
      id: 'lose-a',
      layer: 'frame',
      match: { op: ['msg'], kind: ['A'], user: ['alice'] },
      nth: 1,
      every: undefined,
      times: undefined,
      probability: 1,
      window: {},
      action: { type: 'drop' },
      loc: { file, line: 8, col: 5 },
    });
    expect(s.faults[1]).toMatchObject({
      probability: 0.05,
      match: { direction: 'to-client', user: ['bob/tablet', 'alice'] },
      window: { from: { step: 1 }, until: { step: 3 } },
      loc: { file, line: 9, col: 5 },
    });
    expect(s.faults[2]).toMatchObject({
      every: 4,
      action: { type: 'duplicate', copies: 2 },
      window: { from: { ms: 500 } },
    });
    // 3 steps: step 3 is the settling after the last one, a valid window bound.
    expect(s.faults[3]).toMatchObject({ action: { type: 'stall', ms: 2000 }, window: { from: { step: 3 } } });
    expect(Object.isFrozen(s.faults[3]!.action)).toBe(true);
  });

  it('a scenario without faults has none', () => {
    const s = loadScenarioText(
      'id: x\ntitle: t\ncovers: [RID-1]\nusers: {a: p}\nsteps: [connect: a]\n',
      'x.yaml',
    );
    expect(s.faults).toEqual([]);
  });

  it('reports each broken rule at its node, with a hint, and keeps going to the next rule (ids are compared once every rule resolves)', () => {
    const f = fixture('broken.yaml');
    expect(checkScenarioFile(f).issues.map(formatIssue)).toEqual([
      `${f}:8:62: faults[0].action: unknown action "dorp" (did you mean "drop"?); frame actions: drop, duplicate, delay, reorder, corrupt, cut, stall; stream actions: latency, bandwidth, reset, blackhole, slice`,
      `${f}:9:30: faults[1].match.knd: unknown key "knd" (did you mean "kind"?); allowed here: op, kind, direction, user, undecodable`,
      `${f}:10:22: faults[2].match.user: no user "bbo" in users; did you mean "bob"?`,
      `${f}:11:27: faults[3].from: step 7 is past the end: steps count from 0 (this case has 2, 0 to 1) and 2 is the settling after the last step`,
    ]);
  });

  it('refuses a repeated rule id and an actor whose device is not declared', () => {
    const f = fixture('duplicate-id.yaml');
    expect(checkScenarioFile(f).issues.map(formatIssue)).toEqual([
      `${f}:7:11: faults[1].id: id "lose" is already used by faults[0]; give each rule its own id`,
      `${f}:8:22: faults[2].match.user: user alice has no device "laptop" (devices: phone)`,
    ]);
  });

  it('refuses faults that are not a list, through the scenario schema', () => {
    const text =
      'id: x\ntitle: t\ncovers: [RID-1]\nusers: {a: p}\nsteps: [connect: a]\nfaults: {action: drop}\n';
    expect(() => loadScenarioText(text, 'x.yaml')).toThrow(
      'x.yaml:6:9: faults: expected a list of fault rules',
    );
  });
});
