/**
 * The seam between bots and a target. A driver hides the wire protocol: bots connect a
 * user/device, send, ack, sync, close, and read a stream of normalized R/A/N notifications.
 * Every frame in both directions is also appended to the history (`FrameEvent`) by the driver,
 * with its timestamp and raw form.
 *
 * `ran` is the canonical driver (RAN/1 over WebSocket). `mqtt` and `xmpp` map their protocols
 * onto the same operations and declare what they cannot do in `caps`, so cases needing a missing
 * capability are UNSUPPORTED rather than FAILED. test/drivers/contract.ts runs one contract suite
 * against every driver.
 *
 * Besides frames, a driver appends one `session` event when a login succeeds (what hello:A said)
 * and one `close` event whenever a connection it opened ends, so bots never record those twice.
 */

import type { ActorId, History } from '../history/events.js';
import type { Cap, FrameType, Limits, ReceiptStatus, StoredMessage } from '../protocol/frames.js';

export interface ConnectOptions {
  user: string;
  device: string;
  /** Credential for the user; drivers interpret it (RAN token, MQTT password, XMPP password). */
  token: string;
  /** Highest seq this device has committed contiguously; omit for a device with no local state. */
  lastSeq?: number;
  /** Abort connecting after this long. @default 5000 */
  timeoutMs?: number;
}

/** What the session learned at login (hello:A, or the driver's fixed answer). */
export interface SessionInfo {
  user: string;
  device: string;
  maxSeq: number;
  pending: number;
  caps: readonly Cap[];
  limits: Limits | undefined;
}

export interface Accepted {
  cmid: string;
  smid: string;
  ts: number;
  dup: boolean;
}

export interface SyncRequest {
  after?: number;
  before?: number;
  limit: number;
  ackUpTo?: number;
}

export interface SyncPage {
  msgs: StoredMessage[];
  more: boolean;
  maxSeq: number;
}

/** Server-initiated notifications, normalized. */
export type Notification =
  | { type: 'msg:N'; msg: StoredMessage; attempt: number | undefined; t: number }
  | { type: 'ack:N'; cmid: string; smid: string; to: string; status: ReceiptStatus; t: number };

export interface CloseInfo {
  code: number | undefined;
  reason: string;
  initiator: 'client' | 'server' | 'crash' | 'network';
}

/** Where DriverSession.sendWith answers: methods of one shared object, given the caller's context. */
export interface SendSink<C> {
  accepted(ctx: C, a: Accepted): void;
  failed(ctx: C, error: Error): void;
}

/**
 * What DriverSession.watch hands a session's notifications and its close to: methods of the
 * caller, given the session, instead of a callback and a `closed.then` per session.
 */
export interface SessionWatcher {
  notified(session: DriverSession, n: Notification): void;
  /** The session ended; called once, before or as `closed` settles. */
  sessionClosed(session: DriverSession, close: CloseInfo): void;
}

export interface DriverSession {
  readonly actor: ActorId;
  readonly info: SessionInfo;
  /** Connection number of this actor (1, 2, ... across reconnects), as in FrameEvent.conn. */
  readonly conn: number;

  /**
   * Sends msg:R. Resolves on msg:A; rejects with ServerRejectedError on error:A, with
   * ConnectionClosedError when the connection ends first, with TimeoutError after `timeoutMs`.
   * A lost msg:A is the bot's problem: it retransmits with the same cmid.
   */
  send(msg: { cmid: string; to: string; body: string }, timeoutMs?: number): Promise<Accepted>;
  /**
   * Optional `send` with no promise per request, for load bots sending tens of thousands a
   * second: exactly one of `sink.accepted` / `sink.failed` is called, with `ctx`, for the same
   * outcomes as `send`. `sink` is one shared object, so a request costs no closure either.
   */
  sendWith?<C>(
    msg: { cmid: string; to: string; body: string },
    timeoutMs: number | undefined,
    sink: SendSink<C>,
    ctx: C,
  ): void;
  /** Sends ack:R (cumulative); resolves with ack:A's cursor. */
  ack(upTo: number, timeoutMs?: number): Promise<number>;
  /**
   * Optional ack:R whose answer nobody waits for (a lost ack:A changes nothing: the next ack,
   * lastSeq or the server's re-push covers it). The frames are recorded as always.
   */
  ackQuietly?(upTo: number): void;
  /** Sends sync:R; resolves with sync:A's page. */
  sync(req: SyncRequest, timeoutMs?: number): Promise<SyncPage>;
  /** Sends ping:R; resolves with the round-trip time in ms. */
  ping(timeoutMs?: number): Promise<number>;
  /**
   * Sends one raw text frame exactly as given (ran driver only; others throw UnsupportedError),
   * for probes of malformed input. Resolves with the next A frame whose rid matches `rid`, or,
   * when `rid` is null, the next error:A with rid null; resolves `undefined` when the connection
   * closes first (with the close in `closed`).
   */
  sendRaw?(
    text: string,
    rid: string | null,
    timeoutMs?: number,
  ): Promise<Record<string, unknown> | undefined>;

  /** Notifications in arrival order. Ends when the session closes. */
  notifications(): AsyncIterable<Notification>;
  /** Registers a notification callback (alternative to the iterator); returns an unsubscribe. */
  onNotification(listener: (n: Notification) => void): () => void;
  /**
   * Optional `onNotification` plus `closed.then` for load bots, tens of thousands a process: the
   * session calls `watcher`'s methods, so watching costs no closure, context or promise reaction
   * per session. Notifications that came before it are handed on first, as with onNotification;
   * a session already closed reports its close in a microtask. Once per session.
   */
  watch?(watcher: SessionWatcher): void;

  /** Clean close (close handshake). */
  close(): Promise<void>;
  /** Drop the connection with no goodbye — a client crash, as the server sees it. */
  abort(): void;
  /** Settles once when the connection ends, however it ends. */
  readonly closed: Promise<CloseInfo>;
}

/** One inbound frame as a probe sees it (the same data as its FrameEvent). */
export interface RawFrame {
  /** `op:KIND` when the frame names a known type (even if otherwise invalid), else undefined. */
  type: FrameType | undefined;
  /** The parsed JSON object ({} when the text was not a JSON object). */
  fields: Record<string, unknown>;
  raw: string;
  /** What was wrong, when the frame failed decoding or schema validation. */
  invalid?: string;
}

/**
 * A socket with no session on it, for probes of hostile or malformed input (AUTH-1/2/4,
 * FRAME-2/3/5): nothing is sent on open, not even hello. Everything in both directions is
 * recorded in the history like any other connection of the actor.
 */
export interface RawSocket {
  readonly actor: ActorId;
  readonly conn: number;
  /** Sends one WebSocket message exactly as given: text, or binary for a Uint8Array. */
  send(data: string | Uint8Array): void;
  /**
   * Resolves with the first frame received since the last match (frames that arrived earlier are
   * kept until read) for which `match` is true, or `undefined` when the connection closes first.
   * Rejects with TimeoutError after `timeoutMs`.
   */
  next(match: (frame: RawFrame) => boolean, timeoutMs: number): Promise<RawFrame | undefined>;
  /** Clean close (close handshake); resolves when the connection has ended. */
  close(): Promise<void>;
  /** Drop the TCP connection without a close frame. */
  abort(): void;
  readonly closed: Promise<CloseInfo>;
}

export interface Driver {
  /** 'ran' | 'mqtt' | 'xmpp' */
  readonly name: string;
  /**
   * Capabilities this driver can ever offer, whatever the server claims. The session's
   * `info.caps` is the intersection with what the server claims.
   */
  readonly caps: readonly Cap[];
  connect(actor: ActorId, options: ConnectOptions, history: History): Promise<DriverSession>;
  /**
   * Creates the account `user` with password `token` on the server, when the target needs
   * accounts the driver can create (XMPP with `register=1`); a no-op otherwise. The runner calls
   * it once per user of a case, one account after another, before the case's timeline, so
   * account creation is never concurrent and never part of what the case judges. Rejects with
   * ProvisioningError carrying the server's answer.
   */
  provision?(account: { user: string; token: string }, timeoutMs?: number): Promise<void>;
  /** Opens a socket without logging in, for probes (ran only; other drivers leave it out). */
  openRaw?(actor: ActorId, history: History, timeoutMs?: number): Promise<RawSocket>;
}

export interface DriverFactoryOptions {
  /** Target URL: ws://host:port for ran, mqtt://host:port, xmpp://host:port. */
  target: string;
  /**
   * Where setup connections go (account creation, an MQTT 3.1.1 session wipe) when `target` is a
   * fault proxy: straight to the server, so a case's faults hit only its own connections and
   * count only those (a rule's `nth` connection). @default target
   */
  setupTarget?: string;
  /**
   * Local address client sockets bind to (ran only), so a load run can spread connections over
   * 127.0.0.2, 127.0.0.3, … when one address's ephemeral ports do not suffice. @default the OS's choice
   */
  localAddress?: string;
}
