/**
 * What a contract case gets: the driver under test, a fresh history, the two test users, and
 * small helpers (log in, wait for a notification) that keep every case short and its failures
 * worded as broken duties.
 */

import type { Driver, DriverSession, Notification } from '../drivers/driver.js';
import type { History } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import { ContractViolation, type Duty } from './duties.js';

/** A target for one contract case: a driver pointed at a server, and the two test users. */
export interface ContractTarget {
  driver: Driver;
  /** Tokens (passwords) of the two test users. */
  tokens: { alice: string; bob: string };
  /** User names as the target spells them. @default { alice: 'alice', bob: 'bob' } */
  users?: { alice: string; bob: string };
  /** Stops the target (or forgets it) and removes its data. */
  teardown(): Promise<void>;
}

export type Who = 'alice' | 'bob';

export class ContractContext {
  readonly users: { alice: string; bob: string };
  /** Sessions opened by `login`; the runner aborts what is still open after the case. */
  readonly open: DriverSession[] = [];
  private unique = 0;

  constructor(
    readonly target: ContractTarget,
    readonly history: History,
    readonly claims: readonly Cap[],
    /** How long a case waits for anything. */
    readonly waitMs: number,
  ) {
    this.users = target.users ?? { alice: 'alice', bob: 'bob' };
  }

  get driver(): Driver {
    return this.target.driver;
  }

  claimed(cap: Cap): boolean {
    return this.claims.includes(cap);
  }

  /** The actor id of `who` on `device`: "<user>/<device>", as the runner forms it. */
  actor(who: Who, device = 'd1'): string {
    return `${this.users[who]}/${device}`;
  }

  /** Logs `who` in on device `device`. */
  async login(who: Who, lastSeq?: number, device = 'd1'): Promise<DriverSession> {
    const s = await this.driver.connect(
      this.actor(who, device),
      { user: this.users[who], device, token: this.target.tokens[who], lastSeq, timeoutMs: this.waitMs },
      this.history,
    );
    this.open.push(s);
    return s;
  }

  /** bob's current maxSeq, learnt by logging in and out. */
  async bobMaxSeq(): Promise<number> {
    const s = await this.login('bob', 0);
    const max = s.info.maxSeq;
    await s.close();
    return max;
  }

  body(): string {
    return `body-${this.driver.name}-${++this.unique}-${Date.now()}`;
  }

  cmid(): string {
    return `c-${++this.unique}-${Math.random().toString(36).slice(2, 8)}`;
  }

  /**
   * Resolves with the first notification `match` accepts; a ContractViolation of `duty` when none
   * comes within waitMs.
   */
  notified<T extends Notification>(
    session: DriverSession,
    match: (n: Notification) => n is T,
    duty: Duty,
    what: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const seen: string[] = [];
      const timer = setTimeout(() => {
        off();
        reject(
          new ContractViolation(
            duty,
            `${what} on ${session.actor} within ${this.waitMs} ms`,
            seen.length ? `only ${seen.join(', ')}` : 'no notification at all',
          ),
        );
      }, this.waitMs);
      const off = session.onNotification((n) => {
        if (!match(n)) {
          seen.push(n.type === 'msg:N' ? `msg:N cmid ${n.msg.cmid}` : `ack:N ${n.status} cmid ${n.cmid}`);
          return;
        }
        clearTimeout(timer);
        off();
        resolve(n);
      });
    });
  }

  /** Awaits a driver call; a rejection becomes a ContractViolation of `duty`. */
  async call<T>(duty: Duty, what: string, promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof ContractViolation) throw error;
      const e = error as Error;
      throw new ContractViolation(
        duty,
        `${what} to succeed`,
        `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`,
      );
    }
  }
}

export const isMsg =
  (cmid: string) =>
  (n: Notification): n is Extract<Notification, { type: 'msg:N' }> =>
    n.type === 'msg:N' && n.msg.cmid === cmid;

export const isReceipt =
  (cmid: string, status: 'stored' | 'delivered') =>
  (n: Notification): n is Extract<Notification, { type: 'ack:N' }> =>
    n.type === 'ack:N' && n.cmid === cmid && n.status === status;
