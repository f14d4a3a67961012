/**
 * A monitor config for tests: two canary accounts `<scenario>-a` and `-b` on a target whose
 * tokens are HMACs of `secret`, probing every 200 ms unless `fields` say otherwise.
 */

import { resolveFaultRules } from '../../src/faults/resolve.js';
import { startWsProxy } from '../../src/faults/ws-proxy.js';
import { type MonitorConfig, resolveMonitorConfig } from '../../src/monitor/config.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { startServer } from '../../src/server/server.js';

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

/** A reference server for canaries, behind the frame-aware fault proxy when `rules` are given. */
export interface CanaryTarget {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a reference server whose tokens are HMACs of `secret` (re-push after 60 s, so a dropped
 * push stays lost for a monitor's cycle) and, with `rules`, the fault proxy in front of it.
 */
export async function canaryTarget(secret: string, rules: unknown[]): Promise<CanaryTarget> {
  const server = await startServer({ port: 0, hmacSecret: secret, repushMs: 60_000 });
  if (!rules.length) return { url: server.url, close: () => server.close() };
  const proxy = await startWsProxy({ upstream: server.url, rules: resolveFaultRules(rules) });
  return {
    url: proxy.url,
    close: async () => {
      await proxy.close();
      await server.close();
    },
  };
}
