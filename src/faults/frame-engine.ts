/**
 * Which frame rule (if any) acts on a frame. Pure: no sockets, clock and generator passed in.
 *
 * Counting and choosing are separate on purpose. Every rule whose selector matches and that is in
 * force counts the frame (`nth`/`every` refer to that count), whether or not another rule acts on
 * it; then rules are tried in order and the first that fires acts. This keeps "the n-th matching
 * frame" independent of the other rules, which is what lets recorded events be replayed exactly as
 * a set of "act on the k-th frame matching Y" rules (replay.ts).
 */

import { ConfigError } from '../errors.js';
import type { FrameCodec } from '../protocol/frame-codec.js';
import type { FrameType, Kind, Op } from '../protocol/frames.js';
import type { RuleGate } from './gate.js';
import type { Rng } from './random.js';
import type { Direction, FrameMatch, FrameRule } from './types.js';

/** What the engine knows about one frame, from the protocol's frame codec. */
export interface FrameInfo {
  direction: Direction;
  /** `undefined` when the frame did not decode (or has no RAN/1 counterpart). */
  type: FrameType | undefined;
  /**
   * The frame's members under RAN/1 names (rid, cmid, smid, seq, upTo…), whatever the protocol.
   * No selector reads them; the proxies leave them out (they decode a frame only when a rule
   * acts on it). @default {}
   */
  fields?: Readonly<Record<string, unknown>>;
  /** The connection's user and actor ("alice/phone"), once its hello:R was seen. */
  user: string | undefined;
  actor: string | undefined;
  /**
   * What the frame is, whenever it arrives (frame-identity.ts): connection, direction, type,
   * message ids and attempt. A probabilistic rule's draw for the frame, and its action's own draws,
   * come from the rule and this identity alone, so the same logical frame meets the same fate in
   * every run of a seed, however acks happened to batch or connections to interleave.
   */
  identity: string;
}

interface RuleState {
  matched: number;
  fired: number;
  limit: number;
}

export class FrameRuleEngine {
  private readonly state: RuleState[];

  constructor(
    readonly rules: readonly FrameRule[],
    private readonly rng: Rng,
    private readonly gate: RuleGate,
  ) {
    this.state = rules.map((r) => ({
      matched: 0,
      fired: 0,
      limit: r.times ?? (r.nth !== undefined ? 1 : Number.POSITIVE_INFINITY),
    }));
  }

  get empty(): boolean {
    return this.rules.length === 0;
  }

  /** True when some rule draws on chance (only then does a frame need its identity). */
  get drawsOnChance(): boolean {
    return this.rules.some((r) => r.probability < 1);
  }

  /** Whether `rule` fires on one logical frame: a draw of its own, from the rule and the frame's identity. */
  private fires(rule: FrameRule, frame: FrameInfo): boolean {
    return this.rng.fork(`rule:${rule.id}/${frame.identity}`).chance(rule.probability);
  }

  /** The draws of `rule`'s action on one logical frame (a delay's jitter, the member `corrupt` spoils). */
  actionDraws(rule: FrameRule, frame: Pick<FrameInfo, 'identity'>): Rng {
    return this.rng.fork(`rule:${rule.id}/${frame.identity}/action`);
  }

  /** Counts the frame for every rule it matches, and returns the first rule that fires on it. */
  decide(frame: FrameInfo): FrameRule | undefined {
    let chosen: FrameRule | undefined;
    let now: number | undefined;
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i]!;
      if (!matches(rule.match, frame)) continue;
      now ??= this.gate.now();
      if (!this.gate.isActive(rule, now)) continue;
      const st = this.state[i]!;
      st.matched++;
      if (chosen) continue;
      if (rule.nth !== undefined && st.matched !== rule.nth) continue;
      if (rule.every !== undefined && st.matched % rule.every !== 0) continue;
      if (st.fired >= st.limit) continue;
      if (rule.probability < 1 && !this.fires(rule, frame)) continue;
      st.fired++;
      chosen = rule;
    }
    return chosen;
  }
}

/** Whether a frame satisfies every selector of `match`. */
export function matches(match: FrameMatch, frame: FrameInfo): boolean {
  if (match.direction !== undefined && match.direction !== frame.direction) return false;
  if (match.undecodable !== undefined && match.undecodable !== (frame.type === undefined)) return false;
  if (match.op !== undefined || match.kind !== undefined) {
    if (frame.type === undefined) return false;
    const colon = frame.type.indexOf(':');
    if (match.op !== undefined && !match.op.includes(frame.type.slice(0, colon) as Op)) return false;
    if (match.kind !== undefined && !match.kind.includes(frame.type.slice(colon + 1) as Kind)) return false;
  }
  if (match.user !== undefined) {
    if (frame.user === undefined) return false;
    let any = false;
    for (const u of match.user) {
      if (u === frame.user || u === frame.actor) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/**
 * Refuses, before any connection, a rule the protocol's codec cannot carry out: `corrupt` needs
 * the codec to know how to spoil a frame of its protocol.
 */
export function checkCodecRules(codec: FrameCodec, rules: readonly FrameRule[]): void {
  const corrupt = rules.find((r) => r.action.type === 'corrupt');
  if (corrupt && typeof codec.corrupt !== 'function') {
    throw new ConfigError(
      `fault rule "${corrupt.id}" corrupts frames, but the ${codec.name} codec has no corrupt(); add one to the codec or use another action`,
    );
  }
}
