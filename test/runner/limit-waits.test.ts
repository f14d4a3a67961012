/**
 * `wait: limits.NAME + DURATION` follows the limit the target advertises in hello:A (so a case
 * never repeats a server setting), and a target that advertises none is waited for as long as the
 * reference server's documented default.
 */
import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../src/errors.js';
import type { Limits } from '../../src/protocol/frames.js';
import { waitMs } from '../../src/runner/wait-ms.js';
import { loadScenarioText } from '../../src/scenarios/index.js';
import { DEFAULT_LIMITS } from '../../src/server/options.js';

const scenario = (wait: string) =>
  `id: w\ntitle: t\ncovers: [PUSH-2]\nusers: { alice: phone }\nsteps:\n  - wait: ${wait}\n`;

const advertised: Limits = { ...DEFAULT_LIMITS, repushMs: 700, helloTimeoutMs: 900 };

describe('a wait on an advertised limit', () => {
  it('resolves to the limit and what is added to it', () => {
    const [plus] = loadScenarioText(scenario('limits.repushMs + 500ms'), 'w.yaml').steps;
    expect(plus).toMatchObject({ op: 'wait', limit: 'repushMs', ms: 500 });
    const [bare] = loadScenarioText(scenario('limits.helloTimeoutMs'), 'w.yaml').steps;
    expect(bare).toMatchObject({ op: 'wait', limit: 'helloTimeoutMs', ms: 0 });
    const [plain] = loadScenarioText(scenario('1.5s'), 'w.yaml').steps;
    expect(plain).toEqual({ op: 'wait', loc: expect.anything(), ms: 1500 });
  });

  it('refuses limits it cannot wait on and sums it does not read', () => {
    for (const bad of [
      'limits.maxBodyBytes',
      'limits.repushMs+1s',
      'limits.repushMs + 2d',
      'limits.repushMs - 1s',
    ]) {
      expect(() => loadScenarioText(scenario(`"${bad}"`), 'w.yaml'), bad).toThrow(ScenarioError);
    }
  });

  it('sleeps the advertised value plus the extra, or the reference default when none is advertised', () => {
    expect(waitMs({ ms: 500, limit: 'repushMs' }, advertised)).toBe(1200);
    expect(waitMs({ ms: 0, limit: 'helloTimeoutMs' }, advertised)).toBe(900);
    expect(waitMs({ ms: 500, limit: 'repushMs' }, undefined)).toBe(DEFAULT_LIMITS.repushMs + 500);
    expect(waitMs({ ms: 250 }, advertised)).toBe(250);
  });
});
