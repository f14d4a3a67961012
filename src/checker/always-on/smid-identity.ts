/**
 * MSG-2: every accepted message has its own smid. One smid given to two different messages —
 * two (sender, cmid) pairs — is a broken id: caught when dedup keys ignore the sender (a second
 * user's equal cmid answered with the first user's smid) or when a smid counter restarts.
 */

import { type AlwaysOnRule, dropBorn, str, userOf } from './types.js';

export const smidIdentity: AlwaysOnRule = {
  name: 'smid-identity',
  requirements: ['MSG-2'],
  start(report) {
    // smid → the message that first showed it (`flagged`: its one finding is made).
    const owner = new Map<string, { from: string; cmid: string; idx: number; flagged: boolean }>();
    // rid of a msg:R per (actor, conn) → its cmid: a msg:A names the sender only through its request.
    const pending = new Map<string, { cmid: string; idx: number }>();
    const claim = (
      smid: string | undefined,
      from: string,
      cmid: string | undefined,
      what: string,
      i: number,
    ) => {
      if (smid === undefined || cmid === undefined) return;
      const first = owner.get(smid);
      if (first === undefined) {
        owner.set(smid, { from, cmid, idx: i, flagged: false });
        return;
      }
      if ((first.from === from && first.cmid === cmid) || first.flagged) return;
      first.flagged = true;
      report({
        kind: 'assertion',
        requirement: 'MSG-2',
        expected: `smid ${smid} names one message (${first.from}'s cmid ${first.cmid})`,
        actual: `${what} gives it to ${from}'s cmid ${cmid} too`,
        evidence: [first.idx, i],
        cmid,
        smid,
      });
    };
    return {
      event(e, i) {
        if (e.kind !== 'frame' || e.type === undefined) return;
        const f = e.fields;
        if (e.dir === 'out') {
          const rid = str(f['rid']);
          if (e.type === 'msg:R' && rid !== undefined)
            pending.set(`${e.actor}\u0000${e.conn}\u0000${rid}`, { cmid: String(f['cmid']), idx: i });
          return;
        }
        if (e.type === 'msg:A') {
          const key = `${e.actor}\u0000${e.conn}\u0000${String(f['rid'])}`;
          const cmid = pending.get(key)?.cmid ?? str(f['cmid']);
          pending.delete(key);
          claim(str(f['smid']), userOf(e.actor), cmid, `${e.actor} msg:A`, i);
        } else if (e.type === 'msg:N') {
          const from = str(f['from']);
          if (from !== undefined)
            claim(str(f['smid']), from, str(f['cmid']), `${e.actor} msg:N seq ${String(f['seq'])}`, i);
        } else if (e.type === 'sync:A' && Array.isArray(f['msgs'])) {
          for (const m of f['msgs'] as unknown[]) {
            if (typeof m !== 'object' || m === null) continue;
            const r = m as Record<string, unknown>;
            const from = str(r['from']);
            if (from !== undefined)
              claim(
                str(r['smid']),
                from,
                str(r['cmid']),
                `${e.actor} sync:A item seq ${String(r['seq'])}`,
                i,
              );
          }
        }
      },
      forget(floor) {
        // A forgotten smid is claimed afresh by its next sighting: absence is never a finding.
        dropBorn(owner, floor);
        dropBorn(pending, floor);
      },
    };
  },
};
