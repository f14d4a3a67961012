/**
 * Records each control packet of one MQTT connection as it goes by, both ways, as the frame
 * packet-frames.ts makes of it, and keeps what those frames depend on and what the session asks
 * of them: the rids of our requests, the PINGREQs awaiting their PINGRESP, the packet ids in
 * flight (PublishFlow), and the reason of the broker's DISCONNECT.
 */

import type { IPublishPacket, Packet } from 'mqtt';
import type { PushCounts } from '../actor-registry.js';
import { clientRid } from '../connections.js';
import type { ConnectionLog } from '../kit.js';
import { smidOf } from './envelope.js';
import {
  ackFrame,
  completionOf,
  connackFrame,
  connectFrame,
  disconnectFrame,
  disconnectReason,
  envelopeOf,
  type FrameParts,
  invalidPublishFrame,
  isFailure,
  readPublish,
  receivedPublishFrame,
  sentPublishFrame,
  untypedFrame,
} from './packet-frames.js';
import type { PublishFlow } from './publish-flow.js';
import { renderPacket } from './render.js';
import type { MqttTarget } from './target.js';

/** What the recorder reads and writes: no more of the session than that. */
export interface RecorderContext {
  user: string;
  device: string;
  target: MqttTarget;
  /** The device's arrival counts, kept across its connections. */
  pushes: PushCounts;
  flow: PublishFlow;
  log: ConnectionLog;
}

export class PacketRecorder {
  /** Why the broker's DISCONNECT ends the connection, once it sent one. */
  serverDisconnect: { code: number | undefined; reason: string } | undefined;
  private nextRid = 0;
  private readonly pingRids: string[] = [];
  private readonly pingWaiters: (() => void)[] = [];

  constructor(private readonly ctx: RecorderContext) {}

  /** Resolves when the next PINGRESP arrives. */
  pingAnswered(): Promise<void> {
    return new Promise<void>((resolve) => this.pingWaiters.push(resolve));
  }

  /** Records one control packet: mqtt.js's `packetsend` (out) and `packetreceive` (in). */
  record(packet: Packet, dir: 'in' | 'out'): void {
    let frame: FrameParts;
    switch (packet.cmd) {
      case 'connect':
        frame = connectFrame(packet, this.ctx.user, this.ctx.device);
        break;
      case 'connack':
        if (this.ctx.target.version === 5) this.ctx.flow.limitTo(packet.properties?.receiveMaximum ?? 65_535);
        frame = connackFrame(packet);
        break;
      case 'publish':
        frame = this.publishFrame(packet, dir);
        break;
      case 'puback':
      case 'pubcomp':
        frame = this.completionFrame(packet.cmd, packet.messageId, packet.reasonCode, dir);
        break;
      case 'pubrec':
        frame =
          dir === 'in' && isFailure(packet.reasonCode)
            ? this.completionFrame('pubrec', packet.messageId, packet.reasonCode, dir)
            : { type: undefined, fields: { mqtt: 'pubrec', pid: packet.messageId } };
        break;
      case 'pingreq': {
        const rid = this.rid();
        this.pingRids.push(rid);
        frame = { type: 'ping:R', fields: { rid } };
        break;
      }
      case 'pingresp':
        frame = { type: 'ping:A', fields: { rid: this.pingRids.shift() ?? null } };
        for (const waiter of this.pingWaiters.splice(0)) waiter();
        break;
      case 'disconnect':
        frame = disconnectFrame(packet);
        if (dir === 'in') this.serverDisconnect = disconnectReason(packet);
        break;
      default:
        frame = untypedFrame(packet);
    }
    this.ctx.log.frame(dir, {
      type: frame.type,
      fields: frame.fields,
      raw: renderPacket(packet),
      invalid: frame.invalid,
    });
  }

  private publishFrame(packet: IPublishPacket, dir: 'in' | 'out'): FrameParts {
    const envelope = envelopeOf(packet);
    const read = readPublish(packet, this.ctx.target.topic);
    if (typeof envelope === 'string') return invalidPublishFrame(packet, read, envelope);
    if (dir === 'out') {
      const rid = this.rid();
      this.ctx.flow.sent(packet.messageId, rid, envelope.cmid);
      return sentPublishFrame(rid, envelope, read);
    }
    const attempt = this.ctx.pushes.count(smidOf(envelope.from, envelope.cmid));
    return receivedPublishFrame(envelope, read, attempt);
  }

  /** PUBACK/PUBCOMP (and a failing PUBREC): msg:A or error:A inbound, ack:R outbound. */
  private completionFrame(
    cmd: 'puback' | 'pubcomp' | 'pubrec',
    pid: number | undefined,
    reasonCode: number | undefined,
    dir: 'in' | 'out',
  ): FrameParts {
    if (dir === 'out') {
      if (cmd !== 'pubrec') {
        const got = this.ctx.flow.acknowledging(pid);
        if (got) return ackFrame(cmd, pid, got);
      }
      return { type: undefined, fields: { mqtt: cmd, pid } };
    }
    const sent = this.ctx.flow.completed(pid);
    if (!sent) return { type: undefined, fields: { mqtt: cmd, pid, reasonCode } };
    const outcome = completionOf(sent, cmd, pid, reasonCode, this.ctx.user, Date.now());
    if ('refused' in outcome) sent.answer?.reject(outcome.refused);
    else sent.answer?.resolve(outcome.accepted);
    return outcome.frame;
  }

  private rid(): string {
    return clientRid(++this.nextRid);
  }
}
