/**
 * The duties of a driver: what the rest of the kit relies on. Every contract failure names one,
 * and docs/drivers.md ("The driver contract") explains each with what to do about it.
 */

export const DUTIES = {
  login:
    'connect() logs in and resolves with the session: user, device, maxSeq and pending (count first), and the capabilities both driver and server offer',
  send: 'send() resolves on the server acceptance (msg:A) with the cmid and the server id (smid); a repeated cmid answers dup with the same smid when the server deduplicates',
  push: 'a message for an online user reaches its session as a msg:N notification carrying smid, cmid, from, to, body and seq',
  ack: 'ack(upTo) resolves with the cursor the server confirmed (ack:A)',
  sync: 'sync() returns pages of the inbox in seq order without skipping or repeating, with more and maxSeq',
  receipts:
    'receipts reach the sender as ack:N notifications with cmid, smid, to and status (stored | delivered)',
  close:
    'close() ends the connection in order: closed settles with initiator "client", later requests reject with ConnectionClosedError',
  abort:
    'abort() drops the connection like a crash: closed settles with initiator "crash", requests in flight reject with ConnectionClosedError',
  'record-frames':
    'every frame in both directions is appended to the history as it is written or read: t, actor, conn, dir, type (op:KIND or undefined), fields, a non-empty raw; times never go back',
  'record-rids':
    'each request the server answers carries fields.rid, and its answer (op:A or error:A) carries the same rid on the same connection',
  'record-fields':
    'frames use RAN/1 member names: msg:R {rid, cmid, to, body}, msg:A {rid, cmid, smid}, msg:N {smid, cmid, from, to, body}, ack:R {upTo}, ack:N {cmid, smid, to, status}',
  'record-session':
    'one session event per successful login, on the login connection, after its answer frame and before connect() resolves',
  'record-close':
    'exactly one close event per connection the driver opened (failed logins included), with who ended it',
  'record-conn':
    'connections are numbered per actor from 1 by kit.connection(history, actor) (or nextConn), shared with every driver in the history',
  checker:
    'bots running on the driver exchange messages both ways and the checker finds nothing wrong in the history they leave',
} as const;

export type Duty = keyof typeof DUTIES;

/** A driver broke a duty: what was expected and what happened. */
export class ContractViolation extends Error {
  constructor(
    readonly duty: Duty,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`[${duty}] expected ${expected}; got ${actual}`);
    this.name = 'ContractViolation';
  }
}

/** Throws a ContractViolation of `duty` unless `ok`. */
export function must(ok: boolean, duty: Duty, expected: string, actual: () => string): asserts ok {
  if (!ok) throw new ContractViolation(duty, expected, actual());
}

/** A short rendering of a value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = JSON.stringify(value);
    return text.length > 160 ? `${text.slice(0, 160)}…` : text;
  } catch {
    return String(value);
  }
}
