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
   * The frame's members under RAN/1 names (rid, cmid, smid, seq, upTo…), whatever the protocol:
   * what identifies the frame's message. @default {}
   */
  fields?: Readonly<Record<string, unknown>>;
  /** The connection's user and actor ("alice/phone"), once its hello:R was seen. */
  user: string | undefined;
  actor: string | undefined;
}

/**
 * Per-connection random streams: one per rule and direction, labelled by the rule, the
 * connection's actor and per-actor connection number, and the direction. Frames of one direction
 * of one connection arrive in TCP order, so a rule's draws do not depend on how frames of other
 * connections, or of the other direction, happened to interleave with them.
 */
export interface StreamSource {
  streamKey: string;
  streams: Map<string, Rng>;
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

  /** The rule's random stream for one direction of this connection (also used for the action's own draws). */
  stream(source: StreamSource, rule: FrameRule, direction: Direction): Rng {
    const key = `${rule.id}\u0000${direction}`;
    let s = source.streams.get(key);
    if (!s) {
      s = this.rng.fork(`rule:${rule.id}/${source.streamKey}/${direction}`);
      source.streams.set(key, s);
    }
    return s;
  }

  /** Counts the frame for every rule it matches, and returns the first rule that fires on it. */
  decide(frame: FrameInfo, source: StreamSource): FrameRule | undefined {
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
      if (rule.probability < 1 && !this.stream(source, rule, frame.direction).chance(rule.probability))
        continue;
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
