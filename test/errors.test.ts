/**
 * The error catalogue (src/errors.ts): every class has its own name, a unique stable
 * `IMSPEC_ERR_*` code, keeps the message it was given, carries the exit code the CLI uses, is an
 * ImspecError — and is documented in README.md's "Error codes" table with that exit code.
 * The table below pins the known classes; the sweep after it covers classes added later, so a new
 * error cannot ship undocumented.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors.js';
import {
  AuthError,
  ConfigError,
  ConnectionClosedError,
  DriverError,
  ImspecError,
  InternalError,
  ProtocolError,
  ProvisioningError,
  ScenarioError,
  ServerRejectedError,
  StorageError,
  TargetExitedError,
  TargetUnreachableError,
  TimeoutError,
  UnsupportedError,
  UsageError,
} from '../src/errors.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** code → exit column of README's "Error codes" table. */
function documentedCodes(): Map<string, number> {
  const section = readme.split(/^## Error codes$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = new Map<string, number>();
  for (const m of section.matchAll(/^\|\s*`(IMSPEC_ERR_[A-Z_]+)`\s*\|[^|]*\|\s*(\d+)\s*\|/gm)) {
    rows.set(m[1]!, Number(m[2]));
  }
  return rows;
}

const cause = new Error('root cause');

const table: [string, ImspecError, string, number, string][] = [
  ['UsageError', new UsageError('unknown option --x'), 'IMSPEC_ERR_USAGE', 2, 'unknown option --x'],
  ['ConfigError', new ConfigError('bad target'), 'IMSPEC_ERR_CONFIG', 2, 'bad target'],
  [
    'ScenarioError',
    new ScenarioError('unknown key "sned"', { file: 'suites/core/a.yaml', line: 3, col: 5 }),
    'IMSPEC_ERR_SCENARIO',
    2,
    'suites/core/a.yaml:3:5: unknown key "sned"',
  ],
  ['ScenarioError', new ScenarioError('no such file'), 'IMSPEC_ERR_SCENARIO', 2, 'no such file'],
  [
    'ProtocolError',
    new ProtocolError('missing member "body"', 'bad-frame', 'r1'),
    'IMSPEC_ERR_PROTOCOL',
    2,
    'missing member "body"',
  ],
  [
    'TargetUnreachableError',
    new TargetUnreachableError('ECONNREFUSED'),
    'IMSPEC_ERR_TARGET_UNREACHABLE',
    2,
    'ECONNREFUSED',
  ],
  ['TargetExitedError', new TargetExitedError('exited 1'), 'IMSPEC_ERR_TARGET_EXITED', 2, 'exited 1'],
  [
    'ServerRejectedError',
    new ServerRejectedError('bad-ack', 'bad-ack'),
    'IMSPEC_ERR_SERVER_REJECTED',
    2,
    'bad-ack',
  ],
  ['AuthError', new AuthError('auth-failed'), 'IMSPEC_ERR_AUTH', 2, 'auth-failed'],
  [
    'ProvisioningError',
    new ProvisioningError('registration of alice refused: not-allowed', 'alice'),
    'IMSPEC_ERR_PROVISION',
    2,
    'registration of alice refused: not-allowed',
  ],
  ['TimeoutError', new TimeoutError('no msg:A in 5000 ms'), 'IMSPEC_ERR_TIMEOUT', 2, 'no msg:A in 5000 ms'],
  [
    'ConnectionClosedError',
    new ConnectionClosedError('closed', 4409),
    'IMSPEC_ERR_CONNECTION_CLOSED',
    2,
    'closed',
  ],
  ['StorageError', new StorageError('disk full', { cause }), 'IMSPEC_ERR_STORAGE', 2, 'disk full'],
  [
    'UnsupportedError',
    new UnsupportedError('no sync over mqtt'),
    'IMSPEC_ERR_UNSUPPORTED',
    2,
    'no sync over mqtt',
  ],
  [
    'DriverError',
    new DriverError('apiVersion 2, expected 1'),
    'IMSPEC_ERR_DRIVER',
    2,
    'apiVersion 2, expected 1',
  ],
  ['InternalError', new InternalError('invariant broke'), 'IMSPEC_ERR_INTERNAL', 3, 'invariant broke'],
];

type ErrorClass = new (message: string) => ImspecError;

/** Every exported class that extends ImspecError, whatever was added since this file was written. */
const exportedClasses: [string, ErrorClass][] = Object.entries(errors as Record<string, unknown>)
  .filter(
    ([, value]) =>
      typeof value === 'function' && (value as { prototype: unknown }).prototype instanceof ImspecError,
  )
  .map(([name, value]) => [name, value as ErrorClass]);

describe('error catalogue', () => {
  it.each(table)('%s: name, code, message, exitCode, instanceof', (name, error, code, exitCode, message) => {
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(exitCode);
    expect(error).toBeInstanceOf(ImspecError);
    expect(error).toBeInstanceOf(Error);
    expect(errors.isImspecError(error)).toBe(true);
    expect(String(error.stack)).toContain(message);
  });

  it('carries extra context: wire code and rid, close code, position, cause', () => {
    const p = new ProtocolError('x', 'bad-json');
    expect([p.wireCode, p.rid]).toEqual(['bad-json', null]);
    expect(new ServerRejectedError('x', 'internal').wireCode).toBe('internal');
    expect(new ConnectionClosedError('x', 1001).closeCode).toBe(1001);
    expect(new ScenarioError('x', { file: 'f', line: 1, col: 2 }).position).toEqual({
      file: 'f',
      line: 1,
      col: 2,
    });
    expect(new StorageError('x', { cause }).cause).toBe(cause);
    expect(new ProvisioningError('x', 'alice').user).toBe('alice');
  });

  it.each(exportedClasses)(
    '%s: own name, IMSPEC_ERR_* code, documented in README with its exit code',
    (name, Cls) => {
      const error = new Cls('something went wrong');
      expect(error.name).toBe(name);
      expect(error.code).toMatch(/^IMSPEC_ERR_[A-Z_]+$/);
      expect(error.message).toBe('something went wrong');
      expect(error).toBeInstanceOf(ImspecError);
      const documented = documentedCodes();
      expect(documented.has(error.code), `${error.code} is missing from README.md "Error codes"`).toBe(true);
      expect(documented.get(error.code), `README exit column for ${error.code}`).toBe(error.exitCode);
    },
  );

  it('codes are unique across classes', () => {
    const codes = exportedClasses.map(([, Cls]) => new Cls('x').code);
    expect(codes.length).toBeGreaterThanOrEqual(table.length - 1);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('README documents no code that no class has', () => {
    const codes = new Set<string>(exportedClasses.map(([, Cls]) => new Cls('x').code));
    expect([...documentedCodes().keys()].filter((code) => !codes.has(code))).toEqual([]);
  });
});
