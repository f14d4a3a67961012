/**
 * RCPT-2: a receipt goes to the sender of the message it is about, and names that message's
 * receiver. An ack:N reaching a user who never sent that cmid, or whose smid another user's
 * msg:A got (users may share cmids) — or naming another receiver —
 * means receipts were addressed by something other than the message (say, one receipt batch per
 * ack sent to the sender of its newest message), which one sender per receiver never shows.
 */

import { type AlwaysOnRule, dropBorn, Flagged, str, userOf } from './types.js';

/** Forgotten (sender, cmid) keys remembered per generation (two generations are kept). */
const FORGOTTEN_PER_GENERATION = 65_536;

export const receiptAddressee: AlwaysOnRule = {
  name: 'receipt-addressee',
  requirements: ['RCPT-2'],
  start(report) {
    // (sender user, cmid) → the receiver its first msg:R named.
    const sent = new Map<string, { to: string; idx: number }>();
    // smid → the user whose msg:A got it: names the sender even where users share cmids.
    const ownerOf = new Map<string, { user: string; idx: number }>();
    const flagged = new Flagged();
    // "Never sent" is read from absence, so a streaming ledger's forgotten sends are remembered
    // (as keys only) — a late receipt of a settled message is not a stranger's. Once a generation
    // of them is dropped, absence proves nothing and only the named receiver is judged.
    let forgotten = new Set<string>();
    let older = new Set<string>();
    let lossy = false;
    return {
      event(e, i) {
        if (e.kind !== 'frame') return;
        const user = userOf(e.actor);
        if (e.dir === 'out' && e.type === 'msg:R') {
          const cmid = str(e.fields['cmid']);
          const to = str(e.fields['to']);
          const key = `${user}\u0000${cmid}`;
          if (cmid !== undefined && to !== undefined && !sent.has(key)) sent.set(key, { to, idx: i });
          return;
        }
        if (e.dir === 'in' && e.type === 'msg:A') {
          const smid = str(e.fields['smid']);
          if (smid !== undefined && !ownerOf.has(smid)) ownerOf.set(smid, { user, idx: i });
          return;
        }
        if (e.dir !== 'in' || e.type !== 'ack:N') return;
        const cmid = str(e.fields['cmid']);
        const to = str(e.fields['to']);
        if (cmid === undefined) return;
        const key = `${user}\u0000${cmid}`;
        const smid = str(e.fields['smid']);
        const owner = smid === undefined ? undefined : ownerOf.get(smid);
        if (owner !== undefined && owner.user !== user) {
          if (flagged.first(`s${smid}`))
            report({
              kind: 'unexpected-message',
              requirement: 'RCPT-2',
              expected: `the receipt for smid ${smid} goes to its sender ${owner.user}`,
              actual: `${e.actor} got ack:N ${String(e.fields['status'])} for it (cmid ${cmid})`,
              evidence: [owner.idx, i],
              cmid,
              smid,
            });
          return;
        }
        const origin = sent.get(key);
        if (origin !== undefined && (to === undefined || origin.to === to)) return;
        if (origin === undefined && (lossy || forgotten.has(key) || older.has(key))) return;
        if (!flagged.first(key)) return;
        report({
          kind: 'unexpected-message',
          requirement: 'RCPT-2',
          expected:
            origin === undefined
              ? `receipts only for messages ${user} sent`
              : `a receipt for ${user}'s cmid ${cmid} names its receiver ${origin.to}`,
          actual:
            origin === undefined
              ? `${e.actor} got ack:N ${String(e.fields['status'])} for cmid ${cmid}, which ${user} never sent`
              : `${e.actor} got ack:N naming to: ${String(to)}`,
          evidence: origin === undefined ? [i] : [origin.idx, i],
          cmid,
          smid: str(e.fields['smid']),
        });
      },
      forget(floor) {
        dropBorn(ownerOf, floor);
        for (const [key, v] of sent) {
          if (v.idx >= floor) continue;
          sent.delete(key);
          forgotten.add(key);
          if (forgotten.size >= FORGOTTEN_PER_GENERATION) {
            lossy ||= older.size > 0;
            older = forgotten;
            forgotten = new Set();
          }
        }
      },
    };
  },
};
