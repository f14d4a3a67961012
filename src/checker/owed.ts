/**
 * Which device of a receiver is owed a stored message: the one rule the checker's loss verdicts
 * (PUSH-1, OFF-1, DUR-1) and the runner's `committed`/`settled` waits share, so a wait never holds
 * out for a message the checker would not miss.
 *
 * NEWDEV-1: a device that first logs in without local state starts at maxSeq − pending: what was
 * stored before it existed is history, reachable by paging backwards, never pushed. A device that
 * first logged in with a lastSeq had local state, so every later seq is owed to it. After a
 * reinstall (a later login without lastSeq) the device is still owed nothing it already committed
 * in an earlier app epoch: those sit below its cursor and the server rightly does not send them
 * again — callers check "ever committed" before asking this.
 */

/**
 * How long the server is given to do what it owes a connected client (a re-push, a receipt):
 * at least two re-push intervals (a re-push comes repushMs after a lost push), never under the
 * floor. The checker judges a missing receipt only after this much connected time, so the runner's
 * waits never hold out longer for one.
 */
export function graceFor(floorMs: number, maxRepushMs: number): number {
  return Math.max(floorMs, 2 * maxRepushMs);
}

/** How a device first met the server. */
export interface DeviceStart {
  /** maxSeq − pending of its first session; undefined before it ever logged in. */
  firstBase: number | undefined;
  /** Its first hello carried lastSeq (the app had local state). */
  firstHadState: boolean;
  /** When its first session came up (hello:A); +∞ before it ever logged in. */
  firstSessionT: number;
}

/**
 * Whether device `d` is owed a message. `seq`: the message's seq in the receiver's inbox, when any
 * device saw it (exact: above the device's starting point). Otherwise `storedFromT`: the earliest
 * the server can have stored it (its answered msg:R, not a late or duplicate msg:A): owed only when
 * that is after the device's first login, or the device had local state from the start.
 */
export function owedTo(d: Readonly<DeviceStart>, seq: number | undefined, storedFromT: number): boolean {
  if (seq !== undefined) return d.firstBase === undefined || seq > d.firstBase;
  return d.firstHadState || storedFromT > d.firstSessionT;
}
