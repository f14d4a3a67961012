/**
 * Requests in flight on one connection, correlated by rid (RID-1, RID-3: answers may come in any
 * order). Each request settles exactly once: with its answer, on error:A (ServerRejectedError),
 * on a malformed answer (ProtocolError), on its deadline (TimeoutError) or when the connection
 * ends (ConnectionClosedError). Raw probes wait for "whatever answers this rid" instead.
 */

import { ConnectionClosedError, ProtocolError, ServerRejectedError, TimeoutError } from '../../errors.js';
import type { FrameEvent } from '../../history/events.js';
import type { AnswerFrame, FrameType } from '../../protocol/frames.js';
import type { CloseInfo } from '../driver.js';
import { TimerLanes } from '../timer-lanes.js';

export interface Waiter {
  /** The Requests it belongs to: the deadline lanes are shared by every connection. */
  owner: Requests;
  rid: string | null;
  /** The A type expected, or 'raw' for a probe that takes any answer. */
  expect: FrameType | 'raw';
  /** The request's type and a detail ("msg:R", "c1"), rendered only when something fails. */
  request: string;
  detail: string;
  timeoutMs: number;
  done: boolean;
  /** Turns the answer frame into what the caller wants, saving a `.then` per request. */
  map: ((frame: never) => unknown) | undefined;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * Request deadlines of every connection in the process, one real timer per distinct timeout:
 * a lane per connection cost each logged-in load bot a Timeout, a Map and three arrays for the
 * whole life of its connection (measured ~1 KiB per bot). A settled or closed request's expiry
 * is stale (`done`) and falls through; unref'd, since a pending request always has its socket.
 */
const deadlines = new TimerLanes<Waiter>((w) => w.owner.expire(w), true);

export class Requests {
  private readonly waiting = new Map<string, Waiter>();
  /** Probes waiting for an error:A with rid null (FRAME-2), first come first served. */
  private nullRid: Waiter[] | undefined;
  private closedWith: CloseInfo | undefined;

  get size(): number {
    return this.waiting.size;
  }

  /**
   * Waits for the answer of type `expect` to `rid`. `request` and `detail` name the request in
   * error messages ("msg:R", "c1").
   */
  wait<T extends AnswerFrame, R = T>(
    rid: string,
    expect: T['type'],
    request: string,
    detail: string,
    timeoutMs: number,
    map?: (frame: T) => R,
  ): Promise<R> {
    return this.add(rid, expect, request, detail, timeoutMs, map) as Promise<R>;
  }

  /** Waits for any A frame answering `rid` (or, for null, the next error:A with rid null). */
  waitRaw(rid: string | null, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    return this.add(rid, 'raw', 'raw frame', '', timeoutMs) as Promise<Record<string, unknown> | undefined>;
  }

  private add(
    rid: string | null,
    expect: FrameType | 'raw',
    request: string,
    detail: string,
    timeoutMs: number,
    map?: (frame: never) => unknown,
  ): Promise<unknown> {
    const waiter: Waiter = {
      owner: this,
      rid,
      expect,
      request,
      detail,
      timeoutMs,
      done: false,
      map,
      resolve: noop,
      reject: noop,
    };
    if (this.closedWith) {
      return expect === 'raw'
        ? Promise.resolve(undefined)
        : Promise.reject(closedError(what(waiter), this.closedWith));
    }
    return new Promise((resolve, reject) => {
      waiter.resolve = resolve;
      waiter.reject = reject;
      if (rid === null) {
        this.nullRid ??= [];
        this.nullRid.push(waiter);
      } else {
        this.waiting.set(rid, waiter);
      }
      deadlines.add(timeoutMs, waiter);
    });
  }

  /** The shared deadline lanes: `waiter`'s timeout passed. */
  expire(waiter: Waiter): void {
    if (waiter.done) return;
    if (waiter.rid === null) {
      const i = this.nullRid?.indexOf(waiter) ?? -1;
      if (i >= 0) this.nullRid!.splice(i, 1);
    } else if (this.waiting.get(waiter.rid) === waiter) {
      this.waiting.delete(waiter.rid);
    }
    const reject = waiter.reject;
    release(waiter);
    reject(new TimeoutError(`no answer to ${what(waiter)} within ${waiter.timeoutMs} ms`));
  }

  /** Offers an inbound A frame; returns true when it answered a waiting request. */
  settle(inbound: FrameEvent): boolean {
    const rid = inbound.fields.rid;
    let waiter: Waiter | undefined;
    if (typeof rid === 'string') {
      waiter = this.waiting.get(rid);
      if (waiter) this.waiting.delete(rid);
    } else if (rid === null && inbound.type === 'error:A') {
      waiter = this.nullRid?.shift();
    }
    if (!waiter) return false;
    const { resolve, reject, map } = waiter;
    release(waiter);
    if (waiter.expect === 'raw') {
      resolve(inbound.fields);
    } else if (inbound.type === 'error:A') {
      const code = typeof inbound.fields.code === 'string' ? inbound.fields.code : 'unknown';
      const message = typeof inbound.fields.message === 'string' ? inbound.fields.message : '';
      reject(new ServerRejectedError(`server refused ${what(waiter)}: ${code}: ${message}`, code));
    } else if (inbound.invalid !== undefined) {
      reject(
        new ProtocolError(
          `the answer to ${what(waiter)} is not a valid RAN/1 frame: ${inbound.invalid}`,
          'bad-frame',
        ),
      );
    } else if (inbound.type !== waiter.expect) {
      reject(
        new ProtocolError(
          `the answer to ${what(waiter)} is ${inbound.type ?? 'untyped'}, expected ${waiter.expect} (RID-1)`,
          'bad-frame',
        ),
      );
    } else {
      // A valid frame: its fields are the decoded frame itself.
      resolve(map ? map(inbound.fields as never) : inbound.fields);
    }
    return true;
  }

  /** The connection ended: every request fails, every probe resolves `undefined`. */
  close(info: CloseInfo): void {
    this.closedWith = info;
    const all = [...this.waiting.values(), ...(this.nullRid ?? [])];
    this.waiting.clear();
    this.nullRid = undefined;
    for (const waiter of all) {
      const { resolve, reject } = waiter;
      release(waiter);
      if (waiter.expect === 'raw') resolve(undefined);
      else reject(closedError(what(waiter), info));
    }
  }
}

const noop = () => {};

/**
 * Marks `waiter` settled and detaches its callbacks (the caller took them first): the deadline
 * lanes hold a settled waiter until its timeout passes, and its promise's resolving functions
 * would keep the answer (a whole hello:A with caps and limits) alive that long.
 */
function release(waiter: Waiter): void {
  waiter.done = true;
  waiter.resolve = noop;
  waiter.reject = noop;
  waiter.map = undefined;
}

function what(w: Waiter): string {
  const rid = w.rid === null ? 'null' : w.rid;
  return w.detail ? `${w.request} ${w.detail} (rid ${rid})` : `${w.request} (rid ${rid})`;
}

function closedError(request: string, info: CloseInfo): ConnectionClosedError {
  const how = info.code === undefined ? 'without a close code' : `with code ${info.code}`;
  const reason = info.reason ? ` (${info.reason})` : '';
  return new ConnectionClosedError(
    `the connection closed (${info.initiator}, ${how}${reason}) before the answer to ${request}`,
    info.code,
  );
}
