/**
 * The driver kit: what imspec hands every driver module's `create(options, kit)`, so a driver
 * written in its own package needs nothing from imspec at run time — not even the same copy of
 * it. The error classes are the ones the bots and the contract test recognise, and the
 * connection log appends frames, the session and the close to the history exactly as the
 * checker expects (docs/drivers.md, "What a driver records").
 */

import {
  AuthError,
  ConfigError,
  ConnectionClosedError,
  ProtocolError,
  ServerRejectedError,
  TargetUnreachableError,
  TimeoutError,
  UnsupportedError,
} from '../errors.js';
import type { ActorId, FrameEvent, History } from '../history/events.js';
import { CAPS, type Cap, type FrameType } from '../protocol/frames.js';
import { nextConn, recordClose, recordSession } from './connections.js';
import type { CloseInfo, SessionInfo } from './driver.js';
import { NotificationHub } from './notification-hub.js';

/** One frame to record, as a codec decodes it (src/protocol/frame-codec.ts). */
export interface FrameRecord {
  /** `op:KIND` under RAN/1 names; undefined for a frame with no RAN/1 counterpart. */
  type: FrameType | undefined;
  /** Members under RAN/1 names (rid, cmid, smid, seq, upTo, …). */
  fields: Record<string, unknown>;
  /** The wire text, or a readable rendering of a binary frame. Never empty. */
  raw: string;
  /** Inbound: what was wrong with a frame that did not decode or broke the protocol (FRAME-4). */
  invalid?: string;
}

/**
 * The history record of one connection. Open it when the transport connection is up (before the
 * first frame); it numbers the connection (`conn`: 1, 2, … per actor and history, shared with
 * every other driver and probe socket), and appends events in time order.
 */
export interface ConnectionLog {
  readonly actor: ActorId;
  readonly conn: number;
  /**
   * Appends one frame, timed now: `out` just before it is written to the socket, `in` as soon as
   * it is read and decoded — before the driver settles a request or notifies anyone with it.
   * Returns the event (its `t` is the notification time to use).
   */
  frame(dir: 'in' | 'out', frame: FrameRecord): FrameEvent;
  /**
   * Appends the connection's `session` event: once, when the login answer (hello:A or the
   * protocol's equivalent) has been recorded and before `connect()` resolves. Later calls throw.
   */
  session(info: SessionInfo, lastSeq: number | undefined): void;
  /**
   * Appends the connection's `close` event: once, however the connection ended (later calls are
   * ignored, so every path that notices an end may call it). `initiator`: `client` after
   * `close()`, `crash` after `abort()`, `server` when the server closed it in an orderly way,
   * `network` when it vanished.
   */
  close(info: CloseInfo): void;
  /** True once `close` was recorded. */
  readonly closed: boolean;
}

export interface DriverKit {
  /** The driver API version of this imspec (DRIVER_API_VERSION). */
  readonly apiVersion: number;
  /** Every capability name imspec knows (docs/protocol.md section 10). */
  readonly caps: readonly Cap[];
  /**
   * The errors a driver throws, so bots and the contract test recognise them: requests reject
   * with ConnectionClosedError when the connection ends first, TimeoutError at their deadline,
   * ServerRejectedError (with the wire code) when the server refuses one; connect rejects with
   * AuthError on bad credentials and TargetUnreachableError when nothing answers; operations the
   * protocol lacks throw UnsupportedError; a bad target URL, ConfigError.
   */
  readonly errors: {
    readonly AuthError: typeof AuthError;
    readonly ConfigError: typeof ConfigError;
    readonly ConnectionClosedError: typeof ConnectionClosedError;
    readonly ProtocolError: typeof ProtocolError;
    readonly ServerRejectedError: typeof ServerRejectedError;
    readonly TargetUnreachableError: typeof TargetUnreachableError;
    readonly TimeoutError: typeof TimeoutError;
    readonly UnsupportedError: typeof UnsupportedError;
  };
  /** Opens the history record of one connection of `actor`. */
  connection(history: History, actor: ActorId): ConnectionLog;
  /**
   * Fan-out of a session's notifications with early buffering: what arrives before the bot
   * subscribes (a push right after login) is kept and handed to the first subscriber, in order.
   */
  readonly NotificationHub: typeof NotificationHub;
}

class Log implements ConnectionLog {
  readonly conn: number;
  private sessionRecorded = false;
  private closeRecorded = false;

  constructor(
    private readonly history: History,
    readonly actor: ActorId,
  ) {
    this.conn = nextConn(history, actor);
  }

  get closed(): boolean {
    return this.closeRecorded;
  }

  frame(dir: 'in' | 'out', frame: FrameRecord): FrameEvent {
    const event: FrameEvent = {
      kind: 'frame',
      t: this.history.now(),
      actor: this.actor,
      conn: this.conn,
      dir,
      type: frame.type,
      fields: frame.fields,
      raw: frame.raw,
    };
    if (frame.invalid !== undefined) event.invalid = frame.invalid;
    this.history.append(event);
    return event;
  }

  session(info: SessionInfo, lastSeq: number | undefined): void {
    if (this.sessionRecorded) {
      throw new Error(`the session of ${this.actor} connection ${this.conn} was already recorded`);
    }
    this.sessionRecorded = true;
    recordSession(this.history, this.actor, this.conn, info, lastSeq);
  }

  close(info: CloseInfo): void {
    if (this.closeRecorded) return;
    this.closeRecorded = true;
    recordClose(this.history, this.actor, this.conn, info);
  }
}

/**
 * Opens the history record of one connection of `actor`: the kit's `connection`, and what the
 * built-in MQTT and XMPP drivers record with, so every driver's events are made in one place.
 */
export function openConnectionLog(history: History, actor: ActorId): ConnectionLog {
  return new Log(history, actor);
}

/** The kit for DRIVER_API_VERSION `apiVersion`. */
export function driverKit(apiVersion: number): DriverKit {
  return Object.freeze({
    apiVersion,
    caps: CAPS,
    errors: Object.freeze({
      AuthError,
      ConfigError,
      ConnectionClosedError,
      ProtocolError,
      ServerRejectedError,
      TargetUnreachableError,
      TimeoutError,
      UnsupportedError,
    }),
    connection: openConnectionLog,
    NotificationHub,
  });
}
