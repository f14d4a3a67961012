/**
 * How long a `wait` step sleeps. `wait: limits.repushMs + 500ms` follows the limit the target
 * advertises in hello:A, so a case that must outlast a server timer (a re-push that should not come
 * after an ack, PUSH-2) waits exactly as long as that server needs, not a fixed guess that is too
 * short for a slower server and wasted time on a faster one.
 */

import type { Limits } from '../protocol/frames.js';
import type { WaitStep } from '../scenarios/types.js';
import { DEFAULT_LIMITS } from '../server/options.js';

export function waitMs(step: Pick<WaitStep, 'ms' | 'limit'>, limits: Readonly<Limits> | undefined): number {
  if (step.limit === undefined) return step.ms;
  const advertised = limits?.[step.limit];
  // A target that advertises no limits (a driver whose protocol has none; FRAME-4 judges a RAN/1
  // server that omits them) is waited for as long as the reference server's documented default.
  const base = typeof advertised === 'number' && advertised > 0 ? advertised : DEFAULT_LIMITS[step.limit];
  return base + step.ms;
}
