/**
 * The canonical driver: RAN/1 over WebSocket (`ws`), offering subprotocol `ran.1`.
 */

import type { ActorId, History } from '../../history/events.js';
import { CAPS, type Cap } from '../../protocol/frames.js';
import type { ConnectOptions, Driver, DriverSession, RawSocket } from '../driver.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, RanSession } from './ran-session.js';
import { RanRawSocket } from './raw-socket.js';
import { openSocket, Wire } from './wire.js';

export interface RanDriverOptions {
  /** ws://host:port of a RAN/1 server. */
  target: string;
  /** Local address to bind client sockets to. @default the OS's choice */
  localAddress?: string | undefined;
}

export class RanDriver implements Driver {
  readonly name = 'ran';
  /** RAN/1 can carry every capability; a session claims what the server's hello:A claims. */
  readonly caps: readonly Cap[] = CAPS;
  readonly target: string;
  private readonly localAddress: string | undefined;

  constructor(options: RanDriverOptions) {
    this.target = options.target;
    this.localAddress = options.localAddress;
  }

  /**
   * Opens a connection and logs in. Rejects with TargetUnreachableError, TimeoutError, AuthError
   * (AUTH-2), ServerRejectedError or ConnectionClosedError; the failed connection is closed and
   * its frames and close are in the history all the same.
   */
  async connect(actor: ActorId, options: ConnectOptions, history: History): Promise<DriverSession> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const ws = await openSocket(this.target, timeoutMs, this.localAddress);
    const session = new RanSession(new Wire(ws, actor, history), this.target);
    try {
      await session.login(options, this.caps, history);
    } catch (error) {
      session.abort();
      await session.closed;
      throw error;
    }
    return session;
  }

  async openRaw(
    actor: ActorId,
    history: History,
    timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
  ): Promise<RawSocket> {
    const ws = await openSocket(this.target, timeoutMs, this.localAddress);
    return new RanRawSocket(new Wire(ws, actor, history));
  }
}
