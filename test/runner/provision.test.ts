/**
 * Accounts before a case: the `--provision-cmd` hook runs once per account, one after another,
 * with the account in its environment; a failure is a ProvisioningError with the hook's output.
 * And the driver's own provisioning, when there is no hook.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Driver } from '../../src/drivers/driver.js';
import { ProvisioningError } from '../../src/errors.js';
import { provisionAccounts } from '../../src/runner/provision.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-provision-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const accounts = [
  { user: 'run1-alice', token: 'tok-a' },
  { user: 'run1-bob', token: 'tok-b' },
];

/** A driver that only records what it was asked to provision. */
function recordingDriver(calls: string[]): Driver {
  return {
    name: 'recording',
    caps: [],
    connect: () => Promise.reject(new Error('not used')),
    provision: async (account) => {
      calls.push(`start ${account.user}`);
      await new Promise((r) => setTimeout(r, 5));
      calls.push(`end ${account.user}`);
    },
  };
}

describe('provisionAccounts', () => {
  it('runs the hook once per account, in turn, with user, password and target in its environment', async () => {
    const file = join(dir, 'created.txt');
    await provisionAccounts(accounts, {
      driver: recordingDriver([]),
      target: 'xmpp://127.0.0.1:5222',
      command: `echo "$IMSPEC_USER $IMSPEC_PASSWORD $IMSPEC_TARGET" >> ${file}`,
    });
    expect(readFileSync(file, 'utf8')).toBe(
      'run1-alice tok-a xmpp://127.0.0.1:5222\nrun1-bob tok-b xmpp://127.0.0.1:5222\n',
    );
  });

  it('names the account and keeps the output of a hook that fails, and stops there', async () => {
    const file = join(dir, 'tried.txt');
    const attempt = provisionAccounts(accounts, {
      driver: recordingDriver([]),
      target: 'mqtt://127.0.0.1:1883',
      command: `echo "$IMSPEC_USER" >> ${file}; echo "user_already_exists: $IMSPEC_USER" >&2; exit 3`,
    });
    await expect(attempt).rejects.toBeInstanceOf(ProvisioningError);
    await expect(attempt).rejects.toThrow(
      '--provision-cmd for run1-alice exited with code 3:\nuser_already_exists: run1-alice',
    );
    await expect(attempt).rejects.toMatchObject({ user: 'run1-alice', code: 'IMSPEC_ERR_PROVISION' });
    expect(readFileSync(file, 'utf8')).toBe('run1-alice\n');
  });

  it('gives up on a hook that hangs', async () => {
    const attempt = provisionAccounts(accounts.slice(0, 1), {
      driver: recordingDriver([]),
      target: 'mqtt://127.0.0.1:1883',
      command: 'exec sleep 30',
      timeoutMs: 200,
    });
    await expect(attempt).rejects.toThrow('--provision-cmd for run1-alice did not finish within 200 ms');
  });

  it("uses the driver's own provisioning without a hook, one account after the other", async () => {
    const calls: string[] = [];
    await provisionAccounts(accounts, { driver: recordingDriver(calls), target: 'xmpp://127.0.0.1:5222' });
    expect(calls).toEqual(['start run1-alice', 'end run1-alice', 'start run1-bob', 'end run1-bob']);
  });
});
