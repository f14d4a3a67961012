/**
 * The QoS 1/2 PUBLISHes of one MQTT connection that await an acknowledgement, both ways: ours by
 * cmid (with the sends waiting for them) and by packet id, the broker's by packet id until our
 * PUBACK/PUBCOMP goes out, and MQTT 5 flow control. No I/O: the session tells it what went by
 * on the wire and hands it the function that publishes.
 */

import { type Deferred, deferred } from '../deadline.js';
import type { Accepted } from '../driver.js';

interface Outgoing {
  answer: Deferred<Accepted>;
  /** mqtt.js replayed it from the store after a reconnect; no caller has asked for it yet. */
  replay: boolean;
  /** Its acknowledgement is in, and waits for the bot's retransmission of the replay. */
  done: boolean;
}

/** What the bot was handed from one of the broker's PUBLISHes, for the ack:R that follows. */
export interface Delivered {
  cmid: string;
  smid: string;
  seq: number;
}

export class PublishFlow {
  /** In flight on this connection, by cmid: a retransmission of the same cmid joins it. */
  private readonly outgoing = new Map<string, Outgoing>();
  /** Packet id → (rid, cmid) of the PUBLISH we sent with it on this connection. */
  private readonly sentPids = new Map<number, { rid: string; cmid: string }>();
  /** Packet id → what the bot was handed, for the ack:R that follows. */
  private readonly receivedPids = new Map<number, Delivered>();
  /**
   * MQTT 5 flow control (§4.9): at most the broker's Receive Maximum QoS 1/2 PUBLISHes may await
   * their acknowledgement. mqtt.js does not enforce it, and Mosquitto refuses the excess of QoS 2
   * with "quota exceeded", so sends beyond it wait here for a slot.
   */
  private quota = Number.POSITIVE_INFINITY;
  private inflight = 0;
  private readonly quotaWaiters: (() => void)[] = [];
  private ended = false;

  /** The broker's Receive Maximum, from its CONNACK. */
  limitTo(receiveMaximum: number): void {
    this.quota = receiveMaximum;
  }

  /**
   * What a send of `cmid` waits for. MQTT forbids resending a PUBLISH on the same connection
   * (MQTT 5 §4.4), so a cmid still in flight on this connection — a bot retransmitting, or a
   * packet mqtt.js replayed after the reconnect — joins that packet's acknowledgement instead of
   * publishing a second copy. Otherwise `publish` runs once a slot is free.
   */
  answerFor(cmid: string, publish: () => void): Promise<Accepted> {
    let entry = this.outgoing.get(cmid);
    if (entry?.replay) {
      // The bot retransmits a message the library already replayed: that replay is its answer.
      entry.replay = false;
      if (entry.done) this.outgoing.delete(cmid);
    } else if (!entry) {
      entry = this.track(cmid, false);
      const admitted = (): void => {
        if (this.ended) return; // the entry was rejected when the connection closed
        this.inflight++;
        publish();
      };
      if (this.inflight < this.quota) admitted();
      else this.quotaWaiters.push(admitted);
    }
    return entry.answer.promise;
  }

  /** Our PUBLISH of `cmid` went out with packet id `pid`. */
  sent(pid: number | undefined, rid: string, cmid: string): void {
    if (pid !== undefined) this.sentPids.set(pid, { rid, cmid });
    // A packet mqtt.js replays from the store after a reconnect: make later sends of it join.
    if (!this.outgoing.has(cmid)) {
      this.track(cmid, true);
      this.inflight++;
    }
  }

  /**
   * The broker acknowledged (or refused) our packet `pid`: frees its slot and returns the send it
   * completes, with the answer to settle; undefined when `pid` is none of ours.
   */
  completed(
    pid: number | undefined,
  ): { rid: string; cmid: string; answer: Deferred<Accepted> | undefined } | undefined {
    const sent = pid !== undefined ? this.sentPids.get(pid) : undefined;
    if (pid !== undefined) this.sentPids.delete(pid);
    if (!sent) return undefined;
    this.inflight--;
    // After this acknowledgement is recorded, so the history shows the slot freed before it is reused.
    const next = this.quotaWaiters.shift();
    if (next) queueMicrotask(next);
    const entry = this.outgoing.get(sent.cmid);
    // A completed replay stays until the bot's retransmission of it picks up the answer.
    if (entry?.replay) entry.done = true;
    else this.outgoing.delete(sent.cmid);
    return { rid: sent.rid, cmid: sent.cmid, answer: entry?.answer };
  }

  /** The bot was handed the broker's PUBLISH `pid`. */
  delivered(pid: number, what: Delivered): void {
    this.receivedPids.set(pid, what);
  }

  /** Our PUBACK/PUBCOMP of `pid` goes out: what the bot was handed, if anything. */
  acknowledging(pid: number | undefined): Delivered | undefined {
    const got = pid !== undefined ? this.receivedPids.get(pid) : undefined;
    if (got && pid !== undefined) this.receivedPids.delete(pid);
    return got;
  }

  /** The connection is gone: every send waiting here rejects with `error`. */
  end(error: Error): void {
    this.ended = true;
    for (const o of this.outgoing.values()) o.answer.reject(error);
    this.outgoing.clear();
  }

  private track(cmid: string, replay: boolean): Outgoing {
    // A caller that timed out has gone; deferred() keeps the rejection from being unhandled.
    const entry: Outgoing = { answer: deferred<Accepted>(), replay, done: false };
    this.outgoing.set(cmid, entry);
    return entry;
  }
}
