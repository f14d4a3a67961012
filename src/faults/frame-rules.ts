/**
 * What a frame-aware proxy sets up once and shares between the links of its client connections
 * (frame-link.ts): the rule gate and engine, the clock, fault recording, and the per-actor
 * connection and occurrence counters that replay relies on ("alice's 3rd msg:A" counts across
 * her reconnections, so it cannot live in one link).
 */

import type { History } from '../history/events.js';
import type { FrameCodec } from '../protocol/frame-codec.js';
import { checkCodecRules, FrameRuleEngine } from './frame-engine.js';
import { FrameIdentities } from './frame-identity.js';
import { RuleGate } from './gate.js';
import { createRng, type Rng } from './random.js';
import type { FaultRecord, FaultRule, FrameRule } from './types.js';

/** A count that links share by reference (an actor's connections count its frames together). */
export interface Counter {
  n: number;
}

/** What every link of one proxy shares. */
export interface LinkContext {
  engine: FrameRuleEngine;
  /** Frame identities for the engine's draws; only when some rule draws on chance. */
  identities: FrameIdentities | undefined;
  codec: FrameCodec;
  clock: () => number;
  /** Records a fault and returns its id. */
  record(fields: Omit<FaultRecord, 'kind' | 't' | 'id' | 'layer'>): number;
  /** Next connection number for an actor (1, 2, … across reconnects). */
  nextConn(actor: string): number;
  /** The occurrence count of (actor, direction, type) under `key`, shared by the actor's connections. */
  occurrences(key: string): Counter;
  stats: { undecodable: number };
}

export interface FrameRulesOptions {
  rules: readonly FaultRule[];
  codec: FrameCodec;
  rng?: Rng;
  /**
   * The run's user prefix on a shared target: left out of frame identities, so probabilistic rules
   * give a frame the same fate whatever the run's prefix. @default ''
   */
  userPrefix?: string;
  history?: History;
  onFault?: (event: FaultRecord) => void;
  stats: { undecodable: number; faults: number };
}

/**
 * What both frame-aware proxies set up the same way: the rule gate and engine (rules checked
 * against the codec first), the proxy's clock (the history's when there is one), fault recording
 * and the per-actor connection and occurrence counters replay relies on.
 */
export function frameRules(options: FrameRulesOptions): {
  ctx: LinkContext;
  gate: RuleGate;
  events: FaultRecord[];
} {
  const { history, stats, codec } = options;
  const rules = options.rules as readonly FrameRule[];
  checkCodecRules(codec, rules);
  const t0 = performance.now();
  const clock = history ? () => history.now() : () => performance.now() - t0;
  const gate = new RuleGate(rules, clock);
  const engine = new FrameRuleEngine(rules, options.rng ?? createRng('imspec'), gate);
  const events: FaultRecord[] = [];
  const actorConns = new Map<string, number>();
  const occurrences = new Map<string, Counter>();
  const ctx: LinkContext = {
    engine,
    identities: engine.drawsOnChance ? new FrameIdentities(options.userPrefix ?? '') : undefined,
    codec,
    clock,
    stats,
    record(fields) {
      const event: FaultRecord = {
        kind: 'fault',
        t: clock(),
        id: events.length + 1,
        layer: 'frame',
        ...fields,
      };
      if (event.actor === undefined) delete event.actor;
      if (event.cause === undefined) delete event.cause;
      events.push(event);
      stats.faults++;
      history?.append(event);
      options.onFault?.(event);
      return event.id;
    },
    nextConn(actor) {
      const n = (actorConns.get(actor) ?? 0) + 1;
      actorConns.set(actor, n);
      return n;
    },
    occurrences(key) {
      let counter = occurrences.get(key);
      if (counter === undefined) {
        counter = { n: 0 };
        occurrences.set(key, counter);
      }
      return counter;
    },
  };
  return { ctx, gate, events };
}
