/**
 * One WebSocket connection: decoding (FRAME-2/3/5), the hello/auth state machine (AUTH-1/4/5),
 * dispatch of each request to its handler from one switch, and the answer faults. Nothing a
 * client sends can throw out of here (FRAME-8): a handler that fails answers `internal`.
 *
 *   awaiting-hello ──hello:R ok──▶ hello-pending ──committed──▶ authenticated ──▶ closed
 *         │                             └──storage error──▶ awaiting-hello
 *         └── wrong token: error:A auth-failed, close 4401 (AUTH-2)
 */

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { decode } from '../protocol/codec.js';
import { type AnswerFrame, CloseCode, type Frame, isRequest, type RequestFrame } from '../protocol/frames.js';
import { jsonShapeProblem } from '../protocol/json-shape.js';
import type { AuthedSession, ConnectedDevice, LoginSession, ServerContext } from './context.js';
import { encodeFrame } from './encode.js';
import { BAD_SCHEMA_EVERY, DOUBLE_ANSWER_EVERY, DROP_ANSWER_EVERY } from './faults.js';
import { handleAck } from './handlers/ack.js';
import { handleHello } from './handlers/hello.js';
import { handleMsg } from './handlers/msg.js';
import { handlePing } from './handlers/ping.js';
import { handleSync } from './handlers/sync.js';
import type { DeviceFeed } from './push.js';
import { type Answerer, Reply } from './reply.js';
import { ServerWire } from './wire.js';

export type SessionState = 'awaiting-hello' | 'hello-pending' | 'authenticated' | 'closed';

/**
 * A client that reads nothing while the server keeps writing would grow the send buffer without
 * bound; past this much unsent data the connection is dropped so it cannot starve the others
 * (FRAME-8).
 */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * FRAME-8: one connection's frames handled per turn of the event loop. ws hands over every frame
 * of a TCP read at once (up to 64 KiB: thousands of tiny malformed frames), so without a budget
 * 40 pipelining clients kept a new session waiting seconds for its hello:A. Past either bound the
 * rest wait in this connection's backlog, its socket paused (so the backlog never outgrows one
 * read), and go on in the next turn, after other connections and new ones had theirs.
 */
const FRAMES_PER_TURN = 32;
const TURN_BUDGET_MS = 1;

export interface SessionHooks {
  /** True once graceful shutdown began: requests get error:A shutting-down (SHUT-1). */
  shuttingDown(): boolean;
  onClosed(session: Session): void;
}

export class Session implements AuthedSession, LoginSession, ConnectedDevice, Answerer {
  state: SessionState = 'awaiting-hello';
  user = '';
  device = '';
  private feedOrNone: DeviceFeed | undefined;
  /** Resolves when the WebSocket has closed. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private requestsAfterHello = 0;
  private framesSent = 0;
  private helloTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private lastHeard = Date.now();
  /** Frames waiting for a later turn (FRAMES_PER_TURN), oldest at `backlogHead`. */
  private backlog: [Buffer, boolean][] = [];
  private backlogHead = 0;
  private turnFrames = 0;
  private turnStarted = 0;
  private turnScheduled = false;

  /**
   * Data frames in and out on the socket itself (wire.ts). A commit batch answers every request
   * of the batch in one loop (msg:A, the stand-in ack:N, pushes): they leave in one write per
   * connection at the end of the tick, not one per frame.
   */
  private readonly wire: ServerWire;

  /**
   * @param socket the connection's TCP socket, under `ws`
   */
  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ServerContext,
    private readonly hooks: SessionHooks,
    socket?: Socket,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.wire = new ServerWire(ws, socket, ctx.limits.maxFrameBytes, (data, isBinary) =>
      this.admit(data, isBinary),
    );
    ws.on('close', () => this.onSocketClosed());
    // ws reports protocol errors (oversize → 1009, bad framing) and closes the socket itself.
    ws.on('error', () => {});
    this.armHelloTimer();
    this.armIdle(ctx.limits.idleMs);
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  get feed(): DeviceFeed {
    // Handlers that use the feed run only in the authenticated state, where it is set.
    return this.feedOrNone!;
  }

  beginHello(): void {
    this.state = 'hello-pending';
    clearTimeout(this.helloTimer);
  }

  helloFailed(): void {
    if (this.state !== 'hello-pending') return;
    this.state = 'awaiting-hello';
    this.armHelloTimer();
  }

  /** AUTH-4: no hello in time → 4408. */
  private armHelloTimer(): void {
    if (this.ctx.faults.has('no-hello-timeout')) return;
    this.helloTimer = setTimeout(() => {
      if (this.state === 'awaiting-hello') this.close(CloseCode.timeout, 'no hello in time');
    }, this.ctx.limits.helloTimeoutMs);
  }

  authenticate(user: string, device: string, feed: DeviceFeed): void {
    this.user = user;
    this.device = device;
    this.feedOrNone = feed;
    this.state = 'authenticated';
  }

  /** Sends any frame; a no-op once the session is closed (AUTH-6: "receives nothing more"). */
  send(frame: Frame): void {
    if (this.state === 'closed') return;
    let text = encodeFrame(frame);
    if (this.ctx.faults.has('bad-schema') && ++this.framesSent % BAD_SCHEMA_EVERY === 0) {
      text = `${text.slice(0, -1)},"x-fault":"bad-schema"}`;
    }
    this.wire.send(text);
    if (this.wire.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.ctx.log(
        `dropping ${this.user || 'a client'}: it reads too slowly (over ${MAX_BUFFERED_BYTES} bytes unsent)`,
      );
      this.terminate();
    }
  }

  answer(frame: AnswerFrame, requestNo: number): void {
    if (requestNo > 0 && this.ctx.faults.has('drop-answer') && requestNo % DROP_ANSWER_EVERY === 0) return;
    this.send(frame);
    if (requestNo > 0 && this.ctx.faults.has('double-answer') && requestNo % DOUBLE_ANSWER_EVERY === 0) {
      this.send(frame);
    }
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.release();
    // What this tick answered goes before the close frame.
    this.wire.flush();
    this.ws.close(code, reason);
  }

  /** Drops the connection without a closing handshake. */
  terminate(): void {
    this.release();
    this.ws.terminate();
  }

  private release(): void {
    this.state = 'closed';
    clearTimeout(this.helloTimer);
    clearTimeout(this.idleTimer);
    this.feedOrNone?.stop();
    if (this.user !== '') this.ctx.registry.remove(this);
  }

  private onSocketClosed(): void {
    this.release();
    this.resolveClosed();
    this.hooks.onClosed(this);
  }

  /** PING-2: closes with 4408 after idleMs without a frame; re-armed lazily, not per frame. */
  private armIdle(delay: number): void {
    this.idleTimer = setTimeout(() => {
      const quiet = Date.now() - this.lastHeard;
      if (quiet >= this.ctx.limits.idleMs) this.close(CloseCode.timeout, 'idle');
      else if (this.state !== 'closed') this.armIdle(this.ctx.limits.idleMs - quiet);
    }, delay);
  }

  /** Handles a frame now if this turn's budget allows (and nothing older waits), else queues it. */
  private admit(data: Buffer, isBinary: boolean): void {
    if (this.backlog.length === 0 && this.withinTurn()) {
      this.onMessage(data, isBinary);
      return;
    }
    this.backlog.push([data, isBinary]);
    this.nextTurn();
  }

  private withinTurn(): boolean {
    if (this.turnFrames === 0) {
      this.turnStarted = performance.now();
      this.nextTurn();
    }
    return ++this.turnFrames <= FRAMES_PER_TURN && performance.now() - this.turnStarted < TURN_BUDGET_MS;
  }

  /** Ends this connection's turn: pauses reading while a backlog waits, resumes it when done. */
  private nextTurn(): void {
    if (this.backlog.length > 0 && this.state !== 'closed') this.ws.pause();
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => {
      this.turnScheduled = false;
      this.turnFrames = 0;
      while (this.backlogHead < this.backlog.length && this.state !== 'closed' && this.withinTurn()) {
        const [data, isBinary] = this.backlog[this.backlogHead]!;
        this.backlog[this.backlogHead++] = undefined as unknown as [Buffer, boolean];
        this.onMessage(data, isBinary);
      }
      if (this.backlogHead >= this.backlog.length || this.state === 'closed') {
        this.backlog = [];
        this.backlogHead = 0;
        // Resumed even once closed (the rest of the backlog is dropped): ws ends the connection
        // only after reading the client's close reply, so a socket left paused held every close
        // decided from the backlog (AUTH-2's 4401, FRAME-5's 1003) until ws's 30 s close timer.
        this.ws.resume();
      } else {
        this.nextTurn();
      }
    });
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.lastHeard = Date.now();
    if (isBinary) {
      // FRAME-5: binary is refused by closing; it changes nothing.
      this.close(CloseCode.unsupportedData, 'RAN/1 frames are text');
      return;
    }
    // FRAME-8: a shape no request can have (thousands of members, deep nesting) is refused before
    // JSON.parse, whose cost it multiplies; the schema would refuse it anyway (FRAME-3). Only
    // here: requests are short, while the kit's decode also reads long sync:A pages.
    const shape = jsonShapeProblem(data);
    if (shape !== undefined) {
      new Reply(this, null).error('bad-frame', shape);
      return;
    }
    // ws runs with skipUTF8Validation so that invalid UTF-8 reaches decode, which answers
    // bad-json and keeps the connection (FRAME-2) instead of ws closing it with 1007.
    const decoded = decode(data, this.ctx.limits.maxFrameBytes);
    if (!decoded.ok) {
      const { error } = decoded;
      if (error.wireCode === 'too-large') this.close(CloseCode.messageTooBig, 'frame too large');
      else new Reply(this, error.rid).error(error.wireCode, error.message);
      return;
    }
    const frame = decoded.frame;
    if (!isRequest(frame)) {
      const rid = 'rid' in frame && typeof frame.rid === 'string' ? frame.rid : null;
      new Reply(this, rid).error('bad-frame', `${frame.type} is not a request: clients send only R frames`);
      return;
    }
    try {
      this.dispatch(frame);
    } catch (error) {
      // A bug, not the client's fault; the request had no effect because writes only happen in
      // the commit queue, and the connection and the server keep going (FRAME-8).
      this.ctx.log(`internal error on ${frame.type}: ${(error as Error).stack ?? String(error)}`);
      new Reply(this, frame.rid).error('internal', 'the server failed on this request');
    }
  }

  private dispatch(frame: RequestFrame): void {
    const authed = this.state === 'authenticated';
    const reply = new Reply(
      this,
      frame.rid,
      authed && frame.type !== 'hello:R' ? ++this.requestsAfterHello : 0,
    );
    if (this.hooks.shuttingDown()) {
      reply.error('shutting-down', 'the server is shutting down; reconnect later');
      return;
    }
    const ctx = this.ctx;
    switch (frame.type) {
      case 'ping:R':
        handlePing(frame, reply);
        break;
      case 'hello:R':
        // AUTH-5: one hello per connection (a hello still being committed counts).
        if (this.state !== 'awaiting-hello')
          reply.error('already-authenticated', 'this connection already sent hello:R');
        else handleHello(ctx, this, frame, reply);
        break;
      case 'msg:R':
        if (this.authed(reply, frame.type)) handleMsg(ctx, this, frame, reply);
        break;
      case 'ack:R':
        if (this.authed(reply, frame.type)) handleAck(ctx, this, frame, reply);
        break;
      case 'sync:R':
        if (this.authed(reply, frame.type)) handleSync(ctx, this, frame, reply);
        break;
    }
  }

  /** AUTH-1: nothing but hello and ping before hello:A. */
  private authed(reply: Reply, type: string): boolean {
    if (this.state === 'authenticated') return true;
    reply.error('not-authenticated', `send hello:R before ${type}`);
    return false;
  }
}
