/**
 * PUSH-2: no push of a seq the device has acked. On one connection frames arrive in the order the
 * server sent them, and the server records an ack before it answers it, so a msg:N that arrives
 * after an ack:A with `upTo ≥ seq` was sent after the server knew. No timing slack is needed;
 * connections where the fault proxy duplicated, delayed or reordered frames are skipped, since
 * the proxy, not the server, may have sent that copy.
 */

import type { HistoryEvent } from '../../history/events.js';
import {
  type AlwaysOnJudge,
  type AlwaysOnRule,
  Faulted,
  Flagged,
  num,
  PerConn,
  type Report,
} from './types.js';

/** A class, not closures made per run: its methods' optimized code outlives one check() (advertised-limits.ts). */
class PushAfterAckJudge implements AlwaysOnJudge {
  private readonly faulted = new Faulted();
  // Per open connection: the highest ack:A. A connection's entry goes with its close, so what
  // is kept follows the connections, not the messages (nothing to forget on retirement).
  // (One object per connection, updated in place: nothing allocated per ack.)
  private readonly acked = new PerConn<{ upTo: number; idx: number }>();
  private readonly flagged = new Flagged();

  constructor(private readonly report: Report) {}

  event(e: HistoryEvent, i: number): void {
    this.faulted.note(e);
    if (e.kind === 'close') {
      this.acked.delete(e.actor, e.conn);
      return;
    }
    if (e.kind !== 'frame' || e.dir !== 'in' || this.faulted.has(e.actor)) return;
    if (e.type === 'ack:A') {
      const upTo = num(e.fields['upTo']);
      if (upTo === undefined) return;
      const before = this.acked.get(e.actor, e.conn);
      if (before === undefined) this.acked.add(e.actor, e.conn, { upTo, idx: i });
      else if (upTo > before.upTo) {
        before.upTo = upTo;
        before.idx = i;
      }
    } else if (e.type === 'msg:N') {
      const seq = num(e.fields['seq']);
      const ack = this.acked.get(e.actor, e.conn);
      if (seq === undefined || ack === undefined || seq > ack.upTo) return;
      if (!this.flagged.first(`${e.actor}\u0000${e.conn}\u0000${seq}`)) return;
      this.report({
        kind: 'wire-duplicate',
        requirement: 'PUSH-2',
        expected: `no push of seq ≤ ${ack.upTo} after ack:A upTo ${ack.upTo} on ${e.actor} conn ${e.conn}`,
        actual: `msg:N seq ${seq} (attempt ${String(e.fields['attempt'] ?? 1)}) came after it`,
        evidence: [ack.idx, i],
        cmid: typeof e.fields['cmid'] === 'string' ? e.fields['cmid'] : undefined,
        smid: typeof e.fields['smid'] === 'string' ? e.fields['smid'] : undefined,
      });
    }
  }

  forget(): void {}
}

export const pushAfterAck: AlwaysOnRule = {
  name: 'push-after-ack',
  requirements: ['PUSH-2'],
  reads: ['fault', 'close', 'ack:A', 'msg:N'],
  start(report) {
    return new PushAfterAckJudge(report);
  },
};
