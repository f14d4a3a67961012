/**
 * SEQ-4 and REPUSH-3, from every msg:N: a push carries `prevSeq` below its `seq`, the same
 * `prevSeq` for a seq each time it is pushed; and `attempt` counts the pushes of one message on
 * one connection (1, then 2, 3, …), so a receiver can tell a re-push from a first push.
 * Connections the fault proxy touched are skipped for REPUSH-3: a proxy copy repeats an attempt.
 */

import { type AlwaysOnRule, dropBorn, Faulted, Flagged, num, str } from './types.js';

/** One connection's pushes: smid → last attempt; `forgot`: some of its entries were forgotten. */
interface ConnPushes {
  attempts: Map<string, { n: number; idx: number }>;
  forgot: boolean;
}

export const pushChain: AlwaysOnRule = {
  name: 'push-chain',
  requirements: ['SEQ-4', 'REPUSH-3'],
  start(report) {
    const faulted = new Faulted();
    // (receiver, seq) → the prevSeq its first push carried.
    const prevOf = new Map<string, { prev: number; idx: number }>();
    const conns = new Map<string, ConnPushes>();
    const flagged = new Flagged();
    return {
      event(e, i) {
        faulted.note(e);
        if (e.kind === 'close') {
          conns.delete(`${e.actor}\u0000${e.conn}`);
          return;
        }
        if (e.kind !== 'frame' || e.dir !== 'in' || e.type !== 'msg:N') return;
        const f = e.fields;
        const seq = num(f['seq']);
        const smid = str(f['smid']);
        if (seq === undefined || smid === undefined) return;
        const prev = num(f['prevSeq']);
        const chainKey = `${str(f['to'])}\u0000${seq}`;
        if (prev === undefined || prev >= seq) {
          if (flagged.first(`p${chainKey}`))
            report({
              kind: 'assertion',
              requirement: 'SEQ-4',
              expected: `msg:N seq ${seq} carries prevSeq below it`,
              actual: `${e.actor} got prevSeq ${String(f['prevSeq'])}`,
              evidence: [i],
              smid,
            });
        } else {
          const first = prevOf.get(chainKey);
          if (first === undefined) prevOf.set(chainKey, { prev, idx: i });
          else if (first.prev !== prev && flagged.first(`c${chainKey}`))
            report({
              kind: 'assertion',
              requirement: 'SEQ-4',
              expected: `seq ${seq} has one previous seq (${first.prev}) in every push`,
              actual: `${e.actor} got prevSeq ${prev}`,
              evidence: [first.idx, i],
              smid,
            });
        }
        if (faulted.has(e.actor)) return;
        const connKey = `${e.actor}\u0000${e.conn}`;
        let pushes = conns.get(connKey);
        if (pushes === undefined) {
          pushes = { attempts: new Map(), forgot: false };
          conns.set(connKey, pushes);
        }
        const attempt = num(f['attempt']) ?? 1;
        const last = pushes.attempts.get(smid);
        const expected = (last?.n ?? 0) + 1;
        if (last === undefined) pushes.attempts.set(smid, { n: attempt, idx: i });
        else last.n = attempt;
        // A first sighting on a connection that forgot entries may be a re-push of a forgotten one.
        if (attempt === expected || (last === undefined && pushes.forgot)) return;
        if (!flagged.first(`a${connKey}\u0000${smid}`)) return;
        report({
          kind: 'assertion',
          requirement: 'REPUSH-3',
          expected: `push ${expected} of smid ${smid} on ${e.actor} conn ${e.conn} says attempt ${expected}`,
          actual: `it says attempt ${attempt}`,
          evidence: [i],
          smid,
        });
      },
      forget(floor) {
        dropBorn(prevOf, floor);
        for (const pushes of conns.values()) if (dropBorn(pushes.attempts, floor)) pushes.forgot = true;
      },
    };
  },
};
