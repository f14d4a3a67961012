/**
 * Who is connected: the authenticated sessions by user and device. One session per (user,
 * device) — a newer hello replaces the older session (AUTH-6). "A device of the receiver is
 * connected" (RCPT-1, OFF-1, DEDUP-3) means an entry here.
 */

export interface RegisteredSession {
  readonly user: string;
  readonly device: string;
}

export class SessionRegistry<S extends RegisteredSession> {
  private readonly byUser = new Map<string, Map<string, S>>();

  get(user: string, device: string): S | undefined {
    return this.byUser.get(user)?.get(device);
  }

  /** Adds `session`; the caller has already closed any session it replaces. */
  add(session: S): void {
    let devices = this.byUser.get(session.user);
    if (!devices) {
      devices = new Map();
      this.byUser.set(session.user, devices);
    }
    devices.set(session.device, session);
  }

  /** Removes `session` if it is still the registered one for its (user, device). */
  remove(session: S): void {
    const devices = this.byUser.get(session.user);
    if (devices?.get(session.device) !== session) return;
    devices.delete(session.device);
    if (devices.size === 0) this.byUser.delete(session.user);
  }

  /** Sessions of every connected device of `user`. */
  devicesOf(user: string): Iterable<S> {
    return this.byUser.get(user)?.values() ?? [];
  }

  /** Every connected session (the `push-by-device-name` fault's lookup; the correct server never walks them all). */
  *all(): Generator<S> {
    for (const devices of this.byUser.values()) yield* devices.values();
  }

  hasAny(user: string): boolean {
    return this.byUser.has(user);
  }

  get size(): number {
    let n = 0;
    for (const devices of this.byUser.values()) n += devices.size;
    return n;
  }
}
