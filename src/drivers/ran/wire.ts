/**
 * One RAN/1 WebSocket as the kit sees it: every message in both directions is appended to the
 * history as a FrameEvent (timestamp, exact text, normalized fields) before anything else looks
 * at it, so the record holds even when a frame is garbage. Inbound frames are decoded with the
 * shared codec; a frame that fails is recorded with `invalid` (FRAME-4 evidence) and handed on
 * marked as such — it never throws out of the socket's event handler.
 */

import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { TargetUnreachableError, TimeoutError } from '../../errors.js';
import type { ActorId, FrameEvent, History } from '../../history/events.js';
import { decode, encode } from '../../protocol/codec.js';
import type { Frame, FrameType } from '../../protocol/frames.js';
import { salvage } from '../../protocol/ran-codec.js';
import { TextOut } from '../../ws-wire/text-out.js';
import { type FrameSink, readFrames } from '../../ws-wire/ws-frames.js';
import { nextConn, recordClose } from '../connections.js';
import type { CloseInfo } from '../driver.js';
import { TimerLanes } from '../timer-lanes.js';

/** The subprotocol RAN/1 clients offer (docs/protocol.md section 2). */
export const RAN_SUBPROTOCOL = 'ran.1';

/**
 * How long a client close waits for the server's close frame before dropping the socket. ws
 * waits 30 s by default: a server that never answers a close (or one still flooding frames ahead
 * of its answer) held every case's teardown and `monitor`'s stop that long, past every timeout.
 */
export const CLOSE_GRACE_MS = 2000;

/** The client reads whatever the server sends: a sync:A page may exceed limits.maxFrameBytes. */
const NO_LIMIT = Number.MAX_SAFE_INTEGER;

/**
 * ws's own limit on a client's inbound message (its default `maxPayload`, 100 MiB): a longer
 * frame is left to ws, which refuses it with 1009 as it always has.
 */
const WS_MAX_PAYLOAD = 100 * 1024 * 1024;

/**
 * Turns one received WebSocket message into its FrameEvent. Never throws. When the frame is
 * valid (`invalid` unset and `type` set), `fields` is the decoded frame itself — owners read it
 * from there rather than from a second object, since this runs once per frame on the hot path.
 */
export function readInbound(
  data: WebSocket.RawData,
  isBinary: boolean,
  t: number,
  actor: ActorId,
  conn: number,
): FrameEvent {
  const buf = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
      ? data
      : Buffer.from(data as ArrayBuffer);
  if (isBinary) {
    return inbound(t, actor, conn, undefined, {}, `<binary message, ${buf.length} bytes>`, BINARY);
  }
  // The socket skips ws's own UTF-8 check (it would close with 1007 and hide the frame), so the
  // check happens here and an invalid frame is still recorded, rendered lossily. One pass that
  // checks while it decodes: isUtf8 and then toString read every frame twice (~30 ns a frame).
  let raw: string;
  try {
    raw = utf8.decode(buf);
  } catch {
    return inbound(t, actor, conn, undefined, {}, buf.toString('utf8'), NOT_UTF8);
  }
  const decoded = decode(raw, NO_LIMIT);
  if (decoded.ok) {
    const frame = decoded.frame;
    return inbound(t, actor, conn, frame.type, frame as unknown as Record<string, unknown>, raw, undefined);
  }
  const { type, fields } = salvage(raw);
  return inbound(t, actor, conn, type, fields, raw, decoded.error.message);
}

/** Strict, and keeping a leading BOM as buf.toString does (it is part of what was sent). */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const BINARY = 'binary message: RAN/1 frames are text (FRAME-1)';
const NOT_UTF8 = 'frame is not valid UTF-8 (FRAME-1)';

/**
 * An inbound FrameEvent, built once with its final members (no placeholder `fields` object per
 * frame); `invalid` is present only on a frame that failed, as everywhere in the history.
 */
function inbound(
  t: number,
  actor: ActorId,
  conn: number,
  type: FrameType | undefined,
  fields: Record<string, unknown>,
  raw: string,
  invalid: string | undefined,
): FrameEvent {
  const event: FrameEvent = { kind: 'frame', t, actor, conn, dir: 'in', type, fields, raw };
  if (invalid !== undefined) event.invalid = invalid;
  return event;
}

/** The decoded frame of a valid inbound FrameEvent, else undefined. */
export function frameOf(event: FrameEvent): Frame | undefined {
  return event.invalid === undefined && event.type !== undefined
    ? (event.fields as unknown as Frame)
    : undefined;
}

/**
 * The TCP socket under each client WebSocket, taken from the handshake response (ws's public
 * 'upgrade' event), so a Wire can read and write its data frames itself (ws-wire/).
 */
const sockets = new WeakMap<WebSocket, Socket>();

/** Opens a WebSocket to a RAN/1 server, offering `ran.1`. */
export async function openSocket(url: string, timeoutMs: number, localAddress?: string): Promise<WebSocket> {
  try {
    return await attempt(url, timeoutMs, [RAN_SUBPROTOCOL], localAddress);
  } catch (error) {
    // ws refuses a handshake in which the server picked no subprotocol; offering one is only a
    // SHOULD (section 2), so a server that ignores it still gets certified.
    if (error instanceof TargetUnreachableError && /no subprotocol/i.test(error.message)) {
      return attempt(url, timeoutMs, [], localAddress);
    }
    throw error;
  }
}

/** A WebSocket still in its opening handshake, as the handshake deadline sees it. */
interface Opening {
  ws: WebSocket | undefined;
  timedOut: (() => void) | undefined;
}

/**
 * Opening-handshake deadlines of every connection in the process (one timer per distinct
 * timeout). ws's own `handshakeTimeout` arms a socket timeout that ws disables after the upgrade
 * but that the socket keeps: a Timeout and a bound function (~200 B) for every connection's
 * lifetime. Unref'd: a connecting socket keeps the process alive by itself.
 */
const openings = new TimerLanes<Opening>((o) => {
  const { ws, timedOut } = o;
  o.ws = undefined;
  o.timedOut = undefined;
  if (!ws || !timedOut) return;
  timedOut();
  ws.terminate();
}, true);

function attempt(
  url: string,
  timeoutMs: number,
  protocols: string[],
  localAddress: string | undefined,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      // closeTimeout is ws's (since 8.18) but not yet in @types/ws.
      const options: WebSocket.ClientOptions & { closeTimeout: number } = {
        perMessageDeflate: false,
        skipUTF8Validation: true,
        closeTimeout: CLOSE_GRACE_MS,
        ...(localAddress === undefined ? {} : { localAddress }),
      };
      ws = new WebSocket(url, protocols, options);
    } catch (cause) {
      reject(new TargetUnreachableError(`cannot open ${url}: ${(cause as Error).message}`, { cause }));
      return;
    }
    const opening: Opening = {
      ws,
      timedOut: () => {
        ws.off('open', onOpen);
        reject(
          new TimeoutError(
            `cannot connect to ${url}: Opening handshake has timed out after ${timeoutMs} ms. Is the target running and is the URL right?`,
          ),
        );
      },
    };
    const settled = () => {
      opening.ws = undefined;
      opening.timedOut = undefined;
    };
    const onOpen = () => {
      settled();
      ws.off('error', onError);
      resolve(ws);
    };
    const onError = (cause: Error) => {
      settled();
      ws.off('open', onOpen);
      const timedOut = /timed out/i.test(cause.message);
      const message = `cannot connect to ${url}: ${cause.message}. Is the target running and is the URL right?`;
      reject(
        timedOut ? new TimeoutError(message, { cause }) : new TargetUnreachableError(message, { cause }),
      );
    };
    ws.once('upgrade', (response) => sockets.set(ws, response.socket));
    ws.once('open', onOpen);
    ws.once('error', onError);
    openings.add(timeoutMs, opening);
  });
}

/** What a Wire hands its inbound frames to (a session, a raw probe socket). */
export interface FrameOwner {
  onFrame(event: FrameEvent): void;
  /** The connection ended (recorded already), just before `closed` resolves with `info`. */
  onClose?(info: CloseInfo): void;
}

const NO_OWNER: FrameOwner = { onFrame() {} };
const ignore = (): void => {};

/**
 * A socket's Wire, on the socket itself: its listeners are then two functions for every socket
 * (ws calls a listener with the socket as `this`), not closures over the Wire. With the close
 * listener's `once` wrapper and the executor's resolve function they were ~250 B of each idle
 * load bot (heap snapshots of 400 and 2,000 bots).
 */
const WIRE = Symbol('imspec.wire');
type Wired = WebSocket & { [WIRE]: Wire };

function onWireMessage(this: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
  (this as Wired)[WIRE].received(data, isBinary);
}

function onWireClose(this: WebSocket, code: number, reason: Buffer): void {
  (this as Wired)[WIRE].ended(code, reason);
}

/**
 * A recorded connection. Owners set `owner` and read `closed`. (An owner object rather than a
 * callback: a closure and its context per connection add up at tens of thousands of bots.)
 */
export class Wire implements FrameSink {
  readonly conn: number;
  /** How the connection ended, once it has; `closed` is made when first asked for (most never are). */
  private closedWith: CloseInfo | undefined;
  private closedPromise: Promise<CloseInfo> | undefined;
  private resolveClosed: ((info: CloseInfo) => void) | undefined;
  /** Handed every inbound frame, after it is recorded. */
  owner: FrameOwner = NO_OWNER;
  private initiator: CloseInfo['initiator'] | undefined;
  private isOpen = true;
  /**
   * A bot's burst (sends, the coalesced ack:R) leaves in one buffer and one write per tick,
   * masked here (ws-wire/text-out.ts); undefined without the socket (everything through ws).
   */
  private readonly out: TextOut | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly actor: ActorId,
    private readonly history: History,
  ) {
    this.conn = nextConn(history, actor);
    const socket = sockets.get(ws);
    this.out = socket === undefined ? undefined : new TextOut(ws, socket, true);
    (ws as Wired)[WIRE] = this;
    ws.on('message', onWireMessage);
    // Whole data frames are read off the socket here (ws-wire/ws-frames.ts, as the reference
    // server and the fault proxy read theirs); ws still reads every other frame (a ping, a close,
    // fragments, anything it would refuse) and hands a fragmented message over as 'message'.
    // ws's reader (a Writable per socket, its loop, an event per message) was about a tenth of a
    // load bot's CPU per message (exchange bench, no listeners on the history). Unmasked frames:
    // the peer is a server. The Wire is the reader's sink (frame, beforeWs): no closure per bot.
    if (socket !== undefined) readFrames(ws, socket, false, WS_MAX_PAYLOAD, this);
    // Socket errors (ECONNRESET, a protocol violation by the peer) are followed by 'close';
    // the close is what we report, so an error must not become an unhandled exception.
    ws.on('error', ignore);
    // ws emits 'close' once: no `once` wrapper needed.
    ws.on('close', onWireClose);
  }

  /** Settles once when the connection has ended, however it ended. */
  get closed(): Promise<CloseInfo> {
    if (this.closedPromise === undefined) {
      const info = this.closedWith;
      this.closedPromise =
        info !== undefined
          ? Promise.resolve(info)
          : new Promise((resolve) => {
              this.resolveClosed = resolve;
            });
    }
    return this.closedPromise;
  }

  /** An inbound message (the socket's listener). */
  received(data: WebSocket.RawData, isBinary: boolean): void {
    const event = readInbound(data, isBinary, this.history.now(), this.actor, this.conn);
    this.history.append(event);
    this.owner.onFrame(event);
  }

  /** A whole data frame read off the socket (FrameSink). */
  frame(payload: Buffer, binary: boolean): void {
    this.received(payload, binary);
  }

  /** Before ws writes in answer to what it reads (a pong, a close echo): this tick's frames first (FrameSink). */
  beforeWs(): void {
    this.out?.flush();
  }

  /** The socket closed (its listener): recorded, told to the owner, then `closed` settles. */
  ended(code: number, reason: Buffer): void {
    if (this.closedWith !== undefined) return;
    this.isOpen = false;
    // 1005 (no status) and 1006 (no close frame) are not codes anyone sent.
    const sent = code === 1005 || code === 1006 ? undefined : code;
    const initiator = this.initiator ?? (code === 1006 ? 'network' : 'server');
    const info: CloseInfo = { code: sent, reason: reason.toString('utf8'), initiator };
    this.closedWith = info;
    recordClose(this.history, this.actor, this.conn, info);
    this.owner.onClose?.(info);
    this.resolveClosed?.(info);
    this.resolveClosed = undefined;
  }

  get open(): boolean {
    return this.isOpen && this.ws.readyState === WebSocket.OPEN;
  }

  /** Encodes, records and sends a frame. Returns false when the socket is no longer open. */
  sendFrame(frame: Frame): boolean {
    const raw = encode(frame);
    this.record(raw, frame.type, frame as unknown as Record<string, unknown>, undefined);
    if (!this.open) return false;
    if (this.out === undefined) this.ws.send(raw);
    else this.out.send(raw);
    return true;
  }

  /** Records and sends one message exactly as given (probes). */
  sendRaw(data: string | Uint8Array): boolean {
    if (typeof data === 'string') {
      const decoded = decode(data, NO_LIMIT);
      if (decoded.ok) {
        this.record(data, decoded.frame.type, decoded.frame as unknown as Record<string, unknown>, undefined);
      } else {
        const { type, fields } = salvage(data);
        this.record(data, type, fields, decoded.error.message);
      }
    } else {
      this.record(`<binary message, ${data.byteLength} bytes>`, undefined, {}, 'binary message');
    }
    if (!this.open) return false;
    // Rare (probes): through ws, after what this tick queued.
    this.out?.flush();
    this.ws.send(data, { binary: typeof data !== 'string' });
    return true;
  }

  /** Close handshake; resolves when the connection has ended. */
  async close(): Promise<void> {
    this.initiator ??= 'client';
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      // What this tick queued goes before the close frame.
      this.out?.flush();
      this.ws.close(1000, 'client closing');
    }
    await this.closed;
  }

  /** Drops the TCP connection with no close frame: a crash, as the server sees it. */
  abort(): void {
    this.initiator ??= 'crash';
    // A crash loses what was not yet written, as a corked socket's destroy did.
    this.out?.discard();
    this.ws.terminate();
  }

  private record(
    raw: string,
    type: FrameType | undefined,
    fields: Record<string, unknown>,
    invalid?: string,
  ) {
    const event: FrameEvent = {
      kind: 'frame',
      t: this.history.now(),
      actor: this.actor,
      conn: this.conn,
      dir: 'out',
      type,
      fields,
      raw,
    };
    // Only raw probes send malformed frames on purpose; marking them keeps them apart from the
    // server's FRAME-4 violations (which are always dir: 'in').
    if (invalid !== undefined) event.invalid = invalid;
    this.history.append(event);
  }
}
