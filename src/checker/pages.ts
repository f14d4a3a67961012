/**
 * Sync pages (SYNC-1, SYNC-2, SYNC-4, SYNC-5) from each sync:R/sync:A pair. What a page must hold
 * follows from the request and the page's own `maxSeq`: forward `after: n` reads n+1…, backward
 * `before: n` reads the newest `limit` below n; pages are ascending, hold at most
 * min(limit, syncLimitMax), and `more` says whether messages lie beyond the page. A hole inside a
 * page is judged at the end: a seq that exists elsewhere was skipped (SYNC-1/2, or SYNC-4 at the
 * boundary of chained forward pages); a seq that exists nowhere is a hole in the inbox (SEQ-1).
 */

import type { FrameEvent } from '../history/events.js';
import type { Scan } from './context.js';
import { confirmCursor } from './cursors.js';
import { num } from './field-values.js';
import { noteServerSighting, observe } from './observe.js';
import type { ConnState, Req } from './state.js';

/** Holes listed per page at most; a page missing more than this is broken enough. */
const MAX_HOLES = 64;

export function onSyncAnswer(s: Scan, conn: ConnState, e: FrameEvent, i: number, req: Req): void {
  const actor = conn.actor;
  const user = actor.user;
  const ackUpTo = num(req.fields['ackUpTo']);
  // SYNC-3: the ack rides on the request and is applied before the page is read.
  if (ackUpTo !== undefined) confirmCursor(s.l, actor, ackUpTo, 'sync', e.t, i, req.idx);
  const msgs = e.fields['msgs'];
  const maxSeq = num(e.fields['maxSeq']);
  const more = e.fields['more'];
  if (!Array.isArray(msgs) || maxSeq === undefined || typeof more !== 'boolean') return;
  if (maxSeq > user.maxSeqKnown) user.maxSeqKnown = maxSeq;

  const after = num(req.fields['after']);
  const before = num(req.fields['before']);
  const asked = num(req.fields['limit']) ?? Number.POSITIVE_INFINITY;
  const limit = Math.min(asked, conn.limits?.syncLimitMax ?? asked);
  const where = `${actor.id} sync:R ${after !== undefined ? `after ${after}` : `before ${before}`} limit ${asked}`;
  const evidence = [req.idx, i];
  const bad = (requirement: string, expected: string, actual: string) =>
    s.sink.add({ kind: 'sync-page', requirement, expected, actual: `${where}: ${actual}`, evidence });

  if ((after === undefined) === (before === undefined)) {
    bad(
      'SYNC-5',
      'error:A bad-sync for a sync:R with both or neither of after and before',
      'answered with a page',
    );
    return;
  }
  const seqs: number[] = [];
  let ascending = true;
  const holes: number[] = [];
  for (let k = 0; k < msgs.length; k++) {
    const item: unknown = msgs[k];
    if (typeof item !== 'object' || item === null) continue;
    // The item's position lets the ledger read this message back from the page later.
    noteServerSighting(s, observe(s, actor, item as Record<string, unknown>, i, k), i);
    const seq = num((item as { seq?: unknown }).seq);
    if (seq === undefined) continue;
    const prev = seqs[seqs.length - 1];
    if (prev !== undefined) {
      if (seq <= prev) ascending = false;
      for (let h = prev + 1; h < seq && holes.length < MAX_HOLES; h++) holes.push(h);
    }
    seqs.push(seq);
  }
  if (msgs.length > limit) {
    bad('SYNC-5', `at most ${limit} messages (min of limit and syncLimitMax)`, `${msgs.length} messages`);
  }
  const forward = after !== undefined;
  const dirReq = forward ? 'SYNC-1' : 'SYNC-2';
  if (!ascending) {
    bad(dirReq, 'messages in ascending seq order', `seqs ${seqs.slice(0, 12).join(', ')}`);
    return;
  }
  const first = seqs[0];
  const last = seqs[seqs.length - 1];
  const contiguous = s.caps.has('contiguous-seq');
  let boundary = 0;
  let chained = false;

  if (forward) {
    const prevPage = conn.lastForward;
    chained = prevPage !== undefined && prevPage.last === after;
    conn.lastForward = { after, last: last ?? after, idx: i };
    if (first === undefined || last === undefined) {
      if (maxSeq > after) bad('SYNC-1', `messages after ${after} (maxSeq is ${maxSeq})`, 'an empty page');
      else if (more) bad('SYNC-1', 'more: false on an empty page', 'more: true');
      return;
    }
    if (first <= after) {
      bad(
        chained ? 'SYNC-4' : 'SYNC-1',
        `seqs above ${after}`,
        `the page starts at seq ${first}${chained ? ', repeating the previous page' : ''}`,
      );
    } else if (contiguous && first > after + 1) {
      const lead: number[] = [];
      for (let h = after + 1; h < first && lead.length < MAX_HOLES; h++) lead.push(h);
      boundary = lead.length;
      holes.unshift(...lead);
    }
    if (last > maxSeq) bad('SYNC-1', `seqs up to maxSeq ${maxSeq}`, `seq ${last} in the page`);
    if (more !== last < maxSeq) {
      bad('SYNC-1', `more: ${last < maxSeq} (last seq ${last}, maxSeq ${maxSeq})`, `more: ${more}`);
    } else if (more && msgs.length < limit) {
      bad('SYNC-1', `a full page of ${limit} while more messages exist`, `${msgs.length} messages`);
    }
  } else {
    const top = Math.min(before! - 1, maxSeq);
    if (first === undefined || last === undefined) {
      if (top >= 1) bad('SYNC-2', `messages below ${before} (maxSeq is ${maxSeq})`, 'an empty page');
      else if (more) bad('SYNC-2', 'more: false on an empty page', 'more: true');
      return;
    }
    if (last >= before!) bad('SYNC-2', `seqs below ${before}`, `seq ${last} in the page`);
    else if (contiguous) {
      for (let h = last + 1; h <= top && holes.length < MAX_HOLES; h++) holes.push(h);
      if (more !== first > 1) bad('SYNC-2', `more: ${first > 1} (first seq ${first})`, `more: ${more}`);
      else if (first > 1 && msgs.length < limit) {
        bad('SYNC-2', `a full page of ${limit} while older messages exist`, `${msgs.length} messages`);
      }
    }
  }
  if (holes.length > 0 && contiguous) {
    s.pageHoles.push({ idx: i, user, holes, maxSeq, forward, chained, boundary });
  }
}

/** End of the pass: each page hole is a skipped message (it exists) or a hole in the inbox. */
export function judgePageHoles(s: Scan): void {
  for (const page of s.pageHoles) {
    const skipped: number[] = [];
    const missing: number[] = [];
    let atBoundary = false;
    for (const [k, h] of page.holes.entries()) {
      if (page.user.seqs.has(h) || h === page.maxSeq) {
        skipped.push(h);
        if (k < page.boundary) atBoundary = true;
      } else if (!page.user.holeReported(h)) {
        missing.push(h);
        page.user.reportHole(h);
      }
    }
    if (skipped.length > 0) {
      const requirement = !page.forward ? 'SYNC-2' : page.chained && atBoundary ? 'SYNC-4' : 'SYNC-1';
      s.sink.add({
        kind: 'sync-page',
        requirement,
        expected: `every existing seq in the page's range${requirement === 'SYNC-4' ? ', none skipped at the page boundary' : ''}`,
        actual: `the page skipped seq ${skipped.join(', ')}, seen elsewhere in ${page.user.name}'s inbox`,
        evidence: [page.idx, ...skipped.map((h) => seqIdxOf(s, page.user.seqs.get(h)))],
      });
    }
    if (missing.length > 0) {
      s.l.seqGaps += missing.length;
      s.sink.add({
        kind: 'seq-gap',
        requirement: 'SEQ-1',
        expected: `contiguous seqs in ${page.user.name}'s inbox`,
        actual: `seq ${missing.join(', ')} exist nowhere: a sync page read across ${missing.length === 1 ? 'it' : 'them'}`,
        evidence: [page.idx],
      });
    }
  }
}

function seqIdxOf(s: Scan, stored: number): number {
  return stored >= 0 ? s.l.stored.seqIdx(stored) : -1;
}
