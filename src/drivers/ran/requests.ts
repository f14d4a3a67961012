/**
 * Requests in flight on one connection, correlated by rid (RID-1, RID-3: answers may come in any
 * order). Each request settles exactly once: with its answer, on error:A (ServerRejectedError),
 * on a malformed answer (ProtocolError), on its deadline (TimeoutError) or when the connection
 * ends (ConnectionClosedError). Raw probes wait for "whatever answers this rid" instead.
 */

import { ConnectionClosedError, ProtocolError, ServerRejectedError, TimeoutError } from '../../errors.js';
import type { AnswerFrame, FrameType } from '../../protocol/frames.js';
import type { CloseInfo } from '../driver.js';
import type { InboundFrame } from './wire.js';

interface Waiter {
  /** The A type expected, or 'raw' for a probe that takes any answer. */
  expect: FrameType | 'raw';
  /** For messages: "msg:R rid 7 to ws://…". */
  what: string;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class Requests {
  private readonly waiting = new Map<string, Waiter>();
  /** Probes waiting for an error:A with rid null (FRAME-2), first come first served. */
  private readonly nullRid: Waiter[] = [];
  private closedWith: CloseInfo | undefined;

  get size(): number {
    return this.waiting.size;
  }

  /** Waits for the answer of type `expect` to `rid`. */
  wait<T extends AnswerFrame>(rid: string, expect: T['type'], what: string, timeoutMs: number): Promise<T> {
    return this.add(rid, expect, what, timeoutMs) as Promise<T>;
  }

  /** Waits for any A frame answering `rid` (or, for null, the next error:A with rid null). */
  waitRaw(rid: string | null, what: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    return this.add(rid, 'raw', what, timeoutMs) as Promise<Record<string, unknown> | undefined>;
  }

  private add(
    rid: string | null,
    expect: FrameType | 'raw',
    what: string,
    timeoutMs: number,
  ): Promise<unknown> {
    if (this.closedWith) {
      return expect === 'raw'
        ? Promise.resolve(undefined)
        : Promise.reject(closedError(what, this.closedWith));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { expect, what, resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        if (rid === null) {
          const i = this.nullRid.indexOf(waiter);
          if (i >= 0) this.nullRid.splice(i, 1);
        } else if (this.waiting.get(rid) === waiter) {
          this.waiting.delete(rid);
        }
        reject(new TimeoutError(`no answer to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (rid === null) this.nullRid.push(waiter);
      else this.waiting.set(rid, waiter);
    });
  }

  /** Offers an inbound A frame; returns true when it answered a waiting request. */
  settle(inbound: InboundFrame): boolean {
    const rid = inbound.fields.rid;
    let waiter: Waiter | undefined;
    if (typeof rid === 'string') {
      waiter = this.waiting.get(rid);
      if (waiter) this.waiting.delete(rid);
    } else if (rid === null && inbound.type === 'error:A') {
      waiter = this.nullRid.shift();
    }
    if (!waiter) return false;
    clearTimeout(waiter.timer);
    if (waiter.expect === 'raw') {
      waiter.resolve(inbound.fields);
    } else if (inbound.type === 'error:A') {
      const code = typeof inbound.fields.code === 'string' ? inbound.fields.code : 'unknown';
      const message = typeof inbound.fields.message === 'string' ? inbound.fields.message : '';
      waiter.reject(new ServerRejectedError(`server refused ${waiter.what}: ${code}: ${message}`, code));
    } else if (inbound.invalid !== undefined) {
      waiter.reject(
        new ProtocolError(
          `the answer to ${waiter.what} is not a valid RAN/1 frame: ${inbound.invalid}`,
          'bad-frame',
        ),
      );
    } else if (inbound.type !== waiter.expect) {
      waiter.reject(
        new ProtocolError(
          `the answer to ${waiter.what} is ${inbound.type ?? 'untyped'}, expected ${waiter.expect} (RID-1)`,
          'bad-frame',
        ),
      );
    } else {
      waiter.resolve(inbound.frame);
    }
    return true;
  }

  /** The connection ended: every request fails, every probe resolves `undefined`. */
  close(info: CloseInfo): void {
    this.closedWith = info;
    const all = [...this.waiting.values(), ...this.nullRid];
    this.waiting.clear();
    this.nullRid.length = 0;
    for (const waiter of all) {
      clearTimeout(waiter.timer);
      if (waiter.expect === 'raw') waiter.resolve(undefined);
      else waiter.reject(closedError(waiter.what, info));
    }
  }
}

function closedError(what: string, info: CloseInfo): ConnectionClosedError {
  const how = info.code === undefined ? 'without a close code' : `with code ${info.code}`;
  const reason = info.reason ? ` (${info.reason})` : '';
  return new ConnectionClosedError(
    `the connection closed (${info.initiator}, ${how}${reason}) before the answer to ${what}`,
    info.code,
  );
}
