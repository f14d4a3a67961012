/**
 * The recording duties, checked on a whole history after a contract case: what the checker
 * needs from every driver (frames with time, connection and RAN/1 names; requests and answers
 * correlated by rid; one session per login; one close per connection; connections numbered from
 * 1). Pure: history in, the first broken duty thrown as a ContractViolation.
 */

import type { FrameEvent, HistoryEvent } from '../history/events.js';
import { ContractViolation, type Duty, must, show } from './duties.js';

/** Members each frame type must carry, as strings (or numbers for upTo). */
const REQUIRED: Partial<Record<string, readonly [string, 'string' | 'number'][]>> = {
  'msg:R': [
    ['cmid', 'string'],
    ['to', 'string'],
    ['body', 'string'],
  ],
  'msg:A': [
    ['cmid', 'string'],
    ['smid', 'string'],
  ],
  'msg:N': [
    ['smid', 'string'],
    ['cmid', 'string'],
    ['from', 'string'],
    ['to', 'string'],
    ['body', 'string'],
  ],
  'ack:R': [['upTo', 'number']],
  'ack:N': [
    ['cmid', 'string'],
    ['smid', 'string'],
    ['to', 'string'],
    ['status', 'string'],
  ],
};

/** Requests every protocol answers, so they need a rid. (ack:R may go unanswered: MQTT's PUBACK.) */
const ANSWERED_REQUESTS = new Set(['hello:R', 'msg:R', 'sync:R', 'ping:R']);

interface Conn {
  frames: number;
  sessions: number;
  closes: number;
  /** rid → type of the requests sent on this connection. */
  sent: Map<string, string>;
}

function where(e: { actor: string; conn: number }): string {
  return `${e.actor} conn ${e.conn}`;
}

/**
 * Checks every recording duty over `events`, which must hold whole connections (each one closed).
 * Throws the first ContractViolation found.
 */
export function checkRecording(events: readonly HistoryEvent[]): void {
  const conns = new Map<string, Conn>();
  const byActor = new Map<string, number[]>();
  const connOf = (actor: string, n: number): Conn => {
    const key = `${actor}#${n}`;
    let c = conns.get(key);
    if (!c) {
      c = { frames: 0, sessions: 0, closes: 0, sent: new Map() };
      conns.set(key, c);
      const list = byActor.get(actor) ?? [];
      list.push(n);
      byActor.set(actor, list);
    }
    return c;
  };
  let lastT = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    must(
      typeof e.t === 'number' && Number.isFinite(e.t) && e.t >= lastT,
      'record-frames',
      'event times from history.now(), never going back',
      () => `${e.kind} at t=${show(e.t)} after t=${lastT.toFixed(3)}`,
    );
    lastT = e.t;
    if (e.kind === 'frame') checkFrame(e, connOf);
    else if (e.kind === 'session') {
      must(
        Number.isInteger(e.conn) && e.conn >= 1,
        'record-session',
        'the session event on the login connection number',
        () => `conn ${show(e.conn)}`,
      );
      const c = connOf(e.actor, e.conn);
      must(
        c.frames > 0,
        'record-session',
        'the session event after the login frames of its connection',
        () => `a session of ${where(e)} before any frame of it`,
      );
      c.sessions++;
      must(
        c.sessions === 1,
        'record-session',
        'one session event per login',
        () => `${c.sessions} on ${where(e)}`,
      );
    } else if (e.kind === 'close') {
      const c = connOf(e.actor, e.conn);
      c.closes++;
      must(
        c.closes === 1,
        'record-close',
        'one close event per connection',
        () => `${c.closes} on ${where(e)}`,
      );
    }
  }
  for (const [actor, ns] of byActor) {
    must(
      ns.every((n, i) => n === i + 1),
      'record-conn',
      `connections of ${actor} numbered 1, 2, … in the order they opened`,
      () => `connection numbers ${ns.join(', ')}`,
    );
    for (const n of ns) {
      const c = conns.get(`${actor}#${n}`)!;
      must(
        c.closes === 1,
        'record-close',
        `a close event for ${actor} conn ${n} once it ended`,
        () => `${c.closes} close events`,
      );
    }
  }
}

function checkFrame(e: FrameEvent, connOf: (actor: string, n: number) => Conn): void {
  must(
    typeof e.actor === 'string' && e.actor.includes('/'),
    'record-frames',
    'frames recorded with the actor ("user/device") that connect() was given',
    () => `actor ${show(e.actor)}`,
  );
  must(
    Number.isInteger(e.conn) && e.conn >= 1,
    'record-conn',
    'frames recorded with the connection number from kit.connection() (1, 2, …)',
    () => `conn ${show(e.conn)} on a frame of ${e.actor}`,
  );
  must(e.dir === 'in' || e.dir === 'out', 'record-frames', 'dir "out" (client→server) or "in"', () =>
    show(e.dir),
  );
  must(
    typeof e.raw === 'string' && e.raw.length > 0,
    'record-frames',
    'raw: the wire text or a readable rendering, never empty',
    () => `raw ${show(e.raw)} on ${e.type ?? 'an untyped frame'} of ${where(e)}`,
  );
  must(
    typeof e.fields === 'object' && e.fields !== null,
    'record-frames',
    'fields: an object of RAN/1 members',
    () => show(e.fields),
  );
  const c = connOf(e.actor, e.conn);
  c.frames++;
  const type = e.type;
  if (type === undefined || e.invalid !== undefined) return;
  for (const [member, kind] of REQUIRED[type] ?? []) {
    must(
      typeof e.fields[member] === kind,
      'record-fields',
      `${type} with fields.${member} (${kind})`,
      () => `${type} of ${where(e)} with fields ${show(e.fields)}`,
    );
  }
  const rid = e.fields['rid'];
  if (e.dir === 'out') {
    if (ANSWERED_REQUESTS.has(type)) {
      must(
        typeof rid === 'string' && rid.length >= 1 && rid.length <= 64,
        'record-rids',
        `${type} with fields.rid (1-64 characters) so its answer can be matched`,
        () => `${type} of ${where(e)} with rid ${show(rid)}`,
      );
    }
    if (typeof rid === 'string') c.sent.set(rid, type);
    return;
  }
  if (!type.endsWith(':A') || rid === null) return;
  const duty: Duty = 'record-rids';
  if (typeof rid !== 'string') {
    throw new ContractViolation(
      duty,
      `${type} with the rid of the request it answers`,
      `${type} of ${where(e)} with rid ${show(rid)}`,
    );
  }
  const request = c.sent.get(rid);
  must(
    request !== undefined,
    duty,
    `${type} rid ${rid} answering a request sent earlier on the same connection`,
    () => `no request with rid ${rid} on ${where(e)}`,
  );
  const op = type.slice(0, type.indexOf(':'));
  must(
    op === 'error' || request.startsWith(`${op}:`),
    duty,
    `the answer to ${request} rid ${rid} to be ${request.replace(':R', ':A')} or error:A`,
    () => type,
  );
}
