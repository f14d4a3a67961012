/**
 * SEQ-4 and REPUSH-3, from every msg:N: a push carries `prevSeq` below its `seq`, the same
 * `prevSeq` for a seq each time it is pushed; and `attempt` counts the pushes of one message on
 * one connection (1, then 2, 3, …), so a receiver can tell a re-push from a first push.
 * Connections the fault proxy touched are skipped for REPUSH-3: a proxy copy repeats an attempt.
 */

import { type AlwaysOnRule, Faulted, Flagged, num, PerConn, str } from './types.js';

/**
 * One connection's pushes: smid → the index of its first push here (insertion order is birth
 * order), its last `attempt` when that is not 1 (rare), and whether entries were forgotten.
 */
interface ConnPushes {
  born: Map<string, number>;
  attempts: Map<string, number>;
  forgot: boolean;
}

/**
 * One receiver's inbox: seq → its first push's index, and the prevSeq that push carried — kept
 * only when it is not seq − 1 (a contiguous inbox, the usual one, costs one map entry a seq).
 */
interface Chain {
  prev: Map<number, number>;
  born: Map<number, number>;
}

export const pushChain: AlwaysOnRule = {
  name: 'push-chain',
  requirements: ['SEQ-4', 'REPUSH-3'],
  start(report) {
    const faulted = new Faulted();
    // Numbers in maps keyed by what the frames already carry: no key string, no object per push.
    const chains = new Map<string | undefined, Chain>();
    const conns = new PerConn<ConnPushes>();
    const flagged = new Flagged();
    return {
      event(e, i) {
        faulted.note(e);
        if (e.kind === 'close') {
          conns.delete(e.actor, e.conn);
          return;
        }
        if (e.kind !== 'frame' || e.dir !== 'in' || e.type !== 'msg:N') return;
        const f = e.fields;
        const seq = num(f['seq']);
        const smid = str(f['smid']);
        if (seq === undefined || smid === undefined) return;
        const prev = num(f['prevSeq']);
        const to = str(f['to']);
        if (prev === undefined || prev >= seq) {
          if (flagged.first(`p${to}\u0000${seq}`))
            report({
              kind: 'assertion',
              requirement: 'SEQ-4',
              expected: `msg:N seq ${seq} carries prevSeq below it`,
              actual: `${e.actor} got prevSeq ${String(f['prevSeq'])}`,
              evidence: [i],
              smid,
            });
        } else {
          let chain = chains.get(to);
          if (chain === undefined) {
            chain = { prev: new Map(), born: new Map() };
            chains.set(to, chain);
          }
          const born = chain.born.get(seq);
          const first = born === undefined ? undefined : (chain.prev.get(seq) ?? seq - 1);
          if (first === undefined) {
            chain.born.set(seq, i);
            if (prev !== seq - 1) chain.prev.set(seq, prev);
          } else if (first !== prev && flagged.first(`c${to}\u0000${seq}`))
            report({
              kind: 'assertion',
              requirement: 'SEQ-4',
              expected: `seq ${seq} has one previous seq (${first}) in every push`,
              actual: `${e.actor} got prevSeq ${prev}`,
              evidence: [born!, i],
              smid,
            });
        }
        if (faulted.has(e.actor)) return;
        let pushes = conns.get(e.actor, e.conn);
        if (pushes === undefined) {
          pushes = { born: new Map(), attempts: new Map(), forgot: false };
          conns.add(e.actor, e.conn, pushes);
        }
        const attempt = num(f['attempt']) ?? 1;
        const seen = pushes.born.has(smid);
        const expected = seen ? (pushes.attempts.get(smid) ?? 1) + 1 : 1;
        if (!seen) pushes.born.set(smid, i);
        if (attempt !== 1) pushes.attempts.set(smid, attempt);
        else if (seen) pushes.attempts.delete(smid);
        // A first sighting on a connection that forgot entries may be a re-push of a forgotten one.
        if (attempt === expected || (!seen && pushes.forgot)) return;
        if (!flagged.first(`a${e.actor}\u0000${e.conn}\u0000${smid}`)) return;
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
        // Insertion order is birth order: each walk stops at the first entry still alive.
        for (const chain of chains.values()) {
          for (const [seq, born] of chain.born) {
            if (born >= floor) break;
            chain.born.delete(seq);
            chain.prev.delete(seq);
          }
        }
        for (const pushes of conns.values()) {
          for (const [smid, born] of pushes.born) {
            if (born >= floor) break;
            pushes.born.delete(smid);
            pushes.attempts.delete(smid);
            pushes.forgot = true;
          }
        }
      },
    };
  },
};
