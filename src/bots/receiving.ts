/**
 * The receiver's side of a bot: the local store (inbox.ts) and its acks (acker.ts). A message —
 * pushed, or read from a sync page — is deduplicated, committed and recorded before it is acked;
 * a seq gap it reveals is fetched through the bot's paged sync; a crash-before-commit
 * misbehaviour crashes the app instead.
 */

import type { StoredMessage } from '../protocol/frames.js';
import { Acker, type AckerHooks } from './acker.js';
import type { BotCore, Live } from './bot-core.js';
import { Inbox, type Via } from './inbox.js';

export interface ReceivingHooks {
  /**
   * The app dies now (crash-before-commit, crash-in-sync): nothing more reaches it from this
   * connection; `relaunch` reopens it at once, else it stays down until the next connect.
   */
  crash(live: Live, relaunch: boolean): void;
  /** A gap showed below `saw`: fetch the missing range. */
  fetchGap(live: Live, saw: number): void;
}

export class Receiving implements AckerHooks {
  readonly inbox = new Inbox();
  readonly acker: Acker;

  constructor(
    private readonly core: BotCore,
    private readonly hooks: ReceivingHooks,
  ) {
    this.acker = new Acker(this);
  }

  /** A msg:N on `live`. */
  onPush(live: Live, msg: StoredMessage): void {
    const core = this.core;
    if (this.inbox.isDuplicate(msg, 'push')) {
      this.recordDedup(msg, 'push');
      // A re-push of something committed means our ack never arrived: ack again.
      this.acker.schedule(msg.seq <= this.inbox.watermark);
      return;
    }
    if (core.flags.takeCrash()) {
      core.record({
        kind: 'misbehave',
        t: core.now(),
        actor: core.actor,
        what: 'crash-before-commit',
        detail: { smid: msg.smid, cmid: msg.cmid, seq: msg.seq, left: core.flags.crashesPending },
      });
      this.hooks.crash(live, true);
      return;
    }
    this.commit(live, msg, 'push');
    this.acker.schedule();
    core.changed();
  }

  /**
   * Pager hook, background reads only: whether the app dies upon page `page` (from 1) of this
   * forward read, before committing it (crashInSync). It stays down, so the next login can
   * trust the server's cursor, which only the earlier pages' ackUpTo moved (SYNC-3).
   */
  crashUponPage(live: Live, page: number): boolean {
    const core = this.core;
    if (!core.flags.takeSyncCrash(page)) return false;
    core.record({
      kind: 'misbehave',
      t: core.now(),
      actor: core.actor,
      what: 'crash-in-sync',
      detail: { page, committed: this.inbox.watermark },
    });
    this.hooks.crash(live, false);
    return true;
  }

  /** Pager hook: commit or drop a message read from a sync page. */
  deliver(live: Live, msg: StoredMessage, via: Via): boolean {
    if (this.inbox.isDuplicate(msg, via)) {
      this.recordDedup(msg, 'sync');
      return false;
    }
    this.commit(live, msg, via);
    this.core.changed();
    return true;
  }

  // ── the acker's hooks ───────────────────────────────────────────────────────────────────

  upTo(): number {
    return this.inbox.watermark;
  }

  send(upTo: number): boolean {
    const live = this.core.live;
    if (!live) return false;
    // A lost ack:A changes nothing: the next ack, lastSeq or the server's re-push covers it, so
    // where the driver can, the ack waits for no answer (no promise, reaction or deadline).
    const session = live.session;
    if (session.ackQuietly) session.ackQuietly(upTo);
    else session.ack(upTo, this.core.client.requestTimeoutMs).catch(() => undefined);
    return true;
  }

  delayMs(): number {
    return this.core.client.ackDelayMs + this.core.flags.ackDelayMs;
  }

  withheld(): boolean {
    return this.core.flags.withholdAcks;
  }

  // ── recording ───────────────────────────────────────────────────────────────────────────

  private commit(live: Live, msg: StoredMessage, via: Via): void {
    const core = this.core;
    const again = this.inbox.forgot(msg.smid);
    const gap = this.inbox.commit(msg);
    core.record({
      kind: 'commit',
      t: core.now(),
      actor: core.actor,
      smid: msg.smid,
      cmid: msg.cmid,
      from: msg.from,
      seq: msg.seq,
      body: msg.body,
      via: via === 'push' ? 'push' : 'sync',
      again,
    });
    if (gap) {
      core.record({ kind: 'gap', t: core.now(), actor: core.actor, have: gap.have, saw: gap.saw });
      this.hooks.fetchGap(live, gap.saw);
    }
  }

  private recordDedup(msg: StoredMessage, via: 'push' | 'sync'): void {
    const core = this.core;
    core.record({ kind: 'dedup', t: core.now(), actor: core.actor, smid: msg.smid, seq: msg.seq, via });
  }
}
