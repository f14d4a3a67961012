/**
 * A history becomes a capture: what a tap between the bots and the server would have recorded —
 * every frame with its connection, direction and normalized fields, and every end of a
 * connection. Nothing else: the clients' decisions (send, commit, …) and injected faults are not
 * traffic. Pure. `imspec run --capture DIR` writes one capture per case with it.
 */

import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import { CAPTURE_VERSION, type CaptureClose, type CaptureFrame, type CaptureHeader } from './types.js';

const REDACTED = '<redacted>';

export function captureHeader(source: string, caps?: readonly Cap[]): CaptureHeader {
  const header: CaptureHeader = { kind: 'capture', version: CAPTURE_VERSION, source };
  if (caps) header.caps = [...caps];
  return header;
}

/** The capture line of a history event, or undefined for an event that is not traffic. */
export function captureLineOf(e: HistoryEvent): CaptureFrame | CaptureClose | undefined {
  if (e.kind === 'close') {
    const by = e.initiator === 'crash' ? 'client' : e.initiator;
    return { kind: 'close', t: round(e.t), conn: `${e.actor}#${e.conn}`, by };
  }
  if (e.kind !== 'frame') return undefined;
  const secret = typeof e.fields['token'] === 'string' ? e.fields['token'] : undefined;
  const line: CaptureFrame = {
    t: round(e.t),
    conn: `${e.actor}#${e.conn}`,
    actor: e.actor,
    dir: e.dir === 'out' ? 'to-server' : 'to-client',
    type: e.type ?? null,
    // Credentials never leave the process: a capture is a file that gets shared.
    fields: secret === undefined ? e.fields : { ...e.fields, token: REDACTED },
    raw: secret === undefined || secret === '' ? e.raw : e.raw.split(secret).join(REDACTED),
  };
  if (e.invalid !== undefined) line.invalid = e.invalid;
  return line;
}

/** Microsecond precision is what a tap's clock gives; more is noise in the file. */
function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
