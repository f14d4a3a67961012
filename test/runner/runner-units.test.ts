import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { caseSeed, matchesOnly, replayCommand, shellWord } from '../../src/runner/case-replay.js';
import { resolveRunOptions } from '../../src/runner/options.js';
import { at, expand, matches } from '../../src/runner/probe.js';
import type { Scenario } from '../../src/scenarios/types.js';

describe('--only', () => {
  it('selects exact ids and * globs, and everything when empty', () => {
    expect(matchesOnly('lost-msg-a', [])).toBe(true);
    expect(matchesOnly('lost-msg-a', ['lost-msg-a'])).toBe(true);
    expect(matchesOnly('lost-msg-a', ['lost-*'])).toBe(true);
    expect(matchesOnly('lost-msg-a', ['*-a'])).toBe(true);
    expect(matchesOnly('lost-msg-a', ['lost'])).toBe(false);
    expect(matchesOnly('lost-msg-a', ['dedup-*', 'auth'])).toBe(false);
    // Regex metacharacters in ids are literal.
    expect(matchesOnly('a.b', ['a.b'])).toBe(true);
    expect(matchesOnly('axb', ['a.*'])).toBe(false);
  });
});

describe('case seeds', () => {
  it('are a pure function of run seed, case id and repetition, so --only X --seed S replays X', () => {
    expect(caseSeed(42, 'lost-msg-a', 0)).toBe(caseSeed(42, 'lost-msg-a', 0));
    expect(caseSeed(42, 'lost-msg-a', 0)).not.toBe(caseSeed(43, 'lost-msg-a', 0));
    expect(caseSeed(42, 'lost-msg-a', 0)).not.toBe(caseSeed(42, 'lost-msg-b', 0));
    expect(caseSeed(42, 'lost-msg-a', 0)).not.toBe(caseSeed(42, 'lost-msg-a', 1));
  });
});

describe('run options', () => {
  it('apply defaults and freeze', () => {
    const o = resolveRunOptions({ seed: 7 });
    expect(o).toMatchObject({
      paths: ['suites/core'],
      driver: 'ran',
      repeat: 1,
      reports: ['console'],
      seed: 7,
      startTimeoutMs: 15_000,
    });
    expect(Object.isFrozen(o)).toBe(true);
  });
  it.each([
    [{ targetCmd: 'x' }, /--target-cmd needs --target/],
    [{ target: 'ws://127.0.0.1:1', serverFaults: ['no-dedup'] }, /embedded reference server only/],
    [{ repeat: 0 }, /--repeat must be a positive integer/],
    [{ seed: -1 }, /--seed must be a non-negative integer/],
    [{ timeoutMs: 0 }, /--timeout must be a positive duration/],
    [{ startTimeoutMs: 0, target: 'ws://127.0.0.1:1', targetCmd: 'x' }, /--start-timeout must be a positive/],
    [{ startTimeoutMs: 60_000 }, /--start-timeout applies to a server the kit starts: give --target-cmd/],
  ])('refuse %j with a UsageError that says what to do', (input, message) => {
    expect(() => resolveRunOptions(input)).toThrow(UsageError);
    expect(() => resolveRunOptions(input)).toThrow(message);
  });
});

describe('probe expectations', () => {
  it('look up dotted paths, array lengths included', () => {
    const frame = { msgs: [{ body: 'first' }], limits: { dedupWindowMs: 5 } };
    expect(at(frame, 'msgs.0.body')).toBe('first');
    expect(at(frame, 'msgs.length')).toBe(1);
    expect(at(frame, 'limits.dedupWindowMs')).toBe(5);
    expect(at(frame, 'msgs.1.body')).toBeUndefined();
    expect(at(frame, '__proto__')).toBeUndefined();
  });
  it('compare exactly, or with a comparison operator', () => {
    expect(matches(null, null)).toBe(true);
    expect(matches('a', 'a')).toBe(true);
    expect(matches(1, '1')).toBe(false);
    expect(matches(86_400_000, { '>=': 86_400_000 })).toBe(true);
    expect(matches(1000, { '>=': 86_400_000 })).toBe(false);
    expect(matches(undefined, { '<': 3 })).toBe(false);
    expect(matches({ a: 1 }, { a: 1 })).toBe(true);
  });
  it('expand captures and size fillers in the text they send', () => {
    const captures = new Map<string, unknown>([
      ['token', 't0k'],
      ['n', 5],
    ]);
    expect(expand('{"token":"$token","n":"$n","x":"$missing"}', captures)).toBe(
      '{"token":"t0k","n":5,"x":"$missing"}',
    );
    expect(expand('{"body":"$fill:4"}', captures)).toBe('{"body":"xxxx"}');
    expect(expand('$fill:3', captures)).toBe('xxx');
  });
  it('expand "$user:NAME" to the user as named on the target (the run prefix of a shared target)', () => {
    const prefixed = (u: string) => `run7-0-0-${u}`;
    expect(expand('{"to":"$user:dave","x":"$user:"}', new Map(), prefixed)).toBe(
      '{"to":"run7-0-0-dave","x":"$user:"}',
    );
    expect(expand('{"to":"$user:dave"}', new Map())).toBe('{"to":"dave"}');
  });
});

describe('replay commands', () => {
  it('quote what a shell would split or interpret, and leave plain words alone', () => {
    expect(shellWord('suites/core/lost-msg-a.yaml')).toBe('suites/core/lost-msg-a.yaml');
    expect(shellWord('ws://127.0.0.1:7400')).toBe('ws://127.0.0.1:7400');
    expect(shellWord('xmpp://127.0.0.1:5222?domain=localhost&register=1')).toBe(
      "'xmpp://127.0.0.1:5222?domain=localhost&register=1'",
    );
    expect(shellWord("exec serve --db '/tmp/a b'")).toBe(`'exec serve --db '\\''/tmp/a b'\\'''`);
  });

  it('carry every option that can change the verdict, and never the secret', () => {
    const scenario = { id: 'offline-kill-9', file: 'suites/servers/offline-kill-9.yaml' } as Scenario;
    const options = resolveRunOptions({
      seed: 7,
      driver: 'xmpp',
      target: 'xmpp://127.0.0.1:15222?register=1',
      targetCmd: 'exec scripts/targets/prosody.sh 15222 /tmp/x',
      startTimeoutMs: 60_000,
      provisionCmd: 'make-user',
      timeoutMs: 20_000,
      expectFailures: 'suites/expected/prosody-0.12.json',
      hmacSecret: 's3cret',
    });
    const line = replayCommand(scenario, options, 99);
    expect(line).toBe(
      "imspec run suites/servers/offline-kill-9.yaml --only offline-kill-9 --seed 7 --case-seed 99 --driver xmpp --target 'xmpp://127.0.0.1:15222?register=1' --target-cmd 'exec scripts/targets/prosody.sh 15222 /tmp/x' --start-timeout 1m --provision-cmd make-user --timeout 20s --expect-failures suites/expected/prosody-0.12.json",
    );
    expect(line).not.toContain('s3cret');
    const embedded = resolveRunOptions({
      seed: 1,
      serverFaults: ['no-dedup'],
      serverArgs: ['--repush-ms', '500'],
    });
    expect(replayCommand(scenario, embedded, 2)).toBe(
      'imspec run suites/servers/offline-kill-9.yaml --only offline-kill-9 --seed 1 --case-seed 2 --server-fault no-dedup --server-arg=--repush-ms --server-arg=500',
    );
  });
});
