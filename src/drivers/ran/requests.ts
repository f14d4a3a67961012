/**
 * Requests in flight on one connection, correlated by rid (RID-1, RID-3: answers may come in any
 * order). Each request settles exactly once: with its answer, on error:A (ServerRejectedError),
 * on a malformed answer (ProtocolError), on its deadline (TimeoutError) or when the connection
 * ends (ConnectionClosedError). Raw probes wait for "whatever answers this rid" instead.
 */

import {
  ConnectionClosedError,
  ProtocolError,
  type SentRequest,
  ServerRejectedError,
  TimeoutError,
} from '../../errors.js';
import type { FrameEvent } from '../../history/events.js';
import type { AnswerFrame, Frame, FrameType } from '../../protocol/frames.js';
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
  /**
   * Which request the waiter currently stands for: set when it is taken for one, 0 once settled.
   * A deadline carries the stamp it was armed with, so an expiry for a settled (and perhaps
   * reused) waiter falls through.
   */
  stamp: number;
  /** Turns the answer frame into what the caller wants, saving a `.then` per request. */
  map: ((frame: never) => unknown) | undefined;
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Set instead of resolve/reject for a request answered without a promise (waitWith). */
  sink: Sink | undefined;
  ctx: unknown;
  /** The request frame, when the caller gave it: its ids are shared with the answer (`settle`). */
  sent: SentRequest | undefined;
}

/** The answer side of a promise-free request (DriverSession.sendWith's SendSink). */
export interface Sink {
  accepted(ctx: unknown, value: never): void;
  failed(ctx: unknown, error: Error): void;
}

/**
 * Request deadlines of every connection in the process, one real timer per distinct timeout:
 * a lane per connection cost each logged-in load bot a Timeout, a Map and three arrays for the
 * whole life of its connection (measured ~1 KiB per bot). A settled or closed request's expiry
 * is stale (its stamp moved on) and falls through; unref'd, since a pending request always has
 * its socket.
 */
const deadlines = new TimerLanes<Waiter>((w, stamp) => {
  if (w.stamp === stamp) w.owner.expire(w);
}, true);

/**
 * Settled waiters, reused by the next request of any connection. The deadline lanes hold every
 * waiter until its timeout passes (seconds), so a fresh waiter per request outlived the young
 * generation and was copied and promoted before it died: one per message on the bots bench.
 * Bounded, so a burst leaves at most this many behind.
 */
const spare: Waiter[] = [];
const MAX_SPARE = 4096;
let nextStamp = 0;

export class Requests {
  /**
   * The waiter with a rid while it is the only one: a Map is made when a second waits at once. A
   * logged-in load bot that only receives (its acks wait for nothing) never has two, and an empty
   * Map per connection was 184 B of each idle bot (heap snapshots of 400 and 2,000 bots).
   */
  private one: Waiter | undefined;
  /** rid → waiter, once two waited at once (then every waiter with a rid is here). */
  private waiting: Map<string, Waiter> | undefined;
  /** Probes waiting for an error:A with rid null (FRAME-2), first come first served. */
  private nullRid: Waiter[] | undefined;
  private closedWith: CloseInfo | undefined;

  get size(): number {
    return (this.one === undefined ? 0 : 1) + (this.waiting?.size ?? 0);
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
    sent?: Frame,
  ): Promise<R> {
    if (this.closedWith) {
      return Promise.reject(
        closedError(describe(request, detail, rid), this.closedWith, sent as SentRequest | undefined),
      );
    }
    const waiter = this.waiter(rid, expect, request, detail, timeoutMs, map, sent);
    return new Promise((resolve, reject) => {
      waiter.resolve = resolve as (value: unknown) => void;
      waiter.reject = reject;
      this.enter(waiter);
    });
  }

  /**
   * `wait` without a promise: the outcome goes to `sink.accepted(ctx, answer)` or
   * `sink.failed(ctx, error)` — at once (a microtask later, as a promise would) when the
   * connection is already closed.
   */
  waitWith<T extends AnswerFrame, R>(
    rid: string,
    expect: T['type'],
    request: string,
    detail: string,
    timeoutMs: number,
    map: (frame: T) => R,
    sink: Sink,
    ctx: unknown,
    sent?: Frame,
  ): void {
    const closed = this.closedWith;
    if (closed) {
      const error = closedError(describe(request, detail, rid), closed, sent as SentRequest | undefined);
      queueMicrotask(() => sink.failed(ctx, error));
      return;
    }
    const waiter = this.waiter(rid, expect, request, detail, timeoutMs, map, sent);
    waiter.sink = sink;
    waiter.ctx = ctx;
    this.enter(waiter);
  }

  /** Waits for any A frame answering `rid` (or, for null, the next error:A with rid null). */
  waitRaw(rid: string | null, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    if (this.closedWith) return Promise.resolve(undefined);
    const waiter = this.waiter(rid, 'raw', 'raw frame', '', timeoutMs, undefined, undefined);
    return new Promise((resolve, reject) => {
      waiter.resolve = resolve as (value: unknown) => void;
      waiter.reject = reject;
      this.enter(waiter);
    });
  }

  private waiter(
    rid: string | null,
    expect: FrameType | 'raw',
    request: string,
    detail: string,
    timeoutMs: number,
    map: ((frame: never) => unknown) | undefined,
    sent: Frame | undefined,
  ): Waiter {
    const stamp = ++nextStamp;
    const w = spare.pop();
    if (w === undefined) {
      return {
        owner: this,
        rid,
        expect,
        request,
        detail,
        timeoutMs,
        stamp,
        map,
        resolve: noop,
        reject: noop,
        sink: undefined,
        ctx: undefined,
        sent: sent as SentRequest | undefined,
      };
    }
    w.owner = this;
    w.rid = rid;
    w.expect = expect;
    w.request = request;
    w.detail = detail;
    w.timeoutMs = timeoutMs;
    w.stamp = stamp;
    w.map = map;
    w.sent = sent as SentRequest | undefined;
    return w;
  }

  private enter(waiter: Waiter): void {
    if (waiter.rid === null) {
      this.nullRid ??= [];
      this.nullRid.push(waiter);
    } else if (this.waiting !== undefined) {
      this.waiting.set(waiter.rid, waiter);
    } else if (this.one === undefined || this.one.rid === waiter.rid) {
      this.one = waiter;
    } else {
      this.waiting = new Map([
        [this.one.rid!, this.one],
        [waiter.rid, waiter],
      ]);
      this.one = undefined;
    }
    deadlines.add(waiter.timeoutMs, waiter, waiter.stamp);
  }

  /** The shared deadline lanes: `waiter`'s timeout passed. */
  expire(waiter: Waiter): void {
    if (waiter.rid === null) {
      const i = this.nullRid?.indexOf(waiter) ?? -1;
      if (i >= 0) this.nullRid!.splice(i, 1);
    } else if (this.one === waiter) {
      this.one = undefined;
    } else if (this.waiting?.get(waiter.rid) === waiter) {
      this.waiting.delete(waiter.rid);
    }
    const error = new TimeoutError(`no answer to ${what(waiter)} within ${waiter.timeoutMs} ms`, {
      ...(waiter.sent ? { request: waiter.sent } : {}),
    });
    fail(waiter, error);
  }

  /** Offers an inbound A frame; returns true when it answered a waiting request. */
  settle(inbound: FrameEvent): boolean {
    const rid = inbound.fields.rid;
    let waiter: Waiter | undefined;
    if (typeof rid === 'string') {
      if (this.one?.rid === rid) {
        waiter = this.one;
        this.one = undefined;
      } else {
        waiter = this.waiting?.get(rid);
        if (waiter) this.waiting!.delete(rid);
      }
    } else if (rid === null && inbound.type === 'error:A') {
      waiter = this.nullRid?.shift();
    }
    if (!waiter) return false;
    if (waiter.expect === 'raw') {
      succeed(waiter, inbound.fields);
    } else if (inbound.type === 'error:A') {
      const code = typeof inbound.fields.code === 'string' ? inbound.fields.code : 'unknown';
      const message = typeof inbound.fields.message === 'string' ? inbound.fields.message : '';
      fail(waiter, new ServerRejectedError(`server refused ${what(waiter)}: ${code}: ${message}`, code));
    } else if (inbound.invalid !== undefined) {
      fail(
        waiter,
        new ProtocolError(
          `the answer to ${what(waiter)} is not a valid RAN/1 frame: ${inbound.invalid}`,
          'bad-frame',
          null,
          { frame: inbound },
        ),
      );
    } else if (inbound.type !== waiter.expect) {
      fail(
        waiter,
        new ProtocolError(
          `the answer to ${what(waiter)} is ${inbound.type ?? 'untyped'}, expected ${waiter.expect} (RID-1)`,
          'bad-frame',
          null,
          { frame: inbound },
        ),
      );
    } else {
      // A valid frame: its fields are the decoded frame itself.
      if (waiter.sent !== undefined) shareIds(inbound.fields, waiter.sent);
      succeed(waiter, waiter.map ? waiter.map(inbound.fields as never) : inbound.fields);
    }
    return true;
  }

  /** The connection ended: every request fails, every probe resolves `undefined`. */
  close(info: CloseInfo): void {
    this.closedWith = info;
    const all = [...(this.one ? [this.one] : []), ...(this.waiting?.values() ?? []), ...(this.nullRid ?? [])];
    this.one = undefined;
    this.waiting?.clear();
    this.nullRid = undefined;
    for (const waiter of all) {
      if (waiter.expect === 'raw') succeed(waiter, undefined);
      else fail(waiter, closedError(what(waiter), info, waiter.sent));
    }
  }
}

const noop = () => {};

/**
 * Settles `waiter` once, detaching its callbacks first and handing it back for reuse: the
 * deadline lanes hold it until its timeout passes, and its promise's resolving functions (or
 * sink context) would keep the answer — a whole hello:A with caps and limits — alive that long.
 */
function succeed(waiter: Waiter, value: unknown): void {
  const { resolve, sink, ctx } = waiter;
  release(waiter);
  if (sink) sink.accepted(ctx, value as never);
  else resolve(value);
}

function fail(waiter: Waiter, error: Error): void {
  const { reject, sink, ctx } = waiter;
  release(waiter);
  if (sink) sink.failed(ctx, error);
  else reject(error);
}

function release(waiter: Waiter): void {
  waiter.stamp = 0;
  waiter.resolve = noop;
  waiter.reject = noop;
  waiter.map = undefined;
  waiter.sink = undefined;
  waiter.ctx = undefined;
  waiter.sent = undefined;
  if (spare.length < MAX_SPARE) spare.push(waiter);
}

/**
 * An answer repeats its request's rid (and msg:A its cmid): where the text is the same, the
 * answer takes the request's string, so the history, which keeps both frames for the whole run,
 * holds one copy. Only equal strings are swapped: what the server sent is what is recorded.
 */
function shareIds(answer: Record<string, unknown>, sent: Readonly<Record<string, unknown>>): void {
  const rid = sent.rid;
  if (answer.rid === rid) answer.rid = rid;
  const cmid = sent.cmid;
  if (cmid !== undefined && answer.cmid === cmid) answer.cmid = cmid;
}

function what(w: Waiter): string {
  return describe(w.request, w.detail, w.rid);
}

function describe(request: string, detail: string, rid: string | null): string {
  const id = rid === null ? 'null' : rid;
  return detail ? `${request} ${detail} (rid ${id})` : `${request} (rid ${id})`;
}

/** `sent`, the request frame, lets the runner hold the server to it when the server closed. */
function closedError(request: string, info: CloseInfo, sent: SentRequest | undefined): ConnectionClosedError {
  const how = info.code === undefined ? 'without a close code' : `with code ${info.code}`;
  const reason = info.reason ? ` (${info.reason})` : '';
  return new ConnectionClosedError(
    `the connection closed (${info.initiator}, ${how}${reason}) before the answer to ${request}`,
    info.code,
    sent ? { request: sent } : undefined,
  );
}
