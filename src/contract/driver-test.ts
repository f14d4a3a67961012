/**
 * `imspec driver-test`, as a function: load a driver (built-in, file or package), point it at the
 * user's server, and run the driver contract with fresh users per case, so the cases never see
 * each other's inboxes on a long-running server. With `targetCmd`, the kit starts the server
 * itself first (and stops it at the end).
 */

import { randomBytes } from 'node:crypto';
import { type LoadedDriver, loadDriver } from '../drivers/load.js';
import { UsageError } from '../errors.js';
import { closest } from '../hints.js';
import { checkReachable, checkTargetUrl } from '../preflight/index.js';
import { hmacToken } from '../protocol/auth.js';
import { CAPS, type Cap } from '../protocol/frames.js';
import { ProcessTarget } from '../runner/target.js';
import { CONTRACT_CASES } from './cases.js';
import type { ContractTarget } from './context.js';
import {
  type ContractCaseResult,
  type ContractReport,
  DEFAULT_CONTRACT_WAIT_MS,
  runDriverContract,
} from './run.js';

export interface DriverTestOptions {
  /** `--driver` value: a built-in name, a driver file or a package. */
  driver: string;
  /** The server's URL as the driver takes it. */
  target: string;
  /** Shell command that starts the server at `target` before the tests (stopped after). */
  targetCmd?: string;
  /** Secret the server derives tokens from (token = hex HMAC-SHA256(secret, user)). */
  hmacSecret: string;
  /** Capabilities the server is expected to offer. @default what its first session claims */
  claims?: readonly Cap[];
  /** Case ids to run. @default all */
  only?: readonly string[];
  /** How long a case waits for any one thing, in ms. @default 5000 */
  waitMs?: number;
  /** Prefix of the test users' names. @default `dt<random>-` */
  userPrefix?: string;
  onCase?: (result: ContractCaseResult) => void;
}

export interface DriverTestReport extends ContractReport {
  driver: LoadedDriver;
}

export async function runDriverTest(options: DriverTestOptions): Promise<DriverTestReport> {
  for (const cap of options.claims ?? []) {
    if (!(CAPS as readonly string[]).includes(cap)) {
      throw new UsageError(`--claims: unknown capability "${cap}"; known: ${CAPS.join(', ')}`);
    }
  }
  const ids = CONTRACT_CASES.map((c) => c.id);
  for (const id of options.only ?? []) {
    if (!ids.includes(id)) {
      const hint = closest(id, ids);
      throw new UsageError(
        `--only: no contract case "${id}"${hint ? ` (did you mean "${hint}"?)` : ''}; cases: ${ids.join(', ')}`,
      );
    }
  }
  const driver = await loadDriver(options.driver);
  // The URL's shape first; its reachability once the server (maybe started here) is up. The
  // login is the contract's own first case: a driver that cannot log in is what it tests.
  checkTargetUrl(options.target, driver.name);
  const prefix = options.userPrefix ?? `dt${randomBytes(3).toString('hex')}-`;
  const server = options.targetCmd
    ? await ProcessTarget.start({
        command: options.targetCmd,
        args: [],
        shell: true,
        url: { fixed: options.target },
      })
    : undefined;
  let n = 0;
  const setup = async (): Promise<ContractTarget> => {
    const users = { alice: `${prefix}${++n}-alice`, bob: `${prefix}${n}-bob` };
    return {
      driver: driver.create({ target: options.target }),
      users,
      tokens: {
        alice: hmacToken(options.hmacSecret, users.alice),
        bob: hmacToken(options.hmacSecret, users.bob),
      },
      teardown: async () => {},
    };
  };
  try {
    await checkReachable(options.target, driver.name);
    const report = await runDriverContract({
      setup,
      claims: options.claims,
      only: options.only,
      waitMs: options.waitMs ?? DEFAULT_CONTRACT_WAIT_MS,
      onCase: options.onCase,
    });
    return { ...report, driver };
  } finally {
    await server?.stop();
  }
}
