/**
 * A RAN/1 socket with no session, for probes (AUTH-1/2/4, FRAME-2/3/5): it sends exactly what it
 * is given and lets the caller wait for a matching frame or the close.
 */

import { TimeoutError } from '../../errors.js';
import type { ActorId } from '../../history/events.js';
import type { CloseInfo, RawFrame, RawSocket } from '../driver.js';
import type { FrameOwner, Wire } from './wire.js';

interface Reader {
  match: (frame: RawFrame) => boolean;
  resolve: (frame: RawFrame | undefined) => void;
  timer: NodeJS.Timeout;
}

export class RanRawSocket implements RawSocket, FrameOwner {
  readonly closed: Promise<CloseInfo>;
  /** Frames not yet consumed by `next`. */
  private readonly unread: RawFrame[] = [];
  private reader: Reader | undefined;
  private ended = false;

  constructor(private readonly wire: Wire) {
    // A FrameEvent is a RawFrame (type, fields, raw, invalid) with more context.
    wire.owner = this;
    this.closed = wire.closed.then((info) => {
      this.ended = true;
      const reader = this.reader;
      if (reader) {
        this.reader = undefined;
        clearTimeout(reader.timer);
        reader.resolve(undefined);
      }
      return info;
    });
  }

  get actor(): ActorId {
    return this.wire.actor;
  }

  get conn(): number {
    return this.wire.conn;
  }

  send(data: string | Uint8Array): void {
    this.wire.sendRaw(data);
  }

  next(match: (frame: RawFrame) => boolean, timeoutMs: number): Promise<RawFrame | undefined> {
    // Frames read past on the way to a match are consumed: a probe asks for "the next frame
    // like this", not for every frame.
    while (this.unread.length > 0) {
      const frame = this.unread.shift() as RawFrame;
      if (match(frame)) return Promise.resolve(frame);
    }
    if (this.ended) return Promise.resolve(undefined);
    if (this.reader) return Promise.reject(new Error('RawSocket.next: a read is already waiting'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reader = undefined;
        reject(new TimeoutError(`no matching frame from the server within ${timeoutMs} ms (${this.actor})`));
      }, timeoutMs);
      this.reader = { match, resolve, timer };
    });
  }

  close(): Promise<void> {
    return this.wire.close();
  }

  abort(): void {
    this.wire.abort();
  }

  /** The wire's inbound frames (FrameOwner). */
  onFrame(frame: RawFrame): void {
    const reader = this.reader;
    if (reader?.match(frame)) {
      this.reader = undefined;
      clearTimeout(reader.timer);
      reader.resolve(frame);
      return;
    }
    if (!reader) this.unread.push(frame);
  }
}
