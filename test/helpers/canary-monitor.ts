/**
 * A monitor config for tests: two canary accounts `<scenario>-a` and `-b` on a target whose
 * tokens are HMACs of `secret`, probing every 200 ms unless `fields` say otherwise.
 */

import { type MonitorConfig, resolveMonitorConfig } from '../../src/monitor/config.js';
import { hmacToken } from '../../src/protocol/auth.js';

export function canaryConfig(
  target: string,
  scenario: string,
  secret: string,
  fields: Record<string, string> = {},
): MonitorConfig {
  const users = [`${scenario}-a`, `${scenario}-b`];
  return resolveMonitorConfig(
    {
      target,
      scenario,
      interval: '200ms',
      ...fields,
      accounts: users.map((user, i) => ({ user, tokenEnv: `T${i}` })),
    },
    { T0: hmacToken(secret, users[0]!), T1: hmacToken(secret, users[1]!) },
  );
}
