/**
 * What one XMPP client (user/resource) remembers between its connections within one history:
 * how often each message reached the device (`attempt`), the messages whose XEP-0184 receipt is
 * still owed, and the XEP-0198 state needed to resume a stream that the network (not the client)
 * broke. A client crash forgets the last two.
 *
 * XMPP has no inbox seq, but bots and the checker key delivery, acks and dedup on one, so the
 * driver numbers messages itself: per user, shared by the user's resources in the history, the
 * n-th distinct message (smid) to reach any of them is seq n, in every resend, page and device
 * (SEQ-2 and SEQ-3 hold by construction and say nothing about the server). The archive id
 * (XEP-0359 stanza-id) behind each seq is kept for MAM paging.
 */

import type { QueueItem } from '@xmpp/client';
import { ActorRegistry, PushCounts, UserSeqs } from '../actor-registry.js';

export interface Owed {
  seq: number;
  cmid: string;
  /** Full JID of the sending device. */
  to: string;
}

export interface Resumable {
  id: string;
  inbound: number;
  outbound: number;
  queue: QueueItem[];
}

/** The driver-assigned seqs of one user's messages, and the archive ids behind them. */
export class XmppUserSeqs extends UserSeqs {
  readonly archiveIdBySeq = new Map<number, string>();

  /** The seq of message `smid` (the one it has, or the next); `archiveId` is remembered for paging. */
  override seqOf(smid: string, archiveId?: string): number {
    const seq = super.seqOf(smid);
    if (archiveId !== undefined && !this.archiveIdBySeq.has(seq)) this.archiveIdBySeq.set(seq, archiveId);
    return seq;
  }
}

export class XmppActorState {
  /** How often each message reached this device (the `attempt` of each push). */
  readonly pushes = new PushCounts();
  /** Receipts requested and not yet sent, in arrival order. */
  owed: Owed[] = [];
  resume: Resumable | undefined;

  constructor(readonly seqs: XmppUserSeqs) {}

  crash(): void {
    this.owed = [];
    this.resume = undefined;
  }
}

/** Per-driver registry: one state per (history, actor), one XmppUserSeqs per (history, user). */
export class XmppActorStates extends ActorRegistry<XmppActorState, XmppUserSeqs> {
  constructor() {
    super(
      () => new XmppUserSeqs(),
      (seqs) => new XmppActorState(seqs),
    );
  }
}
