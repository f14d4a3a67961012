/**
 * The MQTT driver (mqtt.js): certifies a broker such as Mosquitto as an IM transport. Each
 * user/device is one MQTT client with a stable client id and a persistent session (clean start
 * off after its first login, MQTT 5 session expiry > 0) subscribed to its user's inbox topic, so
 * the broker queues messages for an offline device (OFF-1) and redelivers unacknowledged ones
 * with DUP=1 after a reconnect.
 *
 * Capabilities (docs/protocol.md section 10), declared honestly: only `multi-device` — every
 * device has its own session and queue, so each gets every message and one device's PUBACK never
 * covers another's (MDEV-1, PUSH-1). No `dedup` (a second PUBLISH of a cmid is a second message;
 * QoS 2 only suppresses packet-level resends), no `contiguous-seq`/`prev-seq` (no inbox seq), no
 * `server-repush` (no timed re-push on a live connection), no `standin-receipt` and no
 * `delivered-receipt` (MQTT has no end-to-end receipt), no `cumulative-ack`, no `paged-sync` or
 * `backward-sync` (nothing to page).
 */

import { connect as mqttConnect } from 'mqtt';
import type { ActorId, History } from '../../history/events.js';
import type { Cap } from '../../protocol/frames.js';
import { DEFAULT_TIMEOUT_MS } from '../deadline.js';
import type { ConnectOptions, Driver, DriverFactoryOptions, DriverSession } from '../driver.js';
import { openConnectionLog } from '../kit.js';
import { ActorStates } from './actor-state.js';
import { clientIdOf, MqttSession } from './mqtt-session.js';
import { renderPacket } from './render.js';
import { credentials, type MqttTarget, type MqttTargetOptions, resolveMqttTarget } from './target.js';

export const MQTT_CAPS: readonly Cap[] = Object.freeze(['multi-device'] as Cap[]);

export type MqttDriverOptions = MqttTargetOptions & Pick<DriverFactoryOptions, 'setupTarget'>;

export class MqttDriver implements Driver {
  readonly name = 'mqtt';
  readonly caps: readonly Cap[] = MQTT_CAPS;
  readonly target: MqttTarget;
  /** Where the 3.1.1 session wipe connects: the server itself, never a fault proxy. */
  private readonly setupUrl: string;
  private readonly states = new ActorStates();

  /** Throws ConfigError for a bad target URL or option. */
  constructor(options: MqttDriverOptions) {
    this.target = resolveMqttTarget(options);
    this.setupUrl = options.setupTarget
      ? resolveMqttTarget({ target: options.setupTarget }).url
      : this.target.url;
  }

  /**
   * Connects `options.user`/`options.device` (password = `options.token`), subscribes to the
   * user's inbox and resolves once SUBACK is in. Rejects with AuthError, TargetUnreachableError,
   * TimeoutError, ServerRejectedError or ConnectionClosedError.
   *
   * The first login of an actor within a history starts clean, so a session left on the broker by
   * an earlier run cannot leak old messages into this one; every later login resumes the session.
   */
  async connect(actor: ActorId, options: ConnectOptions, history: History): Promise<DriverSession> {
    const state = this.states.get(history, actor, options.user);
    let clean = false;
    if (!state.started) {
      // MQTT 5 can start clean and still keep the session after the connection (expiry > 0).
      // On 3.1.1 a clean session ends with its connection, so wipe on a connection of its own
      // and then log in with clean session off.
      if (this.target.version === 5) clean = true;
      else await this.wipe(actor, options, history);
    }
    const session = new MqttSession(
      actor,
      options.user,
      options.device,
      this.target,
      state,
      history,
      options,
      clean,
    );
    await session.login(options, this.caps);
    return session;
  }

  /** MQTT 3.1.1: CONNECT with clean session 1, then DISCONNECT — the broker forgets the session. */
  private async wipe(actor: ActorId, options: ConnectOptions, history: History): Promise<void> {
    const log = openConnectionLog(history, actor);
    const client = mqttConnect(this.setupUrl, {
      clientId: clientIdOf(options.user, options.device),
      protocolVersion: 4,
      clean: true,
      ...credentials(this.target, options),
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      manualConnect: true,
    });
    const record = (packet: Parameters<typeof renderPacket>[0], dir: 'in' | 'out'): void => {
      log.frame(dir, {
        type: undefined,
        fields: { mqtt: packet.cmd, wipe: true },
        raw: renderPacket(packet),
      });
    };
    client.on('packetsend', (p) => record(p, 'out'));
    client.on('packetreceive', (p) => record(p, 'in'));
    let failure: Error | undefined;
    client.on('error', (error) => {
      failure ??= error;
    });
    client.connect();
    await new Promise<void>((resolve) => {
      client.once('connect', () => client.end(false));
      client.once('close', () => resolve());
    });
    client.end(true);
    log.close({
      code: undefined,
      reason: failure ? failure.message : 'clean-session wipe before the first login',
      initiator: 'client',
    });
    // A failed wipe (auth, unreachable) shows up again, properly classified, on the real login.
  }
}
