/**
 * FRAME-4, defined once for the checker and the metrics listener: a schema violation is an
 * inbound frame — something the target sent — that failed decoding or validation. Two kinds of
 * frame event are not: the kit's own outbound frames marked invalid (malformed-input's deliberate
 * probes), and packets a driver recorded with no RAN/1 counterpart (`type` undefined, no
 * `invalid`: an MQTT SUBACK, an XMPP presence), which are the protocol working as designed.
 */

import type { FrameEvent } from '../history/events.js';

export function isSchemaViolation(e: Pick<FrameEvent, 'dir' | 'invalid'>): boolean {
  return e.dir === 'in' && e.invalid !== undefined;
}
