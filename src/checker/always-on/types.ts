/**
 * Always-on rules: small pure judges that run on every history (case, explore, load, monitor),
 * whatever the case covers. Each is fed the history one event at a time — the checker's engine
 * runs them beside its own rules (src/checker/always-on/wire.ts), so the streaming ledger of
 * `imspec load` and the monitor judge them too. What a judge keeps is keyed by message or
 * connection and stamped with the event index it was born at, so a streaming ledger can tell it
 * to forget what belongs to settled messages (`forget`) and its memory follows the messages in
 * flight, not the run's length.
 */

import type { HistoryEvent } from '../../history/events.js';
import type { FindingInput } from '../findings.js';

export type Report = (finding: FindingInput) => void;

/** One run's judge: its state lives here, fed event by event. */
export interface AlwaysOnJudge {
  /** Event `i` of the history, in order. */
  event(e: HistoryEvent, i: number): void;
  /**
   * A streaming ledger has judged every message whose first event is below `floor`: drop what
   * was born before it. A judge must then never read a forgotten key's absence as a violation.
   */
  forget(floor: number): void;
}

export interface AlwaysOnRule {
  /** kebab-case name, shown in docs/always-on.md. */
  name: string;
  /** The requirement ids it judges. */
  requirements: readonly string[];
  /** A fresh judge for one run, reporting through `report`. */
  start(report: Report): AlwaysOnJudge;
}

/** The whole of `events` through one fresh judge (tests, and any caller holding a full history). */
export function judgeHistory(rule: AlwaysOnRule, events: readonly HistoryEvent[], report: Report): void {
  const judge = rule.start(report);
  for (let i = 0; i < events.length; i++) judge.event(events[i]!, i);
}

/** "alice/phone" → "alice". */
export function userOf(actor: string): string {
  const slash = actor.indexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Drops the entries of `map` born (`idx`) before `floor`; true when it dropped any. */
export function dropBorn<K, V extends { idx: number }>(map: Map<K, V>, floor: number): boolean {
  let dropped = false;
  for (const [k, v] of map) {
    if (v.idx < floor) {
      map.delete(k);
      dropped = true;
    }
  }
  return dropped;
}

/**
 * Keys already reported, so one broken message makes one finding. Bounded: past `limit` keys it
 * starts over — a repeat finding then only adds to the sink's capped count for its rule.
 */
export class Flagged {
  private readonly keys = new Set<string>();

  constructor(private readonly limit = 4096) {}

  /** True the first time `key` is flagged. */
  first(key: string): boolean {
    if (this.keys.has(key)) return false;
    if (this.keys.size >= this.limit) this.keys.clear();
    this.keys.add(key);
    return true;
  }
}

/**
 * Actors a proxy fault (duplicate, delay, reorder, corrupt) has touched so far: odd inbound
 * frames of theirs may be the proxy's, not the server's. The proxy records a fault before it
 * forwards the frame it acted on, so "so far" covers every frame the fault can explain.
 */
export class Faulted {
  private readonly actors = new Set<string>();
  private all = false;

  /** Takes in a fault event (any other event is ignored). */
  note(e: HistoryEvent): void {
    if (e.kind !== 'fault') return;
    if (e.actor === undefined) this.all = true;
    else this.actors.add(e.actor);
  }

  has(actor: string): boolean {
    return this.all || this.actors.has(actor);
  }
}
