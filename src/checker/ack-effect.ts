/**
 * When a receiver's ack may have taken effect. The checker starts the delivered-receipt clock
 * (RCPT-2) when the server confirms a cursor covering the seq. But an ack request whose answer
 * never came — the server was killed, or a connection dropped, between the R and its A — may
 * have been applied all the same, at once: its receipt was then due at that moment, to the
 * sender's connections of that moment, and went down with them if they closed (RAN/1 has no way
 * to ask for it again). A later confirmation only shows the cursor had moved, not when.
 */

import { ackUpToOf } from './field-values.js';
import { unansweredSoFar } from './requests.js';
import type { UserState } from './state.js';

/**
 * The send time of the earliest unanswered ack (an `ack:R`'s `upTo`, or a `sync:R`'s `ackUpTo`)
 * by a device of `receiver` that covers `seq` and was sent before `before`; undefined when none.
 * Read only on the way to a finding, so it walks the requests without an index.
 */
export function earliestUnansweredAck(receiver: UserState, seq: number, before: number): number | undefined {
  let earliest: number | undefined;
  for (const device of receiver.devices) {
    for (const conn of device.conns) {
      for (const req of unansweredSoFar(conn)) {
        if (req === undefined || req.answerIdx >= 0 || req.t >= before) continue;
        const upTo = ackUpToOf(req.type, req.fields);
        if (upTo !== undefined && upTo >= seq && (earliest === undefined || req.t < earliest))
          earliest = req.t;
      }
    }
  }
  return earliest;
}
