/**
 * One MQTT connection of one user/device, mapped onto the R/A/N model (docs/drivers.md):
 *
 * | RAN/1   | MQTT                                                            |
 * | ------- | --------------------------------------------------------------- |
 * | hello:R | CONNECT (client id user/device, clean start only on first login) |
 * | hello:A | CONNACK                                                         |
 * | msg:R   | PUBLISH QoS 1/2 to `<topic>/<to>`, cmid in payload or property   |
 * | msg:A   | PUBACK (QoS 1) or PUBCOMP (QoS 2)                               |
 * | msg:N   | the broker's PUBLISH on the inbox subscription                  |
 * | ack:R   | the receiver's PUBACK / PUBCOMP (mqtt.js sends it when the      |
 * |         | message handler returns, i.e. after the bot's listeners ran)    |
 * | ping:R/A| PINGREQ / PINGRESP                                               |
 *
 * Every control packet in both directions is recorded; packets with no RAN/1 counterpart
 * (SUBSCRIBE, PUBREC, PUBREL, DISCONNECT…) are recorded with `type: undefined` and `fields.mqtt`
 * naming the packet. MQTT has no ack:A and no ack:N, so ack:R carries no rid (nothing answers it).
 */

import {
  type IClientOptions,
  type IPublishPacket,
  type MqttClient,
  connect as mqttConnect,
  UniqueMessageIdProvider,
} from 'mqtt';
import { ConnectionClosedError, ServerRejectedError, UnsupportedError } from '../../errors.js';
import type { ActorId, History } from '../../history/events.js';
import type { Cap } from '../../protocol/frames.js';
import { CLOSE_GRACE_MS, DEFAULT_TIMEOUT_MS, deadline } from '../deadline.js';
import type {
  Accepted,
  CloseInfo,
  ConnectOptions,
  DriverSession,
  Notification,
  SessionInfo,
  SyncPage,
} from '../driver.js';
import { type ConnectionLog, openConnectionLog } from '../kit.js';
import { NotificationHub } from '../notification-hub.js';
import type { ActorState } from './actor-state.js';
import { connectError } from './connect-error.js';
import { encodeEnvelope, smidOf } from './envelope.js';
import { envelopeOf } from './packet-frames.js';
import { PacketRecorder } from './packet-recorder.js';
import { PublishFlow } from './publish-flow.js';
import { credentials, type MqttTarget } from './target.js';

/** The MQTT client id of a device: stable, so the broker keeps its session across connections. */
export function clientIdOf(user: string, device: string): string {
  return `imspec-${user}-${device}`;
}

export class MqttSession implements DriverSession {
  readonly conn: number;
  readonly closed: Promise<CloseInfo>;
  private readonly client: MqttClient;
  private readonly log: ConnectionLog;
  private readonly hub = new NotificationHub<Notification>();
  private readonly flow = new PublishFlow();
  private readonly packets: PacketRecorder;
  private sessionInfo: SessionInfo | undefined;
  private initiator: CloseInfo['initiator'] | undefined;
  private streamError: Error | undefined;
  private isClosed = false;

  constructor(
    readonly actor: ActorId,
    private readonly user: string,
    private readonly device: string,
    private readonly target: MqttTarget,
    private readonly state: ActorState,
    private readonly history: History,
    options: ConnectOptions,
    clean: boolean,
  ) {
    this.log = openConnectionLog(history, actor);
    this.conn = this.log.conn;
    this.packets = new PacketRecorder({
      user,
      device,
      target,
      pushes: state.pushes,
      flow: this.flow,
      log: this.log,
    });
    const clientOptions: IClientOptions = {
      clientId: clientIdOf(user, device),
      protocolVersion: target.version,
      clean,
      keepalive: target.keepalive,
      ...credentials(target, { user, token: options.token }),
      // Reconnecting is the bot's decision (a new session, a new conn number), never the library's.
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      resubscribe: false,
      outgoingStore: state.outgoing,
      incomingStore: state.incoming,
      // Tracks the packet ids of replayed packets, so a new PUBLISH never reuses one in flight.
      messageIdProvider: new UniqueMessageIdProvider(),
      // Connect only once the listeners below are on: CONNECT is written synchronously.
      manualConnect: true,
    };
    if (target.version === 5) clientOptions.properties = { sessionExpiryInterval: target.sessionExpiry };
    this.client = mqttConnect(target.url, clientOptions);
    this.client.on('packetsend', (p) => this.packets.record(p, 'out'));
    this.client.on('packetreceive', (p) => this.packets.record(p, 'in'));
    // Errors are followed by 'close' (reconnectPeriod 0); the close is what we report.
    this.client.on('error', (error) => {
      this.streamError ??= error;
    });
    this.client.handleMessage = (packet, done) => this.onMessage(packet, done);
    this.client.connect();
    // Nagle would hold a PUBLISH behind an unacknowledged segment (up to a delayed-ACK timeout,
    // ~40 ms) and show up as ack latency that is the kit's, not the broker's.
    (this.client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    this.closed = new Promise((resolve) => {
      this.client.once('close', () => {
        this.isClosed = true;
        const serverDisconnect = this.packets.serverDisconnect;
        const initiator = this.initiator ?? (serverDisconnect || !this.streamError ? 'server' : 'network');
        const info: CloseInfo = {
          code: serverDisconnect?.code,
          reason: serverDisconnect?.reason ?? this.streamError?.message ?? '',
          initiator,
        };
        const error = new ConnectionClosedError(
          `MQTT connection of ${actor} to ${target.url} closed (${initiator}${info.reason ? `: ${info.reason}` : ''})`,
          info.code,
        );
        this.flow.end(error);
        this.hub.end();
        // Stop mqtt.js's timers; the stores survive (clean: false) for the actor's next connection.
        this.client.end(true);
        this.log.close(info);
        resolve(info);
      });
    });
  }

  get info(): SessionInfo {
    if (!this.sessionInfo) throw new ConnectionClosedError(`MQTT session of ${this.actor} has not logged in`);
    return this.sessionInfo;
  }

  /**
   * Waits for CONNACK, subscribes to the user's inbox and records the session event. Rejects with
   * AuthError, TargetUnreachableError, TimeoutError or ServerRejectedError; the connection is then
   * closed (and its close recorded).
   */
  async login(options: ConnectOptions, caps: readonly Cap[]): Promise<SessionInfo> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      await deadline(
        new Promise<void>((resolve, reject) => {
          this.client.once('connect', () => resolve());
          this.client.once('error', (error) => reject(this.connectError(error)));
          void this.closed.then(() =>
            reject(
              this.streamError
                ? this.connectError(this.streamError)
                : new ConnectionClosedError(`${this.target.url} closed the connection before CONNACK`),
            ),
          );
        }),
        timeoutMs,
        `CONNACK from ${this.target.url} for ${this.actor}`,
      );
      const topic = `${this.target.topic}/${this.user}`;
      const granted = await deadline(
        this.client.subscribeAsync(topic, { qos: this.target.qos }),
        timeoutMs,
        `SUBACK for ${topic}`,
      );
      const qos = granted[0]?.qos;
      if (qos === undefined || qos >= 0x80) {
        throw new ServerRejectedError(
          `${this.target.url} refused the subscription to ${topic} of ${this.actor} (reason ${qos}); check the broker's ACL`,
          `mqtt-${qos ?? 'none'}`,
        );
      }
    } catch (error) {
      this.abortQuietly();
      await this.closed;
      throw error;
    }
    this.state.started = true;
    const info: SessionInfo = {
      user: this.user,
      device: this.device,
      // No inbox seq on MQTT: the highest seq the driver has given the user's messages so far.
      maxSeq: this.state.seqs.lastSeq,
      // MQTT never says how much is queued (no count first): queued messages simply arrive.
      pending: 0,
      caps,
      limits: undefined,
    };
    this.sessionInfo = info;
    this.log.session(info, options.lastSeq);
    return info;
  }

  /**
   * Publishes the message and resolves on PUBACK (QoS 1) or PUBCOMP (QoS 2); a cmid still in
   * flight on this connection joins that packet instead (see PublishFlow.answerFor).
   */
  send(msg: { cmid: string; to: string; body: string }, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Accepted> {
    if (this.isClosed) {
      return Promise.reject(new ConnectionClosedError(`MQTT connection of ${this.actor} is closed`));
    }
    const answer = this.flow.answerFor(msg.cmid, () => {
      const encoded = encodeEnvelope(
        { cmid: msg.cmid, from: this.user, body: msg.body, ts: Date.now() },
        this.target.cmid,
      );
      const properties = encoded.userProperties ? { userProperties: encoded.userProperties } : undefined;
      this.client.publish(`${this.target.topic}/${msg.to}`, encoded.payload, {
        qos: this.target.qos,
        ...(properties ? { properties } : {}),
      });
    });
    return deadline(answer, timeoutMs, `PUBACK for cmid ${msg.cmid} of ${this.actor}`);
  }

  /**
   * MQTT acknowledges each PUBLISH on its own, and mqtt.js sends that PUBACK/PUBCOMP as soon as
   * the message handler returns (after the bot's listeners ran) — it cannot be held back without
   * stalling every packet behind it. So there is nothing to send here: resolves with `upTo`.
   */
  async ack(upTo: number): Promise<number> {
    if (this.isClosed) throw new ConnectionClosedError(`MQTT connection of ${this.actor} is closed`);
    return upTo;
  }

  sync(): Promise<SyncPage> {
    return Promise.reject(
      new UnsupportedError('MQTT has no inbox to page through: sync is not available with --driver mqtt'),
    );
  }

  /** PINGREQ → PINGRESP round trip in ms. */
  async ping(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
    if (this.isClosed) throw new ConnectionClosedError(`MQTT connection of ${this.actor} is closed`);
    const start = performance.now();
    const answered = this.packets.pingAnswered();
    this.client.sendPing();
    await deadline(answered, timeoutMs, `PINGRESP for ${this.actor}`);
    return performance.now() - start;
  }

  notifications(): AsyncIterable<Notification> {
    return this.hub.iterate();
  }

  onNotification(listener: (n: Notification) => void): () => void {
    return this.hub.on(listener);
  }

  /** DISCONNECT (normal), keeping the broker session for offline delivery; waits for the close. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.initiator ??= 'client';
    // end(false) waits for in-flight acks; a broker that never answers must not hang the close.
    const force = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    this.client.end(false);
    await this.closed;
    clearTimeout(force);
  }

  /** Drops the TCP connection with no DISCONNECT: a client crash, library state included. */
  abort(): void {
    if (this.isClosed) return;
    this.initiator ??= 'crash';
    this.state.crash();
    this.destroy();
  }

  /**
   * Ends the connection now. mqtt.js ignores end(true) once an end(false) is waiting for in-flight
   * acknowledgements (measured: a PUBLISH a network blackhole swallowed kept a close pending for
   * good), so the socket itself is destroyed too.
   */
  private destroy(): void {
    this.client.end(true);
    this.client.stream?.destroy();
  }

  /** The client crashed or the connection ended: nothing more may be acknowledged. */
  private gone(): boolean {
    return this.initiator === 'crash' || this.isClosed;
  }

  private abortQuietly(): void {
    this.initiator ??= 'client';
    this.client.end(true);
  }

  private connectError(error: Error): Error {
    return connectError(error, this.target.url, this.user, this.actor);
  }

  /** Called by mqtt.js for each message to the app; the PUBACK/PUBCOMP goes out when `done` runs. */
  private onMessage(packet: IPublishPacket, done: (error?: Error) => void): void {
    const envelope = envelopeOf(packet);
    // A crashed client acknowledges nothing: the broker keeps the message for the next session.
    if (this.gone()) return;
    if (typeof envelope === 'string') {
      done(); // not an imspec message (recorded as invalid); acknowledge it so it is not redelivered
      return;
    }
    const smid = smidOf(envelope.from, envelope.cmid);
    // Counted when the PUBLISH arrived (PacketRecorder), so the msg:N frame carries it too.
    const attempt = this.state.pushes.latest(smid);
    const seq = this.state.seqs.seqOf(smid);
    if (packet.messageId !== undefined)
      this.flow.delivered(packet.messageId, { cmid: envelope.cmid, smid, seq });
    this.hub.push({
      type: 'msg:N',
      msg: {
        smid,
        cmid: envelope.cmid,
        from: envelope.from,
        to: this.user,
        body: envelope.body,
        seq,
        ts: envelope.ts,
      },
      attempt,
      t: this.history.now(),
    });
    if (this.gone()) return; // a listener crashed or closed the client
    done();
  }
}
