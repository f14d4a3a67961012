/**
 * Client options for callers that build bots by hand (bench, tests, the probe); scenarios arrive
 * with resolved options. The defaults are the scenarios' own (src/scenarios/defaults.ts), so a
 * hand-built bot behaves as a bot of a scenario that says nothing.
 */

import { ConfigError } from '../errors.js';
import { DEFAULT_CLIENT_OPTIONS, MAX_RECONNECT_DELAY_MS } from '../scenarios/defaults.js';
import type { ClientOptions } from '../scenarios/types.js';

export { DEFAULT_CLIENT_OPTIONS, MAX_RECONNECT_DELAY_MS };

/** Defaults, checked and frozen. Unknown keys are refused so a typo cannot pass silently. */
export function resolveClientOptions(partial: Partial<ClientOptions> = {}): Readonly<ClientOptions> {
  const resolved: ClientOptions = { ...DEFAULT_CLIENT_OPTIONS };
  for (const [key, value] of Object.entries(partial)) {
    if (!(key in DEFAULT_CLIENT_OPTIONS)) {
      throw new ConfigError(
        `unknown client option "${key}": use one of ${Object.keys(DEFAULT_CLIENT_OPTIONS).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    const expected = typeof DEFAULT_CLIENT_OPTIONS[key as keyof ClientOptions];
    const badNumber = typeof value === 'number' && !(Number.isFinite(value) && value >= 0);
    if (typeof value !== expected || badNumber) {
      throw new ConfigError(
        `client option "${key}" must be a ${expected === 'number' ? 'number ≥ 0' : expected}`,
      );
    }
    (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  if (resolved.maxAttempts < 1) throw new ConfigError('client option "maxAttempts" must be at least 1');
  if (resolved.pageSize < 1) throw new ConfigError('client option "pageSize" must be at least 1');
  if (resolved.backoff < 1) throw new ConfigError('client option "backoff" must be at least 1');
  return Object.freeze(resolved);
}
