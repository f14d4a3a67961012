/**
 * PUSH-2: no push of a seq the device has acked. On one connection frames arrive in the order the
 * server sent them, and the server records an ack before it answers it, so a msg:N that arrives
 * after an ack:A with `upTo ≥ seq` was sent after the server knew. No timing slack is needed;
 * connections where the fault proxy duplicated, delayed or reordered frames are skipped, since
 * the proxy, not the server, may have sent that copy.
 */

import { type AlwaysOnRule, Faulted, Flagged, num, PerConn } from './types.js';

export const pushAfterAck: AlwaysOnRule = {
  name: 'push-after-ack',
  requirements: ['PUSH-2'],
  reads: ['fault', 'close', 'ack:A', 'msg:N'],
  start(report) {
    const faulted = new Faulted();
    // Per open connection: the highest ack:A. A connection's entry goes with its close, so what
    // is kept follows the connections, not the messages (nothing to forget on retirement).
    // (One object per connection, updated in place: nothing allocated per ack.)
    const acked = new PerConn<{ upTo: number; idx: number }>();
    const flagged = new Flagged();
    return {
      event(e, i) {
        faulted.note(e);
        if (e.kind === 'close') {
          acked.delete(e.actor, e.conn);
          return;
        }
        if (e.kind !== 'frame' || e.dir !== 'in' || faulted.has(e.actor)) return;
        if (e.type === 'ack:A') {
          const upTo = num(e.fields['upTo']);
          if (upTo === undefined) return;
          const before = acked.get(e.actor, e.conn);
          if (before === undefined) acked.add(e.actor, e.conn, { upTo, idx: i });
          else if (upTo > before.upTo) {
            before.upTo = upTo;
            before.idx = i;
          }
        } else if (e.type === 'msg:N') {
          const seq = num(e.fields['seq']);
          const ack = acked.get(e.actor, e.conn);
          if (seq === undefined || ack === undefined || seq > ack.upTo) return;
          if (!flagged.first(`${e.actor}\u0000${e.conn}\u0000${seq}`)) return;
          report({
            kind: 'wire-duplicate',
            requirement: 'PUSH-2',
            expected: `no push of seq ≤ ${ack.upTo} after ack:A upTo ${ack.upTo} on ${e.actor} conn ${e.conn}`,
            actual: `msg:N seq ${seq} (attempt ${String(e.fields['attempt'] ?? 1)}) came after it`,
            evidence: [ack.idx, i],
            cmid: typeof e.fields['cmid'] === 'string' ? e.fields['cmid'] : undefined,
            smid: typeof e.fields['smid'] === 'string' ? e.fields['smid'] : undefined,
          });
        }
      },
      forget() {},
    };
  },
};
