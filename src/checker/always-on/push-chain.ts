/**
 * SEQ-4 and REPUSH-3, from every msg:N: a push carries `prevSeq` below its `seq`, the same
 * `prevSeq` for a seq each time it is pushed; and `attempt` counts the pushes of one message on
 * one connection (1, then 2, 3, …), so a receiver can tell a re-push from a first push.
 * Connections the fault proxy touched are skipped for REPUSH-3: a proxy copy repeats an attempt.
 */

import { type AlwaysOnRule, faultedActors, num, str } from './types.js';

export const pushChain: AlwaysOnRule = {
  name: 'push-chain',
  requirements: ['SEQ-4', 'REPUSH-3'],
  judge(events, report) {
    const faulted = faultedActors(events);
    // (user, seq) → prevSeq first seen; (actor, conn, smid) → last attempt.
    const prevOf = new Map<string, { prev: number; idx: number }>();
    const attempts = new Map<string, number>();
    const flagged = new Set<string>();
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.kind !== 'frame' || e.dir !== 'in' || e.type !== 'msg:N') continue;
      const f = e.fields;
      const seq = num(f['seq']);
      const smid = str(f['smid']);
      if (seq === undefined || smid === undefined) continue;
      const prev = num(f['prevSeq']);
      const chainKey = `${str(f['to'])}\u0000${seq}`;
      if (prev === undefined || prev >= seq) {
        if (!flagged.has(`p${chainKey}`)) {
          flagged.add(`p${chainKey}`);
          report({
            kind: 'assertion',
            requirement: 'SEQ-4',
            expected: `msg:N seq ${seq} carries prevSeq below it`,
            actual: `${e.actor} got prevSeq ${String(f['prevSeq'])}`,
            evidence: [i],
            smid,
          });
        }
      } else {
        const first = prevOf.get(chainKey);
        if (first === undefined) prevOf.set(chainKey, { prev, idx: i });
        else if (first.prev !== prev && !flagged.has(`c${chainKey}`)) {
          flagged.add(`c${chainKey}`);
          report({
            kind: 'assertion',
            requirement: 'SEQ-4',
            expected: `seq ${seq} has one previous seq (${first.prev}) in every push`,
            actual: `${e.actor} got prevSeq ${prev}`,
            evidence: [first.idx, i],
            smid,
          });
        }
      }
      if (faulted.has(e.actor) || faulted.has('*')) continue;
      const attempt = num(f['attempt']) ?? 1;
      const key = `${e.actor}\u0000${e.conn}\u0000${smid}`;
      const last = attempts.get(key) ?? 0;
      attempts.set(key, attempt);
      if (attempt !== last + 1 && !flagged.has(`a${key}`)) {
        flagged.add(`a${key}`);
        report({
          kind: 'assertion',
          requirement: 'REPUSH-3',
          expected: `push ${last + 1} of smid ${smid} on ${e.actor} conn ${e.conn} says attempt ${last + 1}`,
          actual: `it says attempt ${attempt}`,
          evidence: [i],
          smid,
        });
      }
    }
  },
};
