/**
 * How each MQTT control packet reads as a RAN/1 frame (the table in mqtt-session.ts): the fields
 * of the hello, msg, ack, ping and error frames, and `fields.mqtt` naming the packets with no
 * RAN/1 counterpart. Pure: what needs the connection's bookkeeping (rids, the packet ids in
 * flight, how often a message arrived) is looked up by the session and passed in.
 */

import type { IConnackPacket, IDisconnectPacket, IPublishPacket, Packet } from 'mqtt';
import { ServerRejectedError } from '../../errors.js';
import type { Accepted } from '../driver.js';
import type { FrameRecord } from '../kit.js';
import { decodeEnvelope, type Envelope, smidOf, type UserProperties } from './envelope.js';

/** A frame to record, but for its raw rendering (renderPacket). */
export type FrameParts = Omit<FrameRecord, 'raw'>;

type IConnectPacket = Extract<Packet, { cmd: 'connect' }>;

/** The rid of hello:R and hello:A: one CONNECT per connection, so a fixed rid pairs them. */
const HELLO_RID = '~h';

export function connectFrame(packet: IConnectPacket, user: string, device: string): FrameParts {
  const fields: Record<string, unknown> = {
    rid: HELLO_RID,
    user,
    device,
    clientId: packet.clientId,
    clean: packet.clean === true,
    version: packet.protocolVersion,
  };
  if (packet.properties?.sessionExpiryInterval !== undefined) {
    fields.sessionExpiry = packet.properties.sessionExpiryInterval;
  }
  return { type: 'hello:R', fields };
}

/** CONNACK: hello:A, or error:A when it refuses the connection. */
export function connackFrame(packet: IConnackPacket): FrameParts {
  const code = packet.reasonCode ?? packet.returnCode ?? 0;
  if (code !== 0) {
    return {
      type: 'error:A',
      fields: { rid: HELLO_RID, code: `mqtt-${code}`, message: `CONNACK refused the connection (${code})` },
    };
  }
  const fields: Record<string, unknown> = {
    rid: HELLO_RID,
    sessionPresent: packet.sessionPresent === true,
    reasonCode: code,
  };
  if (packet.properties?.receiveMaximum !== undefined)
    fields.receiveMaximum = packet.properties.receiveMaximum;
  return { type: 'hello:A', fields };
}

export function disconnectFrame(packet: IDisconnectPacket): FrameParts {
  return { type: undefined, fields: { mqtt: 'disconnect', reasonCode: packet.reasonCode ?? 0 } };
}

/** Why the broker's DISCONNECT ends the connection, for its CloseInfo. */
export function disconnectReason(packet: IDisconnectPacket): { code: number | undefined; reason: string } {
  const text = packet.properties?.reasonString;
  return { code: packet.reasonCode, reason: `DISCONNECT ${packet.reasonCode ?? 0}${text ? ` ${text}` : ''}` };
}

/** A packet with no RAN/1 counterpart (SUBSCRIBE, PUBREL, …): its name and packet id. */
export function untypedFrame(packet: Packet): FrameParts {
  const fields: Record<string, unknown> = { mqtt: packet.cmd };
  if ('messageId' in packet && packet.messageId !== undefined) fields.pid = packet.messageId;
  return { type: undefined, fields };
}

/** The message a PUBLISH carries, or why it is not an imspec message. */
export function envelopeOf(packet: IPublishPacket): Envelope | string {
  return decodeEnvelope(packet.payload, packet.properties?.userProperties as UserProperties | undefined);
}

/** A PUBLISH as the frames show it: to whose inbox it goes, and its delivery flags. */
export interface PublishRead {
  /** The inbox's user: the topic after the target's prefix (the whole topic outside it). */
  to: string;
  wire: { pid: number | undefined; qos: number; dup: boolean };
}

export function readPublish(packet: IPublishPacket, topicPrefix: string): PublishRead {
  const to = packet.topic.startsWith(`${topicPrefix}/`)
    ? packet.topic.slice(topicPrefix.length + 1)
    : packet.topic;
  return { to, wire: { pid: packet.messageId, qos: packet.qos, dup: packet.dup === true } };
}

/** A PUBLISH whose payload is no imspec message: recorded as invalid, with no RAN/1 type. */
export function invalidPublishFrame(packet: IPublishPacket, read: PublishRead, reason: string): FrameParts {
  return { type: undefined, fields: { mqtt: 'publish', topic: packet.topic, ...read.wire }, invalid: reason };
}

/** Our PUBLISH: msg:R. */
export function sentPublishFrame(rid: string, envelope: Envelope, read: PublishRead): FrameParts {
  return {
    type: 'msg:R',
    fields: { rid, cmid: envelope.cmid, to: read.to, body: envelope.body, ...read.wire },
  };
}

/** The broker's PUBLISH on our inbox: msg:N, the `attempt`-th time this device got it. */
export function receivedPublishFrame(envelope: Envelope, read: PublishRead, attempt: number): FrameParts {
  return {
    type: 'msg:N',
    fields: {
      smid: smidOf(envelope.from, envelope.cmid),
      cmid: envelope.cmid,
      from: envelope.from,
      to: read.to,
      body: envelope.body,
      ts: envelope.ts,
      attempt,
      ...read.wire,
    },
  };
}

/** Our PUBACK/PUBCOMP of a message the bot was handed: ack:R (it answers no request: no rid). */
export function ackFrame(
  cmd: 'puback' | 'pubcomp',
  pid: number | undefined,
  got: { cmid: string; smid: string; seq: number },
): FrameParts {
  return { type: 'ack:R', fields: { upTo: got.seq, cmid: got.cmid, smid: got.smid, pid, mqtt: cmd } };
}

/**
 * The broker's PUBACK/PUBCOMP (or failing PUBREC) of our PUBLISH `sent`: msg:A and the answer
 * to the send, or error:A and the refusal to reject it with when the reason code is a failure.
 */
export function completionOf(
  sent: { rid: string; cmid: string },
  cmd: 'puback' | 'pubcomp' | 'pubrec',
  pid: number | undefined,
  reasonCode: number | undefined,
  user: string,
  ts: number,
): { frame: FrameParts; accepted: Accepted } | { frame: FrameParts; refused: ServerRejectedError } {
  const code = reasonCode ?? 0;
  if (code >= 0x80) {
    const message = `broker refused the PUBLISH of cmid ${sent.cmid} (${cmd.toUpperCase()} reason ${code})`;
    return {
      frame: { type: 'error:A', fields: { rid: sent.rid, code: `mqtt-${code}`, message } },
      refused: new ServerRejectedError(message, `mqtt-${code}`),
    };
  }
  const smid = smidOf(user, sent.cmid);
  return {
    // Reason 16 (MQTT 5 "no matching subscribers"): accepted, and dropped — worth seeing.
    frame: { type: 'msg:A', fields: { rid: sent.rid, cmid: sent.cmid, smid, ts, pid, reasonCode: code } },
    accepted: { cmid: sent.cmid, smid, ts, dup: false },
  };
}

/** True for a PUBREC whose reason code refuses the PUBLISH (MQTT 5): it ends the QoS 2 flow. */
export function isFailure(reasonCode: number | undefined): boolean {
  return reasonCode !== undefined && reasonCode >= 0x80;
}
