/**
 * msg:R — store (or recognise a duplicate), answer msg:A after the commit, push, and send the
 * stand-in or replayed receipt (MSG-1/2, DEDUP-1…4, SEQ-1/2, PUSH-1, RCPT-1, OFF-1, FRAME-6).
 */

import type { MsgA, MsgR } from '../../protocol/frames.js';
import type { AuthedSession, ServerContext } from '../context.js';
import type { FaultSet } from '../faults.js';
import { assignSeq } from '../inbox.js';
import { pushToDevices } from '../push.js';
import type { SessionRegistry } from '../registry.js';
import type { Reply } from '../reply.js';
import type { MessageRecord, Store } from '../store.js';

export type MsgContext = Pick<
  ServerContext,
  'limits' | 'faults' | 'store' | 'queue' | 'registry' | 'receipts' | 'newSmid' | 'log'
>;

export interface Submission {
  sender: string;
  cmid: string;
  to: string;
  body: string;
  /** The smid the message gets if it is new. */
  smid: string;
  now: number;
}

export type Acceptance =
  | { kind: 'new'; message: MessageRecord }
  | { kind: 'dup'; smid: string; ts: number; message: MessageRecord | undefined }
  /** `lost-offline`: acknowledged, never stored. */
  | { kind: 'lost'; smid: string; ts: number };

/** Runs inside the transaction that commits the message and its inbox seq (SEQ-1). */
export function acceptMessage(
  deps: {
    store: Store;
    faults: FaultSet;
    registry: SessionRegistry<{ user: string; device: string }>;
    dedupWindowMs: number;
  },
  s: Submission,
): Acceptance {
  const { store, faults } = deps;
  const dedup = !faults.has('no-dedup');
  if (dedup) {
    const seen = store.dedup(s.sender, s.cmid);
    if (seen !== undefined && s.now - seen.acceptedAt < deps.dedupWindowMs) {
      // DEDUP-1/2/4: the first copy wins; nothing is stored for this one.
      const message = store.messageBySmid(seen.smid);
      return { kind: 'dup', smid: seen.smid, ts: message?.ts ?? seen.acceptedAt, message };
    }
  }
  const online = deps.registry.hasAny(s.to);
  if (!online && faults.has('lost-offline')) {
    if (dedup) store.putDedup(s.sender, s.cmid, s.smid, s.now);
    return { kind: 'lost', smid: s.smid, ts: s.now };
  }
  const inbox = store.inbox(s.to);
  const seqFault = faults.has('seq-gap') ? 'seq-gap' : faults.has('seq-reuse') ? 'seq-reuse' : 'none';
  const { seq, prevSeq, next } = assignSeq(inbox, seqFault);
  const message: MessageRecord = {
    smid: s.smid,
    cmid: s.cmid,
    from: s.sender,
    to: s.to,
    body: s.body,
    seq,
    prevSeq,
    ts: s.now,
    receipt: online ? 'none' : 'stored',
  };
  store.insertMessage(message);
  store.putInbox(s.to, next);
  if (dedup) store.putDedup(s.sender, s.cmid, s.smid, s.now);
  return { kind: 'new', message };
}

function msgA(rid: string, cmid: string, smid: string, ts: number, dup: boolean): MsgA {
  const frame: MsgA = { type: 'msg:A', rid, cmid, smid, ts };
  if (dup) frame.dup = true;
  return frame;
}

export function handleMsg(ctx: MsgContext, session: AuthedSession, frame: MsgR, reply: Reply): void {
  const bytes = Buffer.byteLength(frame.body, 'utf8');
  if (bytes > ctx.limits.maxBodyBytes) {
    reply.error(
      'too-large',
      `msg:R body is ${bytes} bytes, over limits.maxBodyBytes (${ctx.limits.maxBodyBytes})`,
    );
    return;
  }
  const submission: Submission = {
    sender: session.user,
    cmid: frame.cmid,
    to: frame.to,
    body: frame.body,
    smid: ctx.newSmid(),
    now: Date.now(),
  };
  // ack-before-commit: the fault this server exists to make visible (MSG-1). Answer from what is
  // committed so far, before the deferred transaction runs.
  const early = ctx.faults.has('ack-before-commit');
  if (early) {
    const seen = ctx.faults.has('no-dedup') ? undefined : ctx.store.dedup(submission.sender, submission.cmid);
    const dup = seen !== undefined && submission.now - seen.acceptedAt < ctx.limits.dedupWindowMs;
    reply.ok(msgA(frame.rid, frame.cmid, dup ? seen.smid : submission.smid, submission.now, dup));
  }
  const deps = {
    store: ctx.store,
    faults: ctx.faults,
    registry: ctx.registry,
    dedupWindowMs: ctx.limits.dedupWindowMs,
  };
  ctx.queue.submit(
    () => acceptMessage(deps, submission),
    (outcome) => {
      if (!outcome.ok) {
        ctx.log(`msg:R from ${submission.sender} (cmid ${frame.cmid}) failed: ${outcome.error.message}`);
        if (!early) reply.error('internal', 'the message could not be stored; retransmit it');
        return;
      }
      const result = outcome.value;
      if (result.kind === 'new') {
        // MSG-1: msg:A only now that the message and its seq are committed.
        if (!early) reply.ok(msgA(frame.rid, frame.cmid, result.message.smid, result.message.ts, false));
        pushToDevices(ctx.registry, result.message);
        ctx.receipts.standIn(session, result.message);
        return;
      }
      if (!early) reply.ok(msgA(frame.rid, frame.cmid, result.smid, result.ts, result.kind === 'dup'));
      const ids = {
        cmid: frame.cmid,
        smid: result.smid,
        to: result.kind === 'dup' ? (result.message?.to ?? frame.to) : frame.to,
      };
      if (result.kind === 'dup') ctx.receipts.replay(session, ids, result.message);
      else ctx.receipts.standIn(session, ids);
    },
  );
}
