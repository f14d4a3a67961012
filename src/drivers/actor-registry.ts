/**
 * State a driver keeps per client across that client's connections within one history, shared
 * by the drivers of protocols with no inbox seq (MQTT, XMPP).
 */

import type { ActorId, History } from '../history/events.js';

/**
 * Driver-assigned seqs of one user's messages. The protocol has none, but bots and the checker
 * key delivery, acks and dedup on one: the n-th distinct message (smid) to reach any device of
 * the user is seq n, in every redelivery and on every device (so SEQ-2 and SEQ-3 hold by
 * construction and say nothing about the server).
 */
export class UserSeqs {
  /** The highest seq given out so far. */
  lastSeq = 0;
  private readonly seqs = new Map<string, number>();

  /** The seq of message `smid`: the one it already has, or the next. */
  seqOf(smid: string): number {
    let seq = this.seqs.get(smid);
    if (seq === undefined) {
      seq = ++this.lastSeq;
      this.seqs.set(smid, seq);
    }
    return seq;
  }
}

/**
 * How often each message (smid) has reached one device, across the device's connections: the
 * `attempt` of each push. A protocol that re-sends only after a reconnect (MQTT with DUP=1, XMPP
 * on resumption or from offline storage) would show 1 every time with a per-connection count.
 */
export class PushCounts {
  private readonly counts = new Map<string, number>();

  /** Counts one more arrival of `smid`; returns its attempt number (1 for the first). */
  count(smid: string): number {
    const attempt = (this.counts.get(smid) ?? 0) + 1;
    this.counts.set(smid, attempt);
    return attempt;
  }

  /** The attempt number of the latest arrival of `smid` (1 before any was counted). */
  latest(smid: string): number {
    return this.counts.get(smid) ?? 1;
  }
}

/** One actor state per (history, actor) and one user state per (history, user). */
export class ActorRegistry<Actor, User> {
  private readonly states = new WeakMap<History, { actors: Map<ActorId, Actor>; users: Map<string, User> }>();

  constructor(
    private readonly newUser: () => User,
    private readonly newActor: (user: User) => Actor,
  ) {}

  get(history: History, actor: ActorId, user: string): Actor {
    let perHistory = this.states.get(history);
    if (!perHistory) {
      perHistory = { actors: new Map(), users: new Map() };
      this.states.set(history, perHistory);
    }
    let state = perHistory.actors.get(actor);
    if (!state) {
      let shared = perHistory.users.get(user);
      if (!shared) {
        shared = this.newUser();
        perHistory.users.set(user, shared);
      }
      state = this.newActor(shared);
      perHistory.actors.set(actor, state);
    }
    return state;
  }
}
