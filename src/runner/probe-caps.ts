/**
 * Learns what the target claims (hello:A caps) with one throwaway login before a case, so cases
 * for unclaimed features are UNSUPPORTED before any bot connects.
 */

import type { Driver } from '../drivers/driver.js';
import { History } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import type { Account } from './provision.js';

export async function probeCaps(
  driver: Driver,
  _url: string,
  tokenFor: (user: string) => string,
  prefix: string,
  provision?: (accounts: readonly Account[]) => Promise<void>,
): Promise<readonly Cap[]> {
  const user = `${prefix}imspec-probe`;
  await provision?.([{ user, token: tokenFor(user) }]);
  const session = await driver.connect(
    `${user}/caps`,
    { user, device: 'caps', token: tokenFor(user) },
    new History(),
  );
  try {
    return session.info.caps;
  } finally {
    await session.close();
  }
}
