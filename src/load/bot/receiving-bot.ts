/**
 * The receiving half of a load bot (load-bot.ts holds the connection and the sending half): the
 * contiguous watermark and the seqs committed above it, dedup, cumulative acks, the seq-gap fetch
 * and the count-first catch-up by forward sync pages (docs/protocol.md section 12).
 *
 * A base class rather than an object of its own: a connected bot stays one object (a field per
 * fact, no second header and pointer), which counts at tens of thousands of bots per process.
 */

import type { DriverSession, SessionInfo } from '../../drivers/driver.js';
import type { ActorId } from '../../history/events.js';
import type { StoredMessage } from '../../protocol/frames.js';
import type { AckTarget, LoadBotShared } from './shared.js';

/** Seq-less protocols (MQTT, XMPP) dedup by smid: this many recent smids per device. */
const RECENT_SMIDS = 1024;

const noop = (): void => {};

export abstract class ReceivingBot implements AckTarget {
  readonly actor: ActorId;
  ackQueued = false;
  protected session: DriverSession | undefined;
  /** Bumped on every connection change: callbacks of an older connection do nothing. */
  protected epoch = 0;
  // Receiving: the contiguous watermark (lastSeq), seqs committed above it, the highest seen.
  protected mark = 0;
  private top = 0;
  private above: Set<number> | undefined;
  private recent: Set<string> | undefined;
  protected lastAck = 0;
  private ackForce = false;
  private syncing = 0;
  protected contiguous = true;

  constructor(
    protected readonly s: LoadBotShared,
    readonly user: string,
    readonly device: string,
  ) {
    this.actor = `${user}/${device}`;
  }

  /** Commits a message or drops it as already committed. True when committed. */
  protected receive(msg: StoredMessage, via: 'push' | 'sync'): boolean {
    const seq = msg.seq as number | undefined;
    const h = this.s.history;
    if (
      typeof seq === 'number' ? seq <= this.mark || this.above?.has(seq) === true : this.recent?.has(msg.smid)
    ) {
      h.append({ kind: 'dedup', t: h.now(), actor: this.actor, smid: msg.smid, seq, via });
      // A re-push of something committed means our ack never arrived: ack again.
      if (typeof seq === 'number' && seq <= this.mark) this.ackForce = true;
      return false;
    }
    h.append({
      kind: 'commit',
      t: h.now(),
      actor: this.actor,
      smid: msg.smid,
      cmid: msg.cmid,
      from: msg.from,
      seq,
      body: msg.body,
      via,
    });
    if (typeof seq !== 'number') {
      this.recent ??= new Set();
      const recent = this.recent;
      recent.add(msg.smid);
      if (recent.size > RECENT_SMIDS) recent.delete(recent.values().next().value as string);
      return true;
    }
    const previousTop = this.top;
    if (seq > this.top) this.top = seq;
    if (this.contiguous ? seq === this.mark + 1 : msg.prevSeq === undefined || msg.prevSeq <= this.mark) {
      this.mark = seq;
      this.drain();
      return true;
    }
    this.above ??= new Set();
    this.above.add(seq);
    // Report a gap once, when a seq opens a new missing range above everything seen so far.
    const opens = this.contiguous
      ? seq > previousTop + 1
      : msg.prevSeq !== undefined && msg.prevSeq > previousTop;
    if (opens) {
      h.append({ kind: 'gap', t: h.now(), actor: this.actor, have: this.mark, saw: seq });
      if (via === 'push') this.fetch(this.epoch, seq, 1);
    }
    return true;
  }

  private drain(): void {
    const above = this.above;
    if (!above || above.size === 0) return;
    if (this.contiguous) {
      while (above.delete(this.mark + 1)) this.mark++;
    } else {
      // Without contiguous seqs a prevSeq chain links them: take the smallest committed above.
      const sorted = [...above].sort((a, b) => a - b);
      for (const seq of sorted) {
        above.delete(seq);
        if (seq > this.mark) this.mark = seq;
      }
    }
    for (const seq of above) if (seq <= this.mark) above.delete(seq);
  }

  /** The ack batcher: one cumulative ack:R of the watermark. */
  flushAck(): void {
    const session = this.session;
    if (!session || this.syncing > 0) return;
    const upTo = this.mark;
    const force = this.ackForce;
    this.ackForce = false;
    if (upTo <= 0 || (upTo <= this.lastAck && !force)) return;
    this.lastAck = Math.max(this.lastAck, upTo);
    // A lost ack:A changes nothing: the next ack, lastSeq or the server's re-push covers it.
    if (session.ackQuietly) session.ackQuietly(upTo);
    else session.ack(upTo, this.s.client.requestTimeoutMs).catch(noop);
  }

  // ── sync: count-first catch-up, gap fetch ─────────────────────────────────────────────

  protected catchUp(epoch: number, info: SessionInfo): void {
    if (info.pending <= 0 || !info.caps.includes('paged-sync')) return;
    const window = info.limits?.pushWindow;
    // REPUSH-2 pushes a backlog within the push window by itself; above it we page (SYNC-6).
    if (info.caps.includes('server-repush') && (window === undefined || info.pending <= window)) return;
    this.fetch(epoch, undefined, 1);
  }

  /**
   * Reads forward sync pages from the watermark until `more` is false, or until `until` is
   * committed (a gap fetch); each page's ack rides on the next request (SYNC-3). A lost answer on
   * a live connection is retried with the retransmit backoff.
   */
  private fetch(epoch: number, until: number | undefined, attempt: number): void {
    const session = this.session;
    if (!session || epoch !== this.epoch || !session.info.caps.includes('paged-sync')) return;
    if (this.syncing > 0) return; // the paging under way reads on until `more` is false
    this.syncing++;
    this.pages(session, epoch, until)
      .catch(() => {
        if (epoch !== this.epoch || attempt >= this.s.client.maxAttempts) return;
        const { retransmitMs, backoff, maxRetransmitMs } = this.s.client;
        const delay = Math.min(retransmitMs * backoff ** (attempt - 1), maxRetransmitMs);
        setTimeout(() => this.fetch(epoch, until, attempt + 1), delay);
      })
      .finally(() => {
        this.syncing--;
        if (epoch === this.epoch) this.s.acks.schedule(this);
      });
  }

  private async pages(session: DriverSession, epoch: number, until: number | undefined): Promise<void> {
    const { pageSize, requestTimeoutMs } = this.s.client;
    let after = this.mark;
    let carry: number | undefined;
    for (;;) {
      const page = await session.sync(
        carry === undefined ? { after, limit: pageSize } : { after, limit: pageSize, ackUpTo: carry },
        requestTimeoutMs,
      );
      if (epoch !== this.epoch) return;
      // SYNC-3: the ack was applied before the page was read.
      if (carry !== undefined && carry > this.lastAck) this.lastAck = carry;
      let fresh = 0;
      for (const msg of page.msgs) if (this.receive(msg, 'sync')) fresh++;
      carry = this.mark > this.lastAck ? this.mark : undefined;
      const last = page.msgs.at(-1)?.seq;
      // SYNC-4: the next page starts after the last seq of this one.
      if (!page.more || last === undefined || last <= after) return;
      // A gap fetch ends once its gap is filled, or when a page brings nothing new (a server
      // that keeps skipping a seq must not loop us).
      if (until !== undefined && (this.mark >= until || fresh === 0)) return;
      after = last;
    }
  }
}
