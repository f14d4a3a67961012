/**
 * The always-on judges' shared message index: one per run, keyed by what the frames carry —
 * (sender user, cmid) and smid — so a message costs one hash-map entry per key however many
 * judges look at it. Each key gets a slot (an integer, in birth order); a judge keeps its facts
 * about a message in columns of that table (event indexes in Int32Arrays, as the ledger's own
 * tables.ts does), never in maps of its own.
 *
 * Why: measured on 1M clean messages, the judges' own maps (about sixteen lookups a message in
 * maps of a million string keys, each a likely cache miss) were half of check()'s CPU and made it
 * superlinear. The judges of one event look up the same key one after another, so the table
 * remembers its last answer: the first judge pays for the lookup, the next ones compare a string.
 *
 * Memory is bounded like the judges' was: `forget(floor)` drops every key born before `floor`
 * (slots are born in event order, so that is a prefix) and tells the judges which, so what they
 * remember of a retired message goes with it. A forgotten key is "nothing known", never a
 * violation: a judge must read a missing slot as absence of knowledge.
 */

import { Arena } from '../ints.js';
import { KeyTable } from './key-table.js';
import { UserNames } from './types.js';

export { type DropListener, KeyTable } from './key-table.js';

/**
 * A column's "never set" for facts that are event indexes kept as is or, once their one finding is
 * made, as their ones' complement (`~idx`: negative, and ~0 is -1, so -1 cannot mean unset).
 */
export const UNSET = -0x80000000;

/** One run's index: the tables every always-on judge reads and keeps its columns in. */
export class MessageIndex {
  /** (sender user, cmid): the message as its sender's app knows it. */
  readonly messages = new KeyTable();
  /** smid: the message as the server names it. */
  readonly smids = new KeyTable();
  /**
   * Actor → user name, one cache for every judge: the judges of one event ask for the same actor
   * one after another, and each judge's own last-actor cache missed on every change of actor
   * (5 map lookups a message on the clean exchange, 3 shared).
   */
  readonly users = new UserNames();
  /** The event count at the latest forget (0: none): state from before it may be gone. */
  forgetAt = 0;
  /** Where the run's per-message lists (ints.ts) take their chunks: shared buffers once reserved. */
  readonly arena = new Arena();
  /**
   * Per smid: the (sender, cmid) slot of the message whose msg:A got it. Pushes and receipts
   * carry both the smid and (sender, cmid): found through the smid the judges of that event have
   * just looked up, the second key costs a string comparison instead of a lookup in a large map.
   */
  private readonly messageOf = this.smids.column(-1);
  /**
   * Per (sender user, cmid): its first msg:R that names a `to` (an event index, -1: none seen),
   * whose `to` the judges of addressees read back (receipt-addressee, push-addressee). One column
   * for both: the fact is the same, and a column costs every message 4 bytes.
   */
  readonly requested = this.messages.column(-1);

  /**
   * Event `i` is a msg:R of `user` for `cmid` that names a receiver: the first such is kept
   * (a duplicate's other `to` changes nothing stored, DEDUP-4). Each judge reading msg:R calls it;
   * after the first, a lookup the table remembers and a comparison.
   */
  noteRequest(user: string, cmid: string, i: number): void {
    const slot = this.messages.slot(user, cmid, i);
    if (this.requested.get(slot) < 0) this.requested.set(slot, i);
  }

  /** Smid `smid` was given by a msg:A to `user`'s cmid `cmid` (the first such answer counts). */
  link(smid: string, user: string, cmid: string): void {
    const s = this.smids.find(smid);
    if (s < 0 || this.messageOf.get(s) >= 0) return;
    const m = this.messages.find(user, cmid);
    if (m >= 0) this.messageOf.set(s, m);
  }

  /** The slot of `user`'s cmid `cmid` (-1: none), through `smid` when the frame carries one. */
  findMessage(user: string, cmid: string, smid: unknown): number {
    if (typeof smid === 'string') {
      const s = this.smids.find(smid);
      const m = s < 0 ? -1 : this.messageOf.get(s);
      if (m >= 0 && this.messages.keyIs(m, user, cmid)) return m;
    }
    return this.messages.find(user, cmid);
  }

  /** Room for `n` messages in both tables (see KeyTable.reserve); the run's lists go on shared buffers. */
  reserve(n: number): void {
    this.messages.reserve(n);
    this.smids.reserve(n);
    this.arena.reserved = true;
  }

  /** A streaming ledger retired everything born before `floor`; called at event count `now`. */
  forget(floor: number, now: number): void {
    this.messages.forget(floor);
    this.smids.forget(floor);
    this.forgetAt = now;
  }
}
