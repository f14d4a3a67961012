/**
 * Inbox seq assignment, pure: the state of a user's inbox in, the seq of the next message and the
 * new state out. Run inside the transaction that stores the message (SEQ-1), so two concurrent
 * messages can never take the same seq (SEQ-2) — unless a seq fault says otherwise.
 */

import { SEQ_FAULT_EVERY } from './faults.js';
import type { InboxState } from './store.js';

export type SeqFault = 'none' | 'seq-gap' | 'seq-reuse';

export interface SeqAssignment {
  seq: number;
  /** Seq of the previous message in the inbox, 0 for the first (SEQ-4). */
  prevSeq: number;
  next: InboxState;
}

export function assignSeq(inbox: InboxState, fault: SeqFault): SeqAssignment {
  const accepted = inbox.accepted + 1;
  const nth = accepted % SEQ_FAULT_EVERY === 0;
  let seq = inbox.maxSeq + 1;
  if (nth && fault === 'seq-gap') seq = inbox.maxSeq + 2;
  // The reused seq is the previous message's; the very first message has none to reuse.
  if (nth && fault === 'seq-reuse' && inbox.maxSeq > 0) seq = inbox.maxSeq;
  return { seq, prevSeq: inbox.maxSeq, next: { maxSeq: Math.max(seq, inbox.maxSeq), accepted } };
}
