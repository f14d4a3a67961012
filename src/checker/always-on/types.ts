/**
 * Always-on rules: small pure judges that run on every history (case, explore, load, monitor),
 * whatever the case covers. Each is fed the history one event at a time — the checker's engine
 * runs them beside its own rules (src/checker/always-on/wire.ts), so the streaming ledger of
 * `imspec load` and the monitor judge them too. What a judge keeps is keyed by message or
 * connection and stamped with the event index it was born at, so a streaming ledger can tell it
 * to forget what belongs to settled messages (`forget`) and its memory follows the messages in
 * flight, not the run's length.
 */

import type { HistoryEvent, HistoryEventKind } from '../../history/events.js';
import type { FrameType } from '../../protocol/frames.js';
import type { FindingInput } from '../findings.js';
import type { MessageIndex } from './message-index.js';

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

/** What a judge is fed: frames by their type ("msg:N"), other events by their kind ("send"). */
export type Reads = HistoryEventKind | FrameType;

export interface AlwaysOnRule {
  /** kebab-case name, shown in docs/always-on.md. */
  name: string;
  /** The requirement ids it judges. */
  requirements: readonly string[];
  /**
   * The events it looks at: only these are dispatched to it (most events of a run are frames
   * a given judge ignores, and a call per judge per event was a measurable share of check()).
   */
  reads: readonly Reads[];
  /**
   * A fresh judge for one run, reporting through `report`. `read` gives back event `i` for any
   * index the judge still holds (one it has not been told to forget): a judge keeps event
   * indexes, not copies of what the events say, so what it holds per message is a number — in
   * columns of the run's shared `index` (message-index.ts), which forgets with the judges.
   */
  start(report: Report, read: ReadEvent, index: MessageIndex): AlwaysOnJudge;
}

/** Event `i` of the history, for an index the judge still holds. */
export type ReadEvent = (i: number) => HistoryEvent;

/** "alice/phone" → "alice". */
export function userOf(actor: string): string {
  const slash = actor.indexOf('/');
  return slash < 0 ? actor : actor.slice(0, slash);
}

export { num, str } from '../field-values.js';

/**
 * The event index an entry of an index map was born at: entries hold it as is, or as its ones'
 * complement once their one finding is made (`~idx`, negative), so the flag costs no object.
 */
export function bornAt(v: number): number {
  return v < 0 ? ~v : v;
}

/**
 * Drops the entries of `map` (values: bornAt-encoded event indexes) born before `floor`; true
 * when it dropped any. Entries are only ever added in event order and their birth never changes,
 * so a Map's insertion order is birth order: the walk stops at the first one still alive, and
 * a retirement costs what it forgets, not what is held.
 */
export function dropBorn<K>(map: Map<K, number>, floor: number): boolean {
  let dropped = false;
  for (const [k, v] of map) {
    if (bornAt(v) >= floor) break;
    map.delete(k);
    dropped = true;
  }
  return dropped;
}

/** Whether actor "user/device" (or a bare "user") belongs to `user`, without slicing a string. */
export function actorIsUser(actor: string, user: string): boolean {
  return (
    actor === user ||
    (actor.length > user.length && actor.charCodeAt(user.length) === 47 && actor.startsWith(user))
  );
}

/** actor → its user name, one slice per actor rather than one per event. */
export class UserNames {
  private readonly names = new Map<string, string>();
  private lastActor: string | undefined;
  private lastUser = '';

  of(actor: string): string {
    if (actor === this.lastActor) return this.lastUser;
    let user = this.names.get(actor);
    if (user === undefined) {
      user = userOf(actor);
      this.names.set(actor, user);
    }
    this.lastActor = actor;
    this.lastUser = user;
    return user;
  }
}

/**
 * State per connection, found by (actor, conn) without building a key string per event; frames
 * of one connection come in runs, so the last one looked up answers most lookups.
 */
export class PerConn<T> {
  private readonly byActor = new Map<string, Map<number, T>>();
  private lastActor: string | undefined;
  private lastConn = Number.NaN;
  private last: T | undefined;

  get(actor: string, conn: number): T | undefined {
    if (actor === this.lastActor && conn === this.lastConn) return this.last;
    const v = this.byActor.get(actor)?.get(conn);
    if (v !== undefined) {
      this.lastActor = actor;
      this.lastConn = conn;
      this.last = v;
    }
    return v;
  }

  add(actor: string, conn: number, v: T): void {
    let conns = this.byActor.get(actor);
    if (conns === undefined) {
      conns = new Map();
      this.byActor.set(actor, conns);
    }
    conns.set(conn, v);
    this.lastActor = actor;
    this.lastConn = conn;
    this.last = v;
  }

  delete(actor: string, conn: number): void {
    const conns = this.byActor.get(actor);
    if (conns === undefined) return;
    conns.delete(conn);
    if (conns.size === 0) this.byActor.delete(actor);
    if (actor === this.lastActor && conn === this.lastConn) {
      this.lastActor = undefined;
      this.last = undefined;
    }
  }

  *values(): Generator<T> {
    for (const conns of this.byActor.values()) yield* conns.values();
  }
}

/**
 * (user, cmid) keys a streaming ledger forgot, in two generations of about `perGeneration` keys:
 * a late echo of a settled message is not a stranger's. A generation is the key parts as they
 * came (strings the events already hold, so no key string is built), indexed only once asked.
 */
export class ForgottenKeys {
  private cur = new KeyGeneration();
  private prev = new KeyGeneration();
  /** A generation was dropped with keys in it: absence no longer proves a key was never there. */
  lossy = false;

  constructor(private readonly perGeneration: number) {}

  add(user: string, cmid: string): void {
    this.cur.add(user, cmid);
    if (this.cur.size >= this.perGeneration) {
      this.lossy ||= this.prev.size > 0;
      this.prev = this.cur;
      this.cur = new KeyGeneration();
    }
  }

  has(user: string, cmid: string): boolean {
    return this.cur.has(user, cmid) || this.prev.has(user, cmid);
  }
}

/**
 * One generation of forgotten keys. Every retired message adds one, while asking is rare (a late
 * echo): measured on 500k clean messages, a set per user filled as keys came (hashing each cmid,
 * growing the sets) was 2% of the streaming ledger's CPU. The index is brought up to date when
 * asked, each key indexed once.
 */
class KeyGeneration {
  private readonly users: string[] = [];
  private readonly cmids: string[] = [];
  private index: Map<string, Set<string>> | undefined;
  private indexed = 0;

  get size(): number {
    return this.users.length;
  }

  add(user: string, cmid: string): void {
    this.users.push(user);
    this.cmids.push(cmid);
  }

  has(user: string, cmid: string): boolean {
    if (this.users.length === 0) return false;
    this.index ??= new Map();
    const index = this.index;
    for (; this.indexed < this.users.length; this.indexed++) {
      const u = this.users[this.indexed]!;
      let set = index.get(u);
      if (set === undefined) {
        set = new Set();
        index.set(u, set);
      }
      set.add(this.cmids[this.indexed]!);
    }
    return index.get(user)?.has(cmid) === true;
  }
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
    // Empty on a run without proxy faults: no set lookup per frame there (two judges ask each).
    return this.all || (this.actors.size > 0 && this.actors.has(actor));
  }
}
