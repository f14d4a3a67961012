/**
 * One monitor account: a long-lived session that reconnects on its own with exponential
 * backoff, commits canaries it receives (dedup by smid, gap detection, cumulative ack), and
 * lets the probe wait for a canary's delivery or receipt by cmid.
 *
 * Why not src/bots: a bot keeps its whole local store and outbox — right for a case, which
 * checks them at the end, wrong for a process that runs for months. Everything here is bounded:
 * seen smids and waiters live in BoundedMaps, and the history is a RollingHistory.
 */

import type { Driver, DriverSession, Notification, SyncPage } from '../drivers/driver.js';
import type { History } from '../history/events.js';
import { BoundedMap } from '../metrics/bounded-map.js';
import type { MonitorAccount } from './config.js';

export interface AccountTiming {
  reconnectMinMs: number;
  reconnectMaxMs: number;
  requestTimeoutMs: number;
}

interface Waiter {
  resolve: (value: { smid: string; t: number }) => void;
}

/**
 * How many recent smids/cmids an account remembers for dedup: the canaries of the last ~500
 * cycles. A re-push of anything older than that is long overdue and counts as a new message.
 */
const REMEMBER = 1_000;

/** Messages one gap's refetch asks for. */
const REFETCH_LIMIT = 100;

/**
 * Seqs between `have` and `saw` (both excluded) that a refetch after `have` did not return, the
 * first `max` of them (a server may push seq 10^12: the list stays bounded). A page with more
 * behind it covers only up to its last seq; the rest is unknown, not missing.
 */
export function missingSeqs(page: SyncPage, have: number, saw: number, max: number): number[] {
  let covered = saw - 1;
  if (page.more)
    covered = Math.min(
      covered,
      page.msgs.reduce((top, m) => Math.max(top, m.seq), have),
    );
  const got = new Set(page.msgs.map((m) => m.seq));
  const missing: number[] = [];
  for (let seq = have + 1; seq <= covered && missing.length < max; seq++)
    if (!got.has(seq)) missing.push(seq);
  return missing;
}

export class ProbeAccount {
  readonly actor: string;
  /** Connection attempts that failed since the monitor started. */
  connectFailures = 0;
  /** Set when the last connect attempt failed: why. */
  lastError: string | undefined;
  private current: DriverSession | undefined;
  private lastSeq: number | undefined;
  private stopped = false;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private wakeConnected: (() => void)[] = [];
  /** smid → true for messages this account committed (wire duplicates are dropped). */
  private readonly committed = new BoundedMap<string, true>(REMEMBER);
  /** cmid → smid of committed canaries: a second smid for one cmid is an app duplicate. */
  private readonly byCmid = new BoundedMap<string, string>(REMEMBER);
  private readonly deliveries = new BoundedMap<string, Waiter>(REMEMBER);
  private readonly receipts = new BoundedMap<string, Waiter>(REMEMBER);
  /** Serialises notification handling so a gap refetch and pushes never commit concurrently. */
  private chain: Promise<void> = Promise.resolve();
  /** Called when a cmid is committed under a second smid (the server broke DEDUP). */
  onAppDuplicate: (cmid: string) => void = () => {};
  /**
   * Seqs a gap's refetch showed missing from the inbox (history time they were noted). Under
   * contiguous-seq a seq the server never handed out is SEQ-1's hole, but a late push may still
   * bring it: a commit clears it, and `takeHoles` counts only what stayed missing.
   */
  private readonly holes = new Map<number, number>();

  constructor(
    readonly account: MonitorAccount,
    private readonly driver: Driver,
    private readonly history: History,
    private readonly timing: AccountTiming,
  ) {
    this.actor = `${account.user}/${account.device}`;
    this.delayMs = timing.reconnectMinMs;
  }

  get session(): DriverSession | undefined {
    return this.current;
  }

  start(): void {
    void this.connect();
  }

  /** Resolves with the session once connected, or undefined after `timeoutMs`. */
  async connected(timeoutMs: number): Promise<DriverSession | undefined> {
    if (this.current || this.stopped) return this.current;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeConnected = this.wakeConnected.filter((w) => w !== wake);
        resolve(this.current);
      }, timeoutMs);
      const wake = () => {
        clearTimeout(timer);
        resolve(this.current);
      };
      this.wakeConnected.push(wake);
    });
  }

  /** A promise for the commit of `cmid` here; `forget(cmid)` drops it. */
  expectDelivery(cmid: string): Promise<{ smid: string; t: number }> {
    return new Promise((resolve) => this.deliveries.set(cmid, { resolve }));
  }

  /** A promise for the first ack:N of `cmid` sent from here. */
  expectReceipt(cmid: string): Promise<{ smid: string; t: number }> {
    return new Promise((resolve) => this.receipts.set(cmid, { resolve }));
  }

  forget(cmid: string): void {
    this.deliveries.delete(cmid);
    this.receipts.delete(cmid);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const wake of this.wakeConnected.splice(0)) wake();
    const s = this.current;
    this.current = undefined;
    if (s) await s.close().catch(() => s.abort());
  }

  /**
   * Seqs noted missing at or before history time `notedBy` and never committed since: counted
   * once (SEQ-1 holes, imspec_seq_gaps_total) and forgotten.
   */
  takeHoles(notedBy: number): number {
    let n = 0;
    for (const [seq, t] of this.holes) {
      if (t > notedBy) continue;
      this.holes.delete(seq);
      n++;
    }
    return n;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const options = {
        user: this.account.user,
        device: this.account.device,
        token: this.account.token,
        timeoutMs: this.timing.requestTimeoutMs,
        ...(this.lastSeq === undefined ? {} : { lastSeq: this.lastSeq }),
      };
      const session = await this.driver.connect(this.actor, options, this.history);
      if (this.stopped) {
        await session.close().catch(() => session.abort());
        return;
      }
      this.current = session;
      this.lastError = undefined;
      this.delayMs = this.timing.reconnectMinMs;
      if (this.lastSeq === undefined) this.lastSeq = session.info.maxSeq - session.info.pending;
      session.onNotification((n) => {
        this.chain = this.chain.then(() => this.handle(session, n)).catch(() => undefined);
      });
      for (const wake of this.wakeConnected.splice(0)) wake();
      void session.closed.then(() => {
        if (this.current === session) this.current = undefined;
        this.schedule();
      });
    } catch (err) {
      this.connectFailures++;
      this.lastError = (err as Error)?.message ?? String(err);
      this.schedule();
    }
  }

  /** Exponential backoff: min, 2·min, 4·min … up to max; a success resets it. */
  private schedule(): void {
    if (this.stopped) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, this.timing.reconnectMaxMs);
    this.timer = setTimeout(() => void this.connect(), delay);
    this.timer.unref?.();
  }

  private async handle(session: DriverSession, n: Notification): Promise<void> {
    if (n.type === 'ack:N') {
      const w = this.receipts.get(n.cmid);
      if (w) {
        this.receipts.delete(n.cmid);
        w.resolve({ smid: n.smid, t: this.history.now() });
      }
      return;
    }
    const msg = n.msg;
    const have = this.lastSeq ?? 0;
    if (msg.seq > have + 1) {
      // SEQ-2: a gap; fetch the missing range before committing this one.
      this.history.append({ kind: 'gap', t: this.history.now(), actor: this.actor, have, saw: msg.seq });
      const page = await session
        .sync({ after: have, limit: REFETCH_LIMIT }, this.timing.requestTimeoutMs)
        .catch(() => undefined);
      for (const m of page?.msgs ?? []) if (m.seq < msg.seq) this.commit(m, 'sync');
      // A refetch that failed proves nothing; one that answered shows which seqs the inbox lacks.
      if (page !== undefined && session.info.caps.includes('contiguous-seq')) {
        const now = this.history.now();
        // Every seq above `have` (the highest committed) is uncommitted so far.
        for (const seq of missingSeqs(page, have, msg.seq, REMEMBER - this.holes.size)) {
          this.holes.set(seq, now);
        }
      }
    }
    this.commit(msg, 'push');
    // Cumulative ack after commit (ACK-1): the server may stop re-pushing everything up to here.
    // Not awaited: a lost ack:A must not hold up the pushes queued behind it.
    if (this.lastSeq !== undefined) {
      session.ack(this.lastSeq, this.timing.requestTimeoutMs).catch(() => undefined);
    }
  }

  private commit(
    msg: { smid: string; cmid: string; from: string; seq: number; body: string },
    via: 'push' | 'sync',
  ) {
    const t = this.history.now();
    if (this.committed.has(msg.smid)) {
      this.history.append({ kind: 'dedup', t, actor: this.actor, smid: msg.smid, seq: msg.seq, via });
      return;
    }
    this.committed.set(msg.smid, true);
    this.holes.delete(msg.seq);
    const earlier = this.byCmid.get(`${msg.from}|${msg.cmid}`);
    this.byCmid.set(`${msg.from}|${msg.cmid}`, msg.smid);
    this.history.append({
      kind: 'commit',
      t,
      actor: this.actor,
      smid: msg.smid,
      cmid: msg.cmid,
      from: msg.from,
      seq: msg.seq,
      body: msg.body,
      via,
    });
    if (msg.seq > (this.lastSeq ?? 0)) this.lastSeq = msg.seq;
    if (earlier !== undefined && earlier !== msg.smid) this.onAppDuplicate(msg.cmid);
    const w = this.deliveries.get(msg.cmid);
    if (w) {
      this.deliveries.delete(msg.cmid);
      w.resolve({ smid: msg.smid, t });
    }
  }
}
