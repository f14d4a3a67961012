/**
 * msg:R — store (or recognise a duplicate), answer msg:A after the commit, push, and send the
 * stand-in or replayed receipt (MSG-1/2, DEDUP-1…4, SEQ-1/2, PUSH-1, RCPT-1, OFF-1, FRAME-6).
 */

import type { MsgA, MsgR } from '../../protocol/frames.js';
import type { AuthedSession, ServerContext } from '../context.js';
import { type FaultSet, OFFLINE_QUEUE_CAP, TRUNCATE_BODY_BYTES } from '../faults.js';
import { assignSeq } from '../inbox.js';
import { leakByDeviceName, pushToDevices } from '../push.js';
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
  /** `seq-race` only: the inbox's maxSeq as the lagging replica had it when the msg:R arrived. */
  staleMaxSeq?: number;
}

/** `truncate-body`: cut to TRUNCATE_BODY_BYTES of UTF-8, as a narrow column does (may split a character). */
function truncated(body: string): string {
  const bytes = Buffer.from(body, 'utf8');
  return bytes.length <= TRUNCATE_BODY_BYTES ? body : bytes.subarray(0, TRUNCATE_BODY_BYTES).toString('utf8');
}

/** `bmp-only`: a 3-byte utf8 column has no room for astral characters (surrogate pairs in JS). */
function bmpOnly(body: string): string {
  return body.replace(/[\u{10000}-\u{10FFFF}]/gu, '\uFFFD');
}

/** The body as the (possibly faulty) storage keeps it. */
function storedBody(faults: FaultSet, body: string): string {
  let out = body;
  if (faults.has('truncate-body')) out = truncated(out);
  if (faults.has('bmp-only')) out = bmpOnly(out);
  return out;
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
  // dedup-by-cmid: one key space for every sender, so equal cmids of two users collide.
  const dedupKey = faults.has('dedup-by-cmid') ? '' : s.sender;
  if (dedup) {
    const seen = store.dedup(dedupKey, s.cmid);
    if (seen !== undefined && s.now - seen.ts < deps.dedupWindowMs) {
      // DEDUP-1/2/4: the first copy wins; nothing is stored for this one.
      const message = store.messageOf(seen);
      return { kind: 'dup', smid: seen.smid, ts: message?.ts ?? seen.ts, message };
    }
  }
  const online = deps.registry.hasAny(s.to);
  if (!online && (faults.has('lost-offline') || overOfflineCap(faults, s.to))) {
    if (dedup) store.putDedup(dedupKey, s.cmid, s.smid, s.now);
    return { kind: 'lost', smid: s.smid, ts: s.now };
  }
  const inbox = store.inbox(s.to);
  const seqFault = faults.has('seq-gap') ? 'seq-gap' : faults.has('seq-reuse') ? 'seq-reuse' : 'none';
  // seq-race: the seq comes from a lagging replica's view when the request arrived, not from the
  // transaction, so requests for one inbox that arrive within the lag take the same seq.
  const base = s.staleMaxSeq === undefined ? inbox : { ...inbox, maxSeq: s.staleMaxSeq };
  const assigned = assignSeq(base, seqFault);
  const { seq, prevSeq } = assigned;
  const next = { ...assigned.next, maxSeq: Math.max(assigned.next.maxSeq, inbox.maxSeq) };
  const message: MessageRecord = {
    smid: s.smid,
    cmid: s.cmid,
    from: s.sender,
    to: s.to,
    body: storedBody(faults, s.body),
    seq,
    prevSeq,
    ts: s.now,
    receipt: online ? 'none' : 'stored',
  };
  store.insertMessage(message, dedup ? dedupKey : undefined);
  store.putInbox(s.to, next);
  if (s.staleMaxSeq !== undefined) faults.seqReplica.committed(s.to, next.maxSeq, Date.now());
  return { kind: 'new', message };
}

/** `offline-cap`: counts what is stored for an offline receiver; true once past the cap. */
function overOfflineCap(faults: FaultSet, to: string): boolean {
  if (!faults.has('offline-cap')) return false;
  const queued = (faults.offlineQueued.get(to) ?? 0) + 1;
  faults.offlineQueued.set(to, queued);
  return queued > OFFLINE_QUEUE_CAP;
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
  if (ctx.faults.has('seq-race')) {
    submission.staleMaxSeq = ctx.faults.seqReplica.read(frame.to, submission.now, () =>
      ctx.store.maxSeq(frame.to),
    );
  }
  // ack-before-commit: the fault this server exists to make visible (MSG-1). Answer from what is
  // committed so far, before the deferred transaction runs.
  const early = ctx.faults.has('ack-before-commit');
  if (early) {
    const seen = ctx.faults.has('no-dedup') ? undefined : ctx.store.dedup(submission.sender, submission.cmid);
    const dup = seen !== undefined && submission.now - seen.ts < ctx.limits.dedupWindowMs;
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
        if (ctx.faults.has('push-by-device-name')) leakByDeviceName(ctx.registry, result.message);
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
