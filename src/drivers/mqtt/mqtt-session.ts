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
  type Packet,
  UniqueMessageIdProvider,
} from 'mqtt';
import {
  AuthError,
  ConnectionClosedError,
  ServerRejectedError,
  TargetUnreachableError,
  TimeoutError,
  UnsupportedError,
} from '../../errors.js';
import type { ActorId, FrameEvent, History } from '../../history/events.js';
import type { Cap, FrameType } from '../../protocol/frames.js';
import { nextConn, recordClose, recordSession } from '../connections.js';
import type {
  Accepted,
  CloseInfo,
  ConnectOptions,
  DriverSession,
  Notification,
  SessionInfo,
  SyncPage,
} from '../driver.js';
import { NotificationHub } from '../notification-hub.js';
import type { ActorState } from './actor-state.js';
import { decodeEnvelope, encodeEnvelope, smidOf, type UserProperties } from './envelope.js';
import { renderPacket } from './render.js';
import { credentials, type MqttTarget } from './target.js';

/** Deadline for operations whose caller gives none. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** MQTT 5 CONNACK reason codes and 3.1.1 return codes that mean "who are you?". */
const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);

/** The MQTT client id of a device: stable, so the broker keeps its session across connections. */
export function clientIdOf(user: string, device: string): string {
  return `imspec-${user}-${device}`;
}

interface Outgoing {
  cmid: string;
  to: string;
  promise: Promise<Accepted>;
  resolve(a: Accepted): void;
  reject(e: Error): void;
  /** mqtt.js replayed it from the store after a reconnect; no caller has asked for it yet. */
  replay: boolean;
  done: boolean;
}

export class MqttSession implements DriverSession {
  readonly conn: number;
  readonly closed: Promise<CloseInfo>;
  private readonly client: MqttClient;
  private readonly hub = new NotificationHub<Notification>();
  private sessionInfo: SessionInfo | undefined;
  private nextRid = 0;
  /** In flight on this connection, by cmid: a retransmission of the same cmid joins it. */
  private readonly outgoing = new Map<string, Outgoing>();
  /** Packet id → (rid, cmid) of the PUBLISH we sent with it on this connection. */
  private readonly sentPids = new Map<number, { rid: string; cmid: string }>();
  /** Packet id → what the bot was handed, for the ack:R that follows. */
  private readonly receivedPids = new Map<number, { cmid: string; smid: string; seq: number }>();
  private readonly pingRids: string[] = [];
  /**
   * MQTT 5 flow control (§4.9): at most the broker's Receive Maximum QoS 1/2 PUBLISHes may await
   * their acknowledgement. mqtt.js does not enforce it, and Mosquitto refuses the excess of QoS 2
   * with "quota exceeded", so sends beyond it wait here for a slot.
   */
  private quota = Number.POSITIVE_INFINITY;
  private inflight = 0;
  private readonly quotaWaiters: (() => void)[] = [];
  private readonly pingWaiters: (() => void)[] = [];
  private initiator: CloseInfo['initiator'] | undefined;
  private serverDisconnect: { code: number | undefined; reason: string } | undefined;
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
    this.conn = nextConn(history, actor);
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
    this.client.on('packetsend', (p) => this.onPacket(p, 'out'));
    this.client.on('packetreceive', (p) => this.onPacket(p, 'in'));
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
        const initiator =
          this.initiator ?? (this.serverDisconnect || !this.streamError ? 'server' : 'network');
        const info: CloseInfo = {
          code: this.serverDisconnect?.code,
          reason: this.serverDisconnect?.reason ?? this.streamError?.message ?? '',
          initiator,
        };
        const error = new ConnectionClosedError(
          `MQTT connection of ${actor} to ${target.url} closed (${initiator}${info.reason ? `: ${info.reason}` : ''})`,
          info.code,
        );
        for (const o of this.outgoing.values()) o.reject(error);
        this.outgoing.clear();
        this.hub.end();
        // Stop mqtt.js's timers; the stores survive (clean: false) for the actor's next connection.
        this.client.end(true);
        recordClose(history, actor, this.conn, info);
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
      await this.withTimeout(
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
      const granted = await this.withTimeout(
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
    recordSession(this.history, this.actor, this.conn, info, options.lastSeq);
    return info;
  }

  /**
   * Publishes the message and resolves on PUBACK (QoS 1) or PUBCOMP (QoS 2). MQTT forbids
   * resending a PUBLISH on the same connection (MQTT 5 §4.4), so sending a cmid that is still in
   * flight on this connection — a bot retransmitting, or a packet mqtt.js replayed after the
   * reconnect — waits for that packet's acknowledgement instead of publishing a second copy.
   */
  send(msg: { cmid: string; to: string; body: string }, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Accepted> {
    if (this.isClosed) {
      return Promise.reject(new ConnectionClosedError(`MQTT connection of ${this.actor} is closed`));
    }
    let entry = this.outgoing.get(msg.cmid);
    if (entry?.replay) {
      // The bot retransmits a message the library already replayed: that replay is its answer.
      entry.replay = false;
      if (entry.done) this.outgoing.delete(msg.cmid);
    } else if (!entry) {
      entry = this.track(msg.cmid, msg.to, false);
      const publish = (): void => {
        if (this.isClosed) return; // the entry was rejected when the connection closed
        this.inflight++;
        const encoded = encodeEnvelope(
          { cmid: msg.cmid, from: this.user, body: msg.body, ts: Date.now() },
          this.target.cmid,
        );
        const properties = encoded.userProperties ? { userProperties: encoded.userProperties } : undefined;
        this.client.publish(`${this.target.topic}/${msg.to}`, encoded.payload, {
          qos: this.target.qos,
          ...(properties ? { properties } : {}),
        });
      };
      if (this.inflight < this.quota) publish();
      else this.quotaWaiters.push(publish);
    }
    return this.withTimeout(entry.promise, timeoutMs, `PUBACK for cmid ${msg.cmid} of ${this.actor}`);
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
    const answered = new Promise<void>((resolve) => this.pingWaiters.push(resolve));
    this.client.sendPing();
    await this.withTimeout(answered, timeoutMs, `PINGRESP for ${this.actor}`);
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
    const force = setTimeout(() => this.destroy(), 2000);
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

  private rid(): string {
    return `~${(++this.nextRid).toString(36)}`;
  }

  private track(cmid: string, to: string, replay: boolean): Outgoing {
    let resolve!: (a: Accepted) => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<Accepted>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A caller that timed out has gone; the rejection must not become an unhandled one.
    promise.catch(() => {});
    const entry: Outgoing = { cmid, to, promise, resolve, reject, replay, done: false };
    this.outgoing.set(cmid, entry);
    return entry;
  }

  private withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TimeoutError(`no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private connectError(error: Error): Error {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'number' && AUTH_CODES.has(code)) {
      return new AuthError(
        `${this.target.url} refused the credentials of ${this.user} (CONNACK ${code}): check the password (token) and the broker's password_file`,
        { cause: error },
      );
    }
    if (typeof code === 'number') {
      return new ServerRejectedError(
        `${this.target.url} refused the connection of ${this.actor}: CONNACK ${code}`,
        `mqtt-${code}`,
        {
          cause: error,
        },
      );
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH') {
      return new TargetUnreachableError(
        `cannot connect to ${this.target.url}: ${error.message}. Is the broker running and is the URL right?`,
        { cause: error },
      );
    }
    return new ConnectionClosedError(
      `MQTT connection to ${this.target.url} failed: ${error.message}`,
      undefined,
      {
        cause: error,
      },
    );
  }

  /** Called by mqtt.js for each message to the app; the PUBACK/PUBCOMP goes out when `done` runs. */
  private onMessage(packet: IPublishPacket, done: (error?: Error) => void): void {
    const envelope = decodeEnvelope(
      packet.payload,
      packet.properties?.userProperties as UserProperties | undefined,
    );
    // A crashed client acknowledges nothing: the broker keeps the message for the next session.
    if (this.gone()) return;
    if (typeof envelope === 'string') {
      done(); // not an imspec message (recorded as invalid); acknowledge it so it is not redelivered
      return;
    }
    const smid = smidOf(envelope.from, envelope.cmid);
    // Counted when the PUBLISH arrived (publishFrame), so the msg:N frame carries it too.
    const attempt = this.state.pushes.get(smid) ?? 1;
    const seq = this.state.seqs.seqOf(smid);
    if (packet.messageId !== undefined)
      this.receivedPids.set(packet.messageId, { cmid: envelope.cmid, smid, seq });
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

  private onPacket(packet: Packet, dir: 'in' | 'out'): void {
    let type: FrameType | undefined;
    let fields: Record<string, unknown>;
    let invalid: string | undefined;
    switch (packet.cmd) {
      case 'connect':
        type = 'hello:R';
        fields = {
          rid: '~h',
          user: this.user,
          device: this.device,
          clientId: packet.clientId,
          clean: packet.clean === true,
          version: packet.protocolVersion,
        };
        if (packet.properties?.sessionExpiryInterval !== undefined) {
          fields.sessionExpiry = packet.properties.sessionExpiryInterval;
        }
        break;
      case 'connack': {
        type = 'hello:A';
        if (this.target.version === 5) this.quota = packet.properties?.receiveMaximum ?? 65_535;
        const code = packet.reasonCode ?? packet.returnCode ?? 0;
        fields = { rid: '~h', sessionPresent: packet.sessionPresent === true, reasonCode: code };
        if (packet.properties?.receiveMaximum !== undefined)
          fields.receiveMaximum = packet.properties.receiveMaximum;
        if (code !== 0) {
          type = 'error:A';
          fields = { rid: '~h', code: `mqtt-${code}`, message: `CONNACK refused the connection (${code})` };
        }
        break;
      }
      case 'publish':
        ({ type, fields, invalid } = this.publishFrame(packet, dir));
        break;
      case 'puback':
      case 'pubcomp':
        ({ type, fields } = this.completionFrame(packet.cmd, packet.messageId, packet.reasonCode, dir));
        break;
      case 'pubrec':
        fields = { mqtt: 'pubrec', pid: packet.messageId };
        if (dir === 'in' && packet.reasonCode !== undefined && packet.reasonCode >= 0x80) {
          ({ type, fields } = this.completionFrame('pubrec', packet.messageId, packet.reasonCode, dir));
        }
        break;
      case 'pingreq': {
        const rid = this.rid();
        this.pingRids.push(rid);
        type = 'ping:R';
        fields = { rid };
        break;
      }
      case 'pingresp':
        type = 'ping:A';
        fields = { rid: this.pingRids.shift() ?? null };
        for (const waiter of this.pingWaiters.splice(0)) waiter();
        break;
      case 'disconnect':
        fields = { mqtt: 'disconnect', reasonCode: packet.reasonCode ?? 0 };
        if (dir === 'in') {
          this.serverDisconnect = {
            code: packet.reasonCode,
            reason: `DISCONNECT ${packet.reasonCode ?? 0}${packet.properties?.reasonString ? ` ${packet.properties.reasonString}` : ''}`,
          };
        }
        break;
      default:
        fields = { mqtt: packet.cmd };
        if ('messageId' in packet && packet.messageId !== undefined) fields.pid = packet.messageId;
    }
    const event: FrameEvent = {
      kind: 'frame',
      t: this.history.now(),
      actor: this.actor,
      conn: this.conn,
      dir,
      type,
      fields,
      raw: renderPacket(packet),
    };
    if (invalid !== undefined) event.invalid = invalid;
    this.history.append(event);
  }

  private publishFrame(
    packet: IPublishPacket,
    dir: 'in' | 'out',
  ): { type: FrameType | undefined; fields: Record<string, unknown>; invalid?: string } {
    const envelope = decodeEnvelope(
      packet.payload,
      packet.properties?.userProperties as UserProperties | undefined,
    );
    const wire = { pid: packet.messageId, qos: packet.qos, dup: packet.dup === true };
    if (typeof envelope === 'string') {
      return {
        type: undefined,
        fields: { mqtt: 'publish', topic: packet.topic, ...wire },
        invalid: envelope,
      };
    }
    const to = packet.topic.startsWith(`${this.target.topic}/`)
      ? packet.topic.slice(this.target.topic.length + 1)
      : packet.topic;
    if (dir === 'out') {
      const rid = this.rid();
      if (packet.messageId !== undefined) this.sentPids.set(packet.messageId, { rid, cmid: envelope.cmid });
      // A packet mqtt.js replays from the store after a reconnect: make later sends of it join.
      if (!this.outgoing.has(envelope.cmid)) {
        this.track(envelope.cmid, to, true);
        this.inflight++;
      }
      return { type: 'msg:R', fields: { rid, cmid: envelope.cmid, to, body: envelope.body, ...wire } };
    }
    const smid = smidOf(envelope.from, envelope.cmid);
    // How often this device has been sent this message, across its connections: MQTT re-sends
    // only after a reconnect (with DUP=1), so a per-connection count would always be 1.
    const attempt = (this.state.pushes.get(smid) ?? 0) + 1;
    this.state.pushes.set(smid, attempt);
    return {
      type: 'msg:N',
      fields: {
        smid,
        cmid: envelope.cmid,
        from: envelope.from,
        to,
        body: envelope.body,
        ts: envelope.ts,
        attempt,
        ...wire,
      },
    };
  }

  /** PUBACK/PUBCOMP (and a failing PUBREC): msg:A or error:A inbound, ack:R outbound. */
  private completionFrame(
    cmd: 'puback' | 'pubcomp' | 'pubrec',
    pid: number | undefined,
    reasonCode: number | undefined,
    dir: 'in' | 'out',
  ): { type: FrameType | undefined; fields: Record<string, unknown> } {
    if (dir === 'out') {
      const got = pid !== undefined ? this.receivedPids.get(pid) : undefined;
      if (cmd === 'pubrec' || !got) return { type: undefined, fields: { mqtt: cmd, pid } };
      if (pid !== undefined) this.receivedPids.delete(pid);
      return { type: 'ack:R', fields: { upTo: got.seq, cmid: got.cmid, smid: got.smid, pid, mqtt: cmd } };
    }
    const sent = pid !== undefined ? this.sentPids.get(pid) : undefined;
    if (pid !== undefined) this.sentPids.delete(pid);
    if (!sent) return { type: undefined, fields: { mqtt: cmd, pid, reasonCode } };
    this.inflight--;
    // After this acknowledgement is recorded, so the history shows the slot freed before it is reused.
    const next = this.quotaWaiters.shift();
    if (next) queueMicrotask(next);
    const entry = this.outgoing.get(sent.cmid);
    // A completed replay stays until the bot's retransmission of it picks up the answer.
    if (entry?.replay) entry.done = true;
    else this.outgoing.delete(sent.cmid);
    const code = reasonCode ?? 0;
    if (code >= 0x80) {
      const message = `broker refused the PUBLISH of cmid ${sent.cmid} (${cmd.toUpperCase()} reason ${code})`;
      entry?.reject(new ServerRejectedError(message, `mqtt-${code}`));
      return { type: 'error:A', fields: { rid: sent.rid, code: `mqtt-${code}`, message } };
    }
    const smid = smidOf(this.user, sent.cmid);
    const ts = Date.now();
    entry?.resolve({ cmid: sent.cmid, smid, ts, dup: false });
    // Reason 16 (MQTT 5 "no matching subscribers"): accepted, and dropped — worth seeing.
    return { type: 'msg:A', fields: { rid: sent.rid, cmid: sent.cmid, smid, ts, pid, reasonCode: code } };
  }
}
