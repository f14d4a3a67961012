/**
 * PUSH-3: a message reaches only devices of its addressee. Every msg:N (first push or re-push) and
 * every item of a sync page is a delivery to the receiving device's user, so each must be
 * addressed to that user — by its own `to`, and by the `to` its sender's msg:R named. A push that
 * lands on another user's device is a privacy leak even when the addressee gets the message as
 * well, so nothing else in the checker catches it for sure: the addressee's ledger is whole, and
 * the stranger's bot commits the message like its own.
 *
 * The second comparison catches a server that rewrites `to` on the way (a push built for the
 * receiving session rather than from the stored message), and drivers that fill `to` in from the
 * receiving user (XMPP), where the frame's own `to` can never disagree. Only the first msg:R of a
 * (sender, cmid) counts: a duplicate with another `to` changes nothing stored (DEDUP-4).
 */

import type { FrameEvent, HistoryEvent } from '../../history/events.js';
import type { Column } from '../tables.js';
import type { MessageIndex } from './message-index.js';
import { type AlwaysOnJudge, type AlwaysOnRule, Flagged, type ReadEvent, type Report, str } from './types.js';

/** A class, not closures made per run: its methods' optimized code outlives one check() (advertised-limits.ts). */
class PushAddresseeJudge implements AlwaysOnJudge {
  // Per (sender user, cmid): its first msg:R, in the index's `requested` column (shared with
  // receipt-addressee), whose `to` is read back when a delivery needs it. A forgotten (retired)
  // message has none: then only the delivery's own `to` is judged.
  private readonly requested: Column;
  private readonly flagged = new Flagged();

  constructor(
    private readonly report: Report,
    private readonly read: ReadEvent,
    private readonly index: MessageIndex,
  ) {
    this.requested = index.requested;
  }

  event(e: HistoryEvent, i: number): void {
    if (e.kind !== 'frame') return;
    if (e.dir === 'out') {
      if (e.type !== 'msg:R') return;
      const cmid = str(e.fields['cmid']);
      if (cmid === undefined || str(e.fields['to']) === undefined) return;
      this.index.noteRequest(this.index.users.of(e.actor), cmid, i);
      return;
    }
    if (e.type === 'msg:N') {
      this.look(e.fields, e, 'msg:N', i);
    } else if (e.type === 'sync:A' && Array.isArray(e.fields['msgs'])) {
      for (const m of e.fields['msgs'] as unknown[]) {
        if (typeof m === 'object' && m !== null) this.look(m as Record<string, unknown>, e, 'sync:A', i);
      }
    }
  }

  // Its state is the index's: forgotten with it.
  forget(): void {}

  // `r`: a push's fields or a page item, delivered to `e.actor` (`what` names how, for a finding).
  private look(r: Record<string, unknown>, e: FrameEvent, what: string, i: number): void {
    const to = str(r['to']);
    const from = str(r['from']);
    const cmid = str(r['cmid']);
    const user = this.index.users.of(e.actor);
    // The origin first: a rewritten `to` is the same leak as a wrong one, and the origin's is the
    // addressee's true name.
    const slot =
      from === undefined || cmid === undefined ? -1 : this.index.findMessage(from, cmid, r['smid']);
    const originIdx = slot < 0 ? -1 : this.requested.get(slot);
    const originTo =
      originIdx < 0 ? undefined : ((this.read(originIdx) as FrameEvent).fields['to'] as string);
    const addressee = originTo ?? to;
    if (addressee === undefined || addressee === user) return;
    const smid = str(r['smid']);
    if (!this.flagged.first(`${user}\u0000${smid ?? `${from}\u0000${cmid}`}`)) return;
    this.report({
      kind: 'unexpected-message',
      requirement: 'PUSH-3',
      expected: `smid ${smid} from ${from} (cmid ${cmid}) reaches only devices of its addressee ${addressee}`,
      actual:
        to === addressee
          ? `${e.actor}, a device of ${user}, got it in a ${what}`
          : `${e.actor}, a device of ${user}, got it in a ${what} that says to: ${String(r['to'])}`,
      evidence: originIdx < 0 ? [i] : [originIdx, i],
      cmid,
      smid,
    });
  }
}

export const pushAddressee: AlwaysOnRule = {
  name: 'push-addressee',
  requirements: ['PUSH-3'],
  reads: ['msg:R', 'msg:N', 'sync:A'],
  start(report, read, index) {
    return new PushAddresseeJudge(report, read, index);
  },
};
