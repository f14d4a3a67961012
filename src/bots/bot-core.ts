/**
 * What the parts of one bot (bot.ts, sending.ts, receiving.ts, paged-sync.ts) share: who it is,
 * where it records, its client options and misbehaviour, the connection it uses, and its change
 * announcements to the runner.
 */

import type { DriverSession } from '../drivers/driver.js';
import type { ActorId, History, HistoryEvent } from '../history/events.js';
import type { ClientOptions } from '../scenarios/types.js';
import { MisbehaviourFlags } from './misbehaviour.js';

/** One connection as the bot uses it; `alive` goes false the moment the bot stops listening. */
export interface Live {
  readonly session: DriverSession;
  alive: boolean;
}

export class BotCore {
  readonly flags = new MisbehaviourFlags();
  /** The connection in use, alive or not; undefined once it closed. */
  current: Live | undefined;
  /** An array, not a Set: it is walked several times per message. */
  private listeners: (() => void)[] = [];
  private notifying = false;
  private dirty = false;

  constructor(
    readonly actor: ActorId,
    readonly history: History,
    readonly client: Readonly<ClientOptions>,
  ) {}

  /** The connection in use while it is alive. */
  get live(): Live | undefined {
    const live = this.current;
    return live?.alive ? live : undefined;
  }

  now(): number {
    return this.history.now();
  }

  record(event: HistoryEvent): void {
    this.history.append(event);
  }

  /** Calls `listener` after every state change; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  changed(): void {
    // Listeners may act on the bot (a runner sends the next message from onChange); a change
    // they cause is announced after the current round, never by recursion.
    if (this.notifying) {
      this.dirty = true;
      return;
    }
    this.notifying = true;
    try {
      do {
        this.dirty = false;
        // A snapshot: listeners may unsubscribe while being called.
        const listeners = this.listeners;
        for (let i = 0; i < listeners.length; i++) {
          const listener = listeners[i] as () => void;
          try {
            listener();
          } catch (error) {
            // A listener's bug must not corrupt the bot's state machine mid-frame.
            process.emitWarning(`onChange listener of ${this.actor} threw: ${String(error)}`);
          }
        }
      } while (this.dirty);
    } finally {
      this.notifying = false;
    }
  }
}
