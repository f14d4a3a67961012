/**
 * What a frame *is*, independent of when it arrived: the key a probabilistic rule draws its fate
 * from (frame-engine.ts), so the same logical frame meets the same fate in every run of a seed.
 *
 * Drawing per frame in arrival order made a fault schedule depend on timing: a receiver that
 * batched its acks differently sent one ack:R more or fewer, which shifted every later draw of
 * the connection, and one seed gave different faults (and verdicts) from run to run. A frame's
 * identity is built from what the delivery model fixes instead:
 *
 * - the connection: the actor without the run's user prefix, and its connection ordinal (1, 2, …
 *   across reconnects);
 * - the direction and the frame type;
 * - the message ids it carries: a message's ordinal among its sender's messages (the random cmid
 *   prefix of a bot is not stable across runs, the order in which it sends them is), a cumulative
 *   ack's `upTo`, a sync's range, a receipt's status;
 * - its attempt: how many times a frame of that same identity has been seen (a retransmitted
 *   msg:R, a re-pushed msg:N), so each attempt has a fate of its own.
 *
 * Pure bookkeeping, no I/O: one instance per proxy.
 */

import type { FrameType } from '../protocol/frames.js';
import type { Direction } from './types.js';

export class FrameIdentities {
  /** sender user + cmid → the message's ordinal among the sender's messages (1-based). */
  private readonly cmids = new Map<string, number>();
  private readonly perSender = new Map<string, number>();
  /** connection + frame key → times seen. */
  private readonly seen = new Map<string, number>();

  /** @param userPrefix stripped from user names, so runs on a shared target draw alike. */
  constructor(private readonly userPrefix = '') {}

  /**
   * The identity of one frame. `actor` is the connection's actor ("alice/phone"), undefined before
   * its hello:R; `conn` its connection ordinal, or the proxy's link number before hello.
   */
  of(
    direction: Direction,
    frame: Readonly<{ type: FrameType } & Record<string, unknown>> | undefined,
    connection: { actor: string | undefined; user: string | undefined; conn: number },
  ): string {
    const who =
      connection.actor === undefined
        ? `?#${connection.conn}`
        : `${this.strip(connection.actor)}#${connection.conn}`;
    const key = `${who}|${direction}|${frame === undefined ? '?' : `${frame.type}|${this.ids(frame.type, frame, connection.user)}`}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    return `${key}|#${n}`;
  }

  /** The ids a frame carries, read from its members under RAN/1 names (any codec's decode gives those). */
  private ids(type: FrameType, f: Readonly<Record<string, unknown>>, user: string | undefined): string {
    const cmid = String(f['cmid'] ?? '');
    switch (type) {
      case 'msg:R':
      case 'msg:A':
        return this.message(user, cmid);
      case 'msg:N':
        return this.message(f['from'] === undefined ? undefined : String(f['from']), cmid);
      case 'ack:N':
        return `${this.message(user, cmid)}|${String(f['status'] ?? '')}`;
      case 'ack:R':
      case 'ack:A':
        return `upTo=${String(f['upTo'] ?? '')}`;
      case 'sync:R':
        return `after=${String(f['after'] ?? '')}|before=${String(f['before'] ?? '')}|ackUpTo=${String(f['ackUpTo'] ?? '')}`;
      case 'sync:A': {
        const msgs = Array.isArray(f['msgs']) ? (f['msgs'] as { seq?: unknown }[]) : [];
        return `seq=${String(msgs[0]?.seq ?? '')}+${msgs.length}`;
      }
      case 'hello:R':
        return `lastSeq=${String(f['lastSeq'] ?? '')}`;
      case 'error:A':
        return String(f['code'] ?? '');
      default:
        // hello:A, ping: nothing more than their position (the attempt count) tells them apart.
        return '';
    }
  }

  /** "alice.3": the sender's third message, however its cmid was spelt. */
  private message(sender: string | undefined, cmid: string): string {
    const from = this.strip(sender ?? '?');
    const key = `${from}\u0000${cmid}`;
    let ordinal = this.cmids.get(key);
    if (ordinal === undefined) {
      ordinal = (this.perSender.get(from) ?? 0) + 1;
      this.perSender.set(from, ordinal);
      this.cmids.set(key, ordinal);
    }
    return `${from}.${ordinal}`;
  }

  private strip(name: string): string {
    return this.userPrefix !== '' && name.startsWith(this.userPrefix)
      ? name.slice(this.userPrefix.length)
      : name;
  }
}
