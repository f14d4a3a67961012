/**
 * When rules are in force. A rule's window (`from`/`until`, by step index or time) decides,
 * unless the runner overrides it with `setActive` (for example to switch a rule on exactly while
 * a timeline step runs). Pure: the clock is passed in.
 */

import { ConfigError } from '../errors.js';
import type { Bound, FaultRule } from './types.js';

export class RuleGate {
  private step = 0;
  private readonly forced = new Map<string, boolean>();
  /** True when some rule has a time bound, so the clock must be read per decision. */
  private readonly timed: boolean;

  constructor(
    private readonly rules: readonly FaultRule[],
    private readonly clock: () => number,
  ) {
    this.timed = rules.some((r) => isTime(r.window.from) || isTime(r.window.until));
  }

  /** The timeline step that is running now (the runner's StepEvent.index). Starts at 0. */
  setStep(index: number): void {
    this.step = index;
  }

  currentStep(): number {
    return this.step;
  }

  /** Force a rule on (`true`) or off (`false`) whatever its window says; `undefined` hands it back to the window. */
  setActive(ruleId: string, active: boolean | undefined): void {
    if (!this.rules.some((r) => r.id === ruleId)) {
      throw new ConfigError(
        `no fault rule "${ruleId}" in this proxy; rules: ${this.rules.map((r) => r.id).join(', ') || '(none)'}`,
      );
    }
    if (active === undefined) this.forced.delete(ruleId);
    else this.forced.set(ruleId, active);
  }

  /** Milliseconds on the proxy's clock, read only when some window needs it. */
  now(): number {
    return this.timed ? this.clock() : 0;
  }

  /** Whether `rule` is in force at step `this.step` and time `now` (from `now()`). */
  isActive(rule: FaultRule, now: number): boolean {
    const forced = this.forced.get(rule.id);
    if (forced !== undefined) return forced;
    const { from, until } = rule.window;
    if (from && value(from, this.step, now) < boundValue(from)) return false;
    if (until && value(until, this.step, now) >= boundValue(until)) return false;
    return true;
  }
}

function isTime(b: Bound | undefined): boolean {
  return b !== undefined && 'ms' in b;
}

function value(b: Bound, step: number, now: number): number {
  return 'step' in b ? step : now;
}

function boundValue(b: Bound): number {
  return 'step' in b ? b.step : b.ms;
}
