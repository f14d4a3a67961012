/**
 * RCPT-2: a receipt goes to the sender of the message it is about, and names that message's
 * receiver. An ack:N reaching a user who never sent that cmid — or naming another receiver —
 * means receipts were addressed by something other than the message (say, one receipt batch per
 * ack sent to the sender of its newest message), which one sender per receiver never shows.
 */

import { type AlwaysOnRule, str, userOf } from './types.js';

export const receiptAddressee: AlwaysOnRule = {
  name: 'receipt-addressee',
  requirements: ['RCPT-2'],
  judge(events, report) {
    // (sender user, cmid) → the receiver its first msg:R named.
    const sent = new Map<string, { to: string; idx: number }>();
    const flagged = new Set<string>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== 'frame') continue;
      const user = userOf(e.actor);
      if (e.dir === 'out' && e.type === 'msg:R') {
        const cmid = str(e.fields['cmid']);
        const to = str(e.fields['to']);
        const key = `${user}\u0000${cmid}`;
        if (cmid !== undefined && to !== undefined && !sent.has(key)) sent.set(key, { to, idx: i });
        continue;
      }
      if (e.dir !== 'in' || e.type !== 'ack:N') continue;
      const cmid = str(e.fields['cmid']);
      const to = str(e.fields['to']);
      if (cmid === undefined) continue;
      const key = `${user}\u0000${cmid}`;
      if (flagged.has(key)) continue;
      const origin = sent.get(key);
      if (origin !== undefined && (to === undefined || origin.to === to)) continue;
      flagged.add(key);
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
    }
  },
};
