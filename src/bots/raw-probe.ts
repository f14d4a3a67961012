/**
 * Raw probes for `raw` steps: send exactly the given text and report what came back — the A
 * frame answering the rid, the close, or nothing in time. Before hello this runs on a fresh
 * socket with no session (AUTH-1/2/4, FRAME-2/3/5); after hello on the bot's own session.
 */

import type { DriverSession, RawFrame, RawSocket } from '../drivers/driver.js';
import { TimeoutError, UnsupportedError } from '../errors.js';
import { FRAME_TYPES, type FrameType } from '../protocol/frames.js';
import { checkFrame } from '../protocol/validate.js';
import type { RawAnswer, RawOptions } from './types.js';

const KNOWN: ReadonlySet<string> = new Set(FRAME_TYPES);

/** Resolves with `p`'s value, or undefined after `ms`. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

function answers(rid: string | null) {
  return (f: RawFrame): boolean => {
    if (!f.type?.endsWith(':A')) return false;
    return rid === null ? f.type === 'error:A' && f.fields.rid === null : f.fields.rid === rid;
  };
}

/** Probe on a socket with no session. The socket is closed afterwards by the caller. */
export async function probeRawSocket(
  socket: RawSocket,
  data: string | Uint8Array | null,
  rid: string | null,
  options: RawOptions,
): Promise<RawAnswer> {
  const start = performance.now();
  if (data !== null) socket.send(data);
  const answer: RawAnswer = { timedOut: false };
  try {
    const frame = await socket.next(answers(rid), options.timeoutMs);
    if (frame) answer.frame = frame;
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    answer.timedOut = true;
  }
  await settleClose(answer, socket.closed, options, start);
  return answer;
}

/** Probe on a logged-in session (AUTH-5, FRAME-3/6 after hello). */
export async function probeSession(
  session: DriverSession,
  text: string | null,
  rid: string | null,
  options: RawOptions,
): Promise<RawAnswer> {
  if (!session.sendRaw) throw new UnsupportedError(`this driver cannot send raw frames on a session`);
  if (text === null || options.binary) {
    throw new UnsupportedError('a raw step that sends nothing or sends binary needs beforeHello: true');
  }
  const start = performance.now();
  const answer: RawAnswer = { timedOut: false };
  try {
    const fields = await session.sendRaw(text, rid, options.timeoutMs);
    if (fields) answer.frame = rawFrameOf(fields);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    answer.timedOut = true;
  }
  await settleClose(answer, session.closed, options, start);
  return answer;
}

/** With no answer the connection ended (or we wait for it when told to). */
async function settleClose(
  answer: RawAnswer,
  closed: Promise<RawAnswer['close']>,
  options: RawOptions,
  start: number,
): Promise<void> {
  if (answer.frame === undefined && !answer.timedOut) {
    answer.close = await closed;
  } else if (options.awaitClose) {
    const left = options.timeoutMs - (performance.now() - start);
    const close = await within(closed, left);
    if (close) {
      answer.close = close;
      answer.timedOut = false;
    } else {
      answer.timedOut = true;
    }
  }
}

/** Rebuilds a RawFrame from an answer's fields (validation is cheap and keeps `invalid`). */
function rawFrameOf(fields: Record<string, unknown>): RawFrame {
  const type =
    typeof fields.type === 'string' && KNOWN.has(fields.type) ? (fields.type as FrameType) : undefined;
  const frame: RawFrame = { type, fields, raw: JSON.stringify(fields) };
  const checked = checkFrame(fields);
  if (!checked.ok) frame.invalid = checked.message;
  return frame;
}
