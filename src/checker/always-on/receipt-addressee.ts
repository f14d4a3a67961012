/**
 * RCPT-2: a receipt goes to the sender of the message it is about, and names that message's
 * receiver. An ack:N reaching a user who never sent that cmid, or whose smid another user's
 * msg:A got (users may share cmids) — or naming another receiver —
 * means receipts were addressed by something other than the message (say, one receipt batch per
 * ack sent to the sender of its newest message), which one sender per receiver never shows.
 */

import type { FrameEvent, HistoryEvent } from '../../history/events.js';
import type { Column } from '../tables.js';
import type { KeyTable, MessageIndex } from './message-index.js';
import {
  type AlwaysOnJudge,
  type AlwaysOnRule,
  Flagged,
  ForgottenKeys,
  type ReadEvent,
  type Report,
  str,
} from './types.js';

/** Forgotten (sender, cmid) keys remembered per generation (two generations are kept). */
const FORGOTTEN_PER_GENERATION = 65_536;

/** A class, not closures made per run: its methods' optimized code outlives one check() (advertised-limits.ts). */
class ReceiptAddresseeJudge implements AlwaysOnJudge {
  // Event indexes in columns of the shared index (keyed by what the frames already carry); what
  // they say is read back when a receipt needs it.
  // Per (sender user, cmid): its first msg:R, in the index's `requested` column (the receiver it
  // named is read from it).
  private readonly sent: Column;
  // Per smid: the msg:A that got it — its actor's user names the sender even where users share
  // cmids.
  private readonly smids: KeyTable;
  private readonly ownerOf: Column;
  private readonly flagged = new Flagged();
  // "Never sent" is read from absence, so a streaming ledger's forgotten sends are remembered
  // (as keys only) — a late receipt of a settled message is not a stranger's. Once a generation
  // of them is dropped, absence proves nothing and only the named receiver is judged.
  private readonly forgotten = new ForgottenKeys(FORGOTTEN_PER_GENERATION);

  constructor(
    private readonly report: Report,
    private readonly read: ReadEvent,
    private readonly index: MessageIndex,
  ) {
    this.sent = index.requested;
    this.smids = index.smids;
    this.ownerOf = this.smids.column(-1);
    const sent = this.sent;
    const forgotten = this.forgotten;
    index.messages.onDrop((slot, user, cmid) => {
      if (sent.get(slot) >= 0) forgotten.add(user, cmid);
    });
  }

  event(e: HistoryEvent, i: number): void {
    if (e.kind !== 'frame') return;
    if (e.dir === 'out' && e.type === 'msg:R') {
      const cmid = str(e.fields['cmid']);
      if (cmid === undefined || str(e.fields['to']) === undefined) return;
      this.index.noteRequest(this.index.users.of(e.actor), cmid, i);
      return;
    }
    if (e.dir === 'in' && e.type === 'msg:A') {
      const smid = str(e.fields['smid']);
      if (smid === undefined) return;
      const slot = this.smids.slot(smid, '', i);
      if (this.ownerOf.get(slot) < 0) this.ownerOf.set(slot, i);
      return;
    }
    if (e.dir !== 'in' || e.type !== 'ack:N') return;
    const cmid = str(e.fields['cmid']);
    const to = str(e.fields['to']);
    if (cmid === undefined) return;
    const user = this.index.users.of(e.actor);
    const smid = str(e.fields['smid']);
    const smidSlot = smid === undefined ? -1 : this.smids.find(smid);
    const ownerIdx = smidSlot < 0 ? -1 : this.ownerOf.get(smidSlot);
    const owner = ownerIdx < 0 ? undefined : this.index.users.of((this.read(ownerIdx) as FrameEvent).actor);
    if (owner !== undefined && owner !== user) {
      if (this.flagged.first(`s${smid}`))
        this.report({
          kind: 'unexpected-message',
          requirement: 'RCPT-2',
          expected: `the receipt for smid ${smid} goes to its sender ${owner}`,
          actual: `${e.actor} got ack:N ${String(e.fields['status'])} for it (cmid ${cmid})`,
          evidence: [ownerIdx, i],
          cmid,
          smid,
        });
      return;
    }
    const slot = this.index.findMessage(user, cmid, smid);
    const originIdx = slot < 0 ? -1 : this.sent.get(slot);
    const originTo =
      originIdx < 0 ? undefined : ((this.read(originIdx) as FrameEvent).fields['to'] as string);
    if (originTo !== undefined && (to === undefined || originTo === to)) return;
    if (originTo === undefined && (this.forgotten.lossy || this.forgotten.has(user, cmid))) return;
    if (!this.flagged.first(`${user}\u0000${cmid}`)) return;
    this.report({
      kind: 'unexpected-message',
      requirement: 'RCPT-2',
      expected:
        originTo === undefined
          ? `receipts only for messages ${user} sent`
          : `a receipt for ${user}'s cmid ${cmid} names its receiver ${originTo}`,
      actual:
        originTo === undefined
          ? `${e.actor} got ack:N ${String(e.fields['status'])} for cmid ${cmid}, which ${user} never sent`
          : `${e.actor} got ack:N naming to: ${String(to)}`,
      evidence: originIdx < 0 ? [i] : [originIdx, i],
      cmid,
      smid: str(e.fields['smid']),
    });
  }

  // Its state is the index's (whose drops it is told of, above): forgotten with it.
  forget(): void {}
}

export const receiptAddressee: AlwaysOnRule = {
  name: 'receipt-addressee',
  requirements: ['RCPT-2'],
  reads: ['msg:R', 'msg:A', 'ack:N'],
  start(report, read, index) {
    return new ReceiptAddresseeJudge(report, read, index);
  },
};
