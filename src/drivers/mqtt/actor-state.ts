/**
 * What one MQTT client (user/device) remembers between its connections within one history, the
 * way an MQTT client library's session state does: its in-flight QoS 1/2 packets (replayed with
 * DUP=1 after a reconnect), and how often each message reached it (`attempt`). A client crash
 * (`abort`) throws the library state away; a network loss or clean close keeps it.
 *
 * MQTT has no inbox seq, but bots and the checker key delivery, acks and dedup on one, so the
 * driver numbers messages itself: per user, shared by all of the user's devices in the history,
 * the n-th distinct message (smid) to reach any of them is seq n, and it keeps that seq in every
 * redelivery and on every device (SEQ-2, SEQ-3 hold by construction and say nothing about the
 * broker). A device that misses a message another device got sees a gap.
 */

import { Store } from 'mqtt';
import { ActorRegistry, PushCounts, UserSeqs } from '../actor-registry.js';

/**
 * An outgoing store whose copies are marked DUP. mqtt.js stores a clone of each QoS 1/2 PUBLISH
 * and replays the store after reconnecting, but leaves DUP at 0; MQTT 3.1.1 §3.3.1.1 and MQTT 5
 * §3.3.1.1 require DUP=1 on a re-delivery, and the broker may rely on it.
 */
export class ReplayStore extends Store {
  constructor() {
    // clean: false keeps the packets when mqtt.js closes the store at the end of a connection.
    super({ clean: false });
  }

  override put(packet: Parameters<Store['put']>[0], cb: Parameters<Store['put']>[1]): this {
    if (packet.cmd === 'publish') packet.dup = true;
    super.put(packet, cb);
    return this;
  }
}

export class ActorState {
  constructor(readonly seqs: UserSeqs) {}

  /** How often each message reached this device (the `attempt` of each push). */
  readonly pushes = new PushCounts();
  outgoing = new ReplayStore();
  incoming = new Store({ clean: false });
  /** True once the actor has logged in within this history (its first login starts clean). */
  started = false;

  /** A client crash: the library's in-memory session state is gone. */
  crash(): void {
    this.outgoing = new ReplayStore();
    this.incoming = new Store({ clean: false });
  }
}

/** Per-driver registry: one ActorState per (history, actor), one UserSeqs per (history, user). */
export class ActorStates extends ActorRegistry<ActorState, UserSeqs> {
  constructor() {
    super(
      () => new UserSeqs(),
      (seqs) => new ActorState(seqs),
    );
  }
}
