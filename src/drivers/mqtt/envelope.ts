/**
 * How an imspec message rides in an MQTT PUBLISH. MQTT carries bytes to a topic and nothing
 * else, so the cmid, the sender and the send time travel with the body: either as a JSON
 * envelope in the payload (works on 3.1.1 and 5) or as MQTT 5 user properties beside a payload
 * that is the body itself. Pure: no I/O.
 */

import type { CmidCarrier } from './target.js';

export interface Envelope {
  cmid: string;
  /** The sending user, as the sender claims it (MQTT does not authenticate payloads). */
  from: string;
  body: string;
  /** Sender's wall clock at publish, ms since the epoch (MQTT has no server timestamp). */
  ts: number;
}

export type UserProperties = Record<string, string | string[]>;

export interface Encoded {
  payload: string;
  userProperties?: UserProperties;
}

export function encodeEnvelope(envelope: Envelope, carrier: CmidCarrier): Encoded {
  if (carrier === 'property') {
    return {
      payload: envelope.body,
      userProperties: { cmid: envelope.cmid, from: envelope.from, ts: String(envelope.ts) },
    };
  }
  return { payload: JSON.stringify(envelope) };
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads an envelope from a received PUBLISH, whichever carrier the sender used (user properties
 * win when they name a cmid). Returns a reason string when the payload is not an imspec message.
 */
export function decodeEnvelope(
  payload: Buffer | string,
  userProperties: UserProperties | undefined,
): Envelope | string {
  const text = typeof payload === 'string' ? payload : payload.toString('utf8');
  const cmid = one(userProperties?.cmid);
  if (cmid !== undefined) {
    const from = one(userProperties?.from);
    if (from === undefined) return 'user property "from" missing beside "cmid"';
    const ts = Number(one(userProperties?.ts));
    return { cmid, from, body: text, ts: Number.isFinite(ts) ? ts : 0 };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'payload is not JSON and carries no cmid user property';
  }
  if (typeof value !== 'object' || value === null) return 'payload is not a JSON object';
  const v = value as Record<string, unknown>;
  if (typeof v.cmid !== 'string' || v.cmid === '') return 'envelope has no string "cmid"';
  if (typeof v.from !== 'string' || v.from === '') return 'envelope has no string "from"';
  if (typeof v.body !== 'string') return 'envelope has no string "body"';
  const ts = typeof v.ts === 'number' && Number.isFinite(v.ts) ? v.ts : 0;
  return { cmid: v.cmid, from: v.from, body: v.body, ts };
}

/**
 * The server id of a message on a protocol that has none: the sender and its cmid. It is the
 * same at the sender (msg:A) and at every receiver (msg:N), so the ledger can match them, and a
 * second PUBLISH of the same cmid (a retransmission the broker cannot deduplicate) shows up as a
 * wire duplicate of the same smid rather than as a different message.
 */
export function smidOf(from: string, cmid: string): string {
  return `${from}/${cmid}`;
}
