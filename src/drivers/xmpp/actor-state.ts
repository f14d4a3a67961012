/**
 * What one XMPP client (user/resource) remembers between its connections within one history:
 * the device-local arrival counter handed to bots as `seq` (XMPP has no inbox seq), how often
 * each message reached the device, the archive ids behind those seqs (for MAM paging), the
 * messages whose XEP-0184 receipt is still owed, and the XEP-0198 state needed to resume a
 * stream that the network (not the client) broke. A client crash forgets the last two.
 */

import type { QueueItem } from '@xmpp/client';
import type { ActorId, History } from '../../history/events.js';

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

export class XmppActorState {
  lastSeq = 0;
  readonly pushes = new Map<string, number>();
  readonly archiveIdBySeq = new Map<number, string>();
  readonly seqByArchiveId = new Map<string, number>();
  /** Receipts requested and not yet sent, in arrival order. */
  owed: Owed[] = [];
  resume: Resumable | undefined;

  /** Gives a message arriving at the device its seq: the one it already has, or the next. */
  seqFor(archiveId: string | undefined): number {
    const known = archiveId !== undefined ? this.seqByArchiveId.get(archiveId) : undefined;
    if (known !== undefined) return known;
    const seq = ++this.lastSeq;
    if (archiveId !== undefined) {
      this.seqByArchiveId.set(archiveId, seq);
      this.archiveIdBySeq.set(seq, archiveId);
    }
    return seq;
  }

  /** Counts one more arrival of `smid` at this device; returns the attempt number. */
  pushed(smid: string): number {
    const attempt = (this.pushes.get(smid) ?? 0) + 1;
    this.pushes.set(smid, attempt);
    return attempt;
  }

  crash(): void {
    this.owed = [];
    this.resume = undefined;
  }
}

/** Per-driver registry: one state per (history, actor), created on first use. */
export class XmppActorStates {
  private readonly states = new WeakMap<History, Map<ActorId, XmppActorState>>();

  get(history: History, actor: ActorId): XmppActorState {
    let perActor = this.states.get(history);
    if (!perActor) {
      perActor = new Map();
      this.states.set(history, perActor);
    }
    let state = perActor.get(actor);
    if (!state) {
      state = new XmppActorState();
      perActor.set(actor, state);
    }
    return state;
  }
}
