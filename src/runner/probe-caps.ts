/**
 * Learns what the target claims (hello:A caps and limits) with one throwaway login before a case,
 * so cases for unclaimed features are UNSUPPORTED before any bot connects, and probes can wait
 * for the limits the server advertises (its hello timeout, say) instead of a fixed guess.
 */

import type { Driver } from '../drivers/driver.js';
import { History } from '../history/events.js';
import type { Cap, Limits } from '../protocol/frames.js';
import type { Account } from './provision.js';

export interface TargetClaims {
  caps: readonly Cap[];
  /** hello:A `limits`; undefined when the driver's protocol has none. */
  limits: Readonly<Limits> | undefined;
}

export async function probeCaps(
  driver: Driver,
  _url: string,
  tokenFor: (user: string) => string,
  prefix: string,
  provision?: (accounts: readonly Account[]) => Promise<void>,
): Promise<TargetClaims> {
  const user = `${prefix}imspec-probe`;
  await provision?.([{ user, token: tokenFor(user) }]);
  const session = await driver.connect(
    `${user}/caps`,
    { user, device: 'caps', token: tokenFor(user) },
    new History(),
  );
  try {
    return { caps: session.info.caps, limits: session.info.limits };
  } finally {
    await session.close();
  }
}
