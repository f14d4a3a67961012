/**
 * The explore config: defaults when absent, values read over them, and every mistake a
 * ConfigError (exit 2) naming file:line:col, with a hint for a misspelt key.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXPLORE_DEFAULTS, parseExploreConfig } from '../../src/explore/config.js';

function error(text: string): string {
  try {
    parseExploreConfig(text, 'explore.yaml');
  } catch (err) {
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('no error');
}

describe('explore config', () => {
  it('an empty file is the defaults; given keys override them, durations read with units', () => {
    expect(parseExploreConfig('', 'e.yaml')).toEqual(EXPLORE_DEFAULTS);
    const c = parseExploreConfig(
      'users: { min: 3, max: 5 }\nweights: { kill: 0 }\noffline: { min: 1s, max: 10s }\nshrink: { maxTime: 30s }\nfindOn: [FAIL, WARN]\n',
      'e.yaml',
    );
    expect(c.users).toEqual({ min: 3, max: 5 });
    expect(c.weights.kill).toBe(0);
    expect(c.weights.send).toBe(EXPLORE_DEFAULTS.weights.send);
    expect(c.offlineMs).toEqual({ min: 1000, max: 10_000 });
    expect(c.shrink).toEqual({ maxRuns: EXPLORE_DEFAULTS.shrink.maxRuns, maxMs: 30_000 });
    expect(c.findOn).toEqual(['FAIL', 'WARN']);
  });

  it.each([
    ['weights:\n  sned: 2\n', 'explore.yaml:2:3: unknown key "weights.sned"; did you mean "weights.send"?'],
    ['users: { min: 4, max: 2 }\n', 'explore.yaml:1:8: users: min and max are both needed'],
    ['send:\n  unicode: 2\n', 'explore.yaml:2:12: send.unicode: a chance is a number from 0 to 1'],
    ['caseTimeout: 5 seconds\n', 'explore.yaml:1:14: caseTimeout:'],
    ['users: { min: 1, max: 2 }\n', 'explore.yaml:1:15: users: min is at least 2'],
    ['findOn: [ERROR]\n', 'explore.yaml:1:9: findOn: a list of FAIL and WARN'],
    ['users: [\n', 'explore.yaml:'],
    [
      'wieghts: { send: 1 }\n',
      'explore.yaml:1:1: unknown key "wieghts"; did you mean "weights"?; known: users, devices, operations, weights, send,',
    ],
    [
      `weights: { ${Object.keys(EXPLORE_DEFAULTS.weights)
        .map((k) => `${k}: 0`)
        .join(', ')} }\n`,
      'explore.yaml:1:1: weights: every weight is 0',
    ],
  ])('refuses %j with a position', (text, message) => {
    expect(error(text)).toContain(message);
  });

  it('docs/explore.md shows the defaults as they are: its config block parses to EXPLORE_DEFAULTS', () => {
    const doc = readFileSync(new URL('../../docs/explore.md', import.meta.url), 'utf8');
    const block = /## The config[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(block).toBeDefined();
    expect(parseExploreConfig(block!, 'docs/explore.md')).toEqual(EXPLORE_DEFAULTS);
    // Every key is written out, not left to the defaults.
    for (const weight of Object.keys(EXPLORE_DEFAULTS.weights)) expect(block).toContain(`  ${weight}: `);
  });
});
