/**
 * Accounts before a case: every user a case logs in is created once, one after another, before
 * the case's timeline — by the driver (XMPP in-band registration with `register=1`) or by the
 * user's own hook, `--provision-cmd`, for servers whose accounts the driver cannot create (an
 * admin CLI, an HTTP API). Creating accounts while the devices log in, concurrently, is not what
 * a case is about, and one XMPP server measured in the field broke the account's later logins when
 * two registrations of it raced. A failure is a ProvisioningError carrying the server's answer or
 * the hook's output, never a delivery verdict. docs/certify.md, "Accounts", is the guide.
 */

import { spawn } from 'node:child_process';
import type { Driver } from '../drivers/driver.js';
import { ProvisioningError } from '../errors.js';

export interface Account {
  /** The user name on the target (with the run's prefix). */
  user: string;
  /** Its password: the token the kit derives for it. */
  token: string;
}

export interface ProvisionOptions {
  driver: Driver;
  /** Target URL, passed to the hook as IMSPEC_TARGET. */
  target: string;
  /** `--provision-cmd`: run once per account instead of the driver's own provisioning. */
  command?: string;
  /** Per account. @default 10000 */
  timeoutMs?: number;
}

/** How long one account may take. */
export const PROVISION_TIMEOUT_MS = 10_000;

/** Output of a failing hook kept in the error. */
const OUTPUT_LINES = 10;

/** Creates each account in turn; rejects with ProvisioningError at the first that fails. */
export async function provisionAccounts(
  accounts: readonly Account[],
  options: ProvisionOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? PROVISION_TIMEOUT_MS;
  for (const account of accounts) {
    if (options.command !== undefined) await runHook(options.command, account, options.target, timeoutMs);
    else await options.driver.provision?.(account, timeoutMs);
  }
}

/**
 * The hook runs in a shell with the account in its environment (never on its command line, where
 * `ps` would show the password): IMSPEC_USER, IMSPEC_PASSWORD, IMSPEC_TARGET. Exit 0 means the
 * account exists with that password (created now or before).
 */
function runHook(command: string, account: Account, target: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, {
      shell: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        IMSPEC_USER: account.user,
        IMSPEC_PASSWORD: account.token,
        IMSPEC_TARGET: target,
      },
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const fail = (what: string, cause?: Error) =>
      reject(
        new ProvisioningError(
          `--provision-cmd for ${account.user} ${what}${tail(output)}`,
          account.user,
          cause ? { cause } : undefined,
        ),
      );
    child.once('error', (cause) => {
      clearTimeout(timer);
      fail(`could not start: ${cause.message}`, cause);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (signal === 'SIGKILL') fail(`did not finish within ${timeoutMs} ms`);
      else fail(`exited with ${code === null ? `signal ${signal}` : `code ${code}`}`);
    });
  });
}

function tail(output: string): string {
  const lines = output.trim().split('\n').filter(Boolean).slice(-OUTPUT_LINES);
  return lines.length ? `:\n${lines.join('\n')}` : ' (no output)';
}
