/**
 * What one MQTT client (user/device) remembers between its connections within one history, the
 * way an MQTT client library's session state does: its in-flight QoS 1/2 packets (replayed with
 * DUP=1 after a reconnect), and, because MQTT has neither inbox seqs nor server message ids, the
 * device-local arrival counter handed to bots as `seq` and how often each message reached it.
 * A client crash (`abort`) throws the library state away; a network loss or clean close keeps it.
 */

import { Store } from 'mqtt';
import type { ActorId, History } from '../../history/events.js';

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
  /** Device-local arrival counter: the `seq` of the last msg:N handed to the bot. */
  lastSeq = 0;
  /** smid → how many times this device has received it (the `attempt` of the next push). */
  readonly pushes = new Map<string, number>();
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

/** Per-driver registry: one ActorState per (history, actor), created on first use. */
export class ActorStates {
  private readonly states = new WeakMap<History, Map<ActorId, ActorState>>();

  get(history: History, actor: ActorId): ActorState {
    let perActor = this.states.get(history);
    if (!perActor) {
      perActor = new Map();
      this.states.set(history, perActor);
    }
    let state = perActor.get(actor);
    if (!state) {
      state = new ActorState();
      perActor.set(actor, state);
    }
    return state;
  }
}
