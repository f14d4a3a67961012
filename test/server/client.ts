/**
 * A small RAN/1 test client for the server tests: connect, send a frame (or raw text/bytes), and
 * await the next frame matching a predicate. Every frame received is checked against the schema
 * (FRAME-4) and kept, so a test can assert on what arrived and on what did not.
 */

import WebSocket from 'ws';
import { hmacToken } from '../../src/protocol/auth.js';
import { encode } from '../../src/protocol/codec.js';
import type { AnswerFrame, Frame, FrameOf, FrameType, HelloA } from '../../src/protocol/frames.js';
import { isValidFrame } from '../../src/protocol/validate.js';

export interface Closed {
  code: number;
  reason: string;
}

interface Waiter {
  match: (f: Frame) => boolean;
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** The secret test servers use; tokens are hmacToken(TEST_SECRET, user). */
export const TEST_SECRET = 'test-secret';
export const tokenFor = (user: string) => hmacToken(TEST_SECRET, user);

export class TestClient {
  /** Every valid frame received, in order. */
  readonly received: Frame[] = [];
  /** Raw texts that were not valid frames (FRAME-4 violations). */
  readonly invalid: string[] = [];
  /** WebSocket messages received, valid or not. */
  messages = 0;
  /** Resolves when the connection closes, with the close code and reason. */
  readonly closed: Promise<Closed>;
  private readonly unread: Frame[] = [];
  private waiters: Waiter[] = [];
  private rids = 0;
  private closeInfo: Closed | undefined;

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        for (const w of this.waiters) {
          clearTimeout(w.timer);
          w.reject(new Error(`connection closed (${code} ${reason.toString()}) while waiting for a frame`));
        }
        this.waiters = [];
        resolve(this.closeInfo);
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      this.messages++;
      const text = isBinary ? '' : data.toString();
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
      }
      if (!isValidFrame(value)) {
        this.invalid.push(text);
        return;
      }
      this.received.push(value);
      const i = this.waiters.findIndex((w) => w.match(value));
      if (i >= 0) {
        const [w] = this.waiters.splice(i, 1);
        clearTimeout(w!.timer);
        w!.resolve(value);
      } else {
        this.unread.push(value);
      }
    });
  }

  static connect(url: string, protocols: string[] = ['ran.1']): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** A fresh rid for this connection. */
  rid(): string {
    return `r${++this.rids}`;
  }

  /** Sends a frame object as JSON, or raw text, or (with binary) raw bytes. */
  send(frame: object | string, options: { binary?: boolean } = {}): void {
    const text = typeof frame === 'string' ? frame : encode(frame as Frame);
    this.ws.send(options.binary ? Buffer.from(text) : text, { binary: options.binary ?? false });
  }

  /** The next unread frame of `type` matching `match`, waiting up to `timeoutMs` for it. */
  next<T extends FrameType>(
    type: T,
    match: (f: FrameOf<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<FrameOf<T>> {
    const pred = (f: Frame) => f.type === type && match(f as FrameOf<T>);
    const i = this.unread.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0] as FrameOf<T>);
    if (this.closeInfo) return Promise.reject(new Error(`connection closed (${this.closeInfo.code})`));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match: pred,
        resolve: resolve as (f: Frame) => void,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`no ${type} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Unread frames of `type` (without consuming them). */
  peek<T extends FrameType>(type: T): FrameOf<T>[] {
    return this.unread.filter((f) => f.type === type) as FrameOf<T>[];
  }

  /** Every received frame of `type`, read or not. */
  all<T extends FrameType>(type: T): FrameOf<T>[] {
    return this.received.filter((f) => f.type === type) as FrameOf<T>[];
  }

  /** Sends a request with a fresh rid (unless given) and resolves with its answer (any A with that rid). */
  async request(frame: Record<string, unknown> & { type: string }, timeoutMs = 5_000): Promise<AnswerFrame> {
    const rid = (frame['rid'] as string | undefined) ?? this.rid();
    this.send({ ...frame, rid });
    const answer = await this.nextAnswer(rid, timeoutMs);
    return answer;
  }

  /** The answer (any A frame) carrying `rid`. */
  nextAnswer(rid: string | null, timeoutMs = 5_000): Promise<AnswerFrame> {
    const pred = (f: Frame) => f.type.endsWith(':A') && (f as AnswerFrame).rid === rid;
    const i = this.unread.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0] as AnswerFrame);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match: pred,
        resolve: resolve as (f: Frame) => void,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`no answer to ${rid} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** hello:R with the test token; resolves with hello:A (throws on error:A). */
  async hello(
    user: string,
    device: string,
    extra: { lastSeq?: number; token?: string } = {},
  ): Promise<HelloA> {
    const frame: Record<string, unknown> = {
      type: 'hello:R',
      user,
      device,
      token: extra.token ?? tokenFor(user),
    };
    if (extra.lastSeq !== undefined) frame['lastSeq'] = extra.lastSeq;
    const answer = await this.request({ ...frame, type: 'hello:R' });
    if (answer.type !== 'hello:A') throw new Error(`hello failed: ${JSON.stringify(answer)}`);
    return answer;
  }

  /**
   * Round trip with ping: every frame the server sent before answering it has arrived. The
   * server handles one connection's frames in order, so this is the event that proves absence
   * ("nothing was pushed at hello") without sleeping.
   */
  async barrier(): Promise<void> {
    const answer = await this.request({ type: 'ping:R' });
    if (answer.type !== 'ping:A') throw new Error(`barrier failed: ${JSON.stringify(answer)}`);
  }

  /** Closes and waits for the close to complete. */
  async close(): Promise<Closed> {
    if (!this.closeInfo) {
      if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
        this.ws.close();
    }
    return this.closed;
  }

  /** Drops the connection without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }
}
