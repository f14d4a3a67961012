/**
 * A readable one-line rendering of an MQTT control packet for wire-log excerpts (FrameEvent.raw).
 * MQTT is binary, so this is the "readable rendering" the history asks for: packet name, the
 * fields that matter for delivery (packet id, QoS, DUP, reason codes, session flags), the topic
 * and the payload as UTF-8. The CONNECT password is never written down. Pure.
 */

import type { Packet } from 'mqtt';

function payloadText(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload).toString('utf8');
  return '';
}

function props(properties: unknown): string {
  if (typeof properties !== 'object' || properties === null) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(properties)) {
    if (value === undefined) continue;
    parts.push(
      `${key}=${typeof value === 'object' && !(value instanceof Uint8Array) ? JSON.stringify(value) : String(value)}`,
    );
  }
  return parts.length > 0 ? ` {${parts.join(' ')}}` : '';
}

function reason(packet: { reasonCode?: number | undefined }): string {
  return packet.reasonCode !== undefined ? ` rc=${packet.reasonCode}` : '';
}

export function renderPacket(packet: Packet): string {
  switch (packet.cmd) {
    case 'connect':
      return (
        `CONNECT v${packet.protocolVersion ?? 4} clientId=${packet.clientId} clean=${packet.clean ? 1 : 0} ` +
        `keepalive=${packet.keepalive ?? 0}` +
        (packet.username !== undefined ? ` username=${packet.username}` : '') +
        (packet.password !== undefined ? ' password=<redacted>' : '') +
        props(packet.properties)
      );
    case 'connack':
      return (
        `CONNACK sessionPresent=${packet.sessionPresent ? 1 : 0}` +
        (packet.returnCode !== undefined ? ` rc=${packet.returnCode}` : reason(packet)) +
        props(packet.properties)
      );
    case 'publish':
      return (
        `PUBLISH qos=${packet.qos} pid=${packet.messageId ?? '-'} dup=${packet.dup ? 1 : 0} ` +
        `retain=${packet.retain ? 1 : 0} topic=${packet.topic}${props(packet.properties)} ` +
        `payload=${payloadText(packet.payload)}`
      );
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return `${packet.cmd.toUpperCase()} pid=${packet.messageId}${reason(packet)}${props(packet.properties)}`;
    case 'subscribe':
      return `SUBSCRIBE pid=${packet.messageId} ${packet.subscriptions.map((s) => `${s.topic}@qos${s.qos}`).join(',')}`;
    case 'suback':
      return `SUBACK pid=${packet.messageId} granted=${JSON.stringify(packet.granted)}${reason(packet)}`;
    case 'unsubscribe':
      return `UNSUBSCRIBE pid=${packet.messageId} ${packet.unsubscriptions.join(',')}`;
    case 'unsuback':
      return `UNSUBACK pid=${packet.messageId}`;
    case 'pingreq':
      return 'PINGREQ';
    case 'pingresp':
      return 'PINGRESP';
    case 'disconnect':
      return `DISCONNECT${reason(packet)}${props(packet.properties)}`;
    case 'auth':
      return `AUTH${reason(packet)}`;
    default:
      return (packet as { cmd: string }).cmd.toUpperCase();
  }
}
