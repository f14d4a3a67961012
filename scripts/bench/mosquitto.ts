/**
 * The server section's external anchor: a real Mosquitto broker (Debian's /usr/sbin/mosquitto)
 * on a temp config bound to 127.0.0.1, and a bare MQTT 3.1.1 client written straight onto a TCP
 * socket — as thin as the bare `ws` client on the reference server's side, so neither side's
 * figure carries a client library's cost (mqtt.js spends more per PUBLISH than the broker does).
 *
 * What is counted is what Mosquitto acknowledges at QoS 1: PUBLISH (QoS 1) → PUBACK. Mosquitto
 * does not fsync per message (persistence is a snapshot, and it is off here), while the reference
 * server commits every accept with fsync; the comparison is the issue's, and says so.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../free-port.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Broker {
  port: number;
  stop(): Promise<void>;
}

/** Starts Mosquitto, or returns undefined when the binary is not installed. */
export async function startMosquitto(): Promise<Broker | undefined> {
  if (!existsSync(MOSQUITTO)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'imspec-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      // Closed-loop senders never have more than one message in flight; no queue limit is reached.
      'max_inflight_messages 0',
      'log_dest stderr',
      'log_type error',
      'log_type notice',
      // "running", the readiness line, is an information message.
      'log_type information',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosquitto did not start in 10 s:\n${log}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (/running/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mosquitto exited with ${code}:\n${log}`));
    });
  });
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function str(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

/** A connected MQTT 3.1.1 client that can publish QoS 1 and counts PUBACKs. */
export interface MqttSender {
  /** Publishes one QoS 1 message; `onAck` runs on its PUBACK. */
  publish(topic: string, payload: string, id: number): void;
  onAck(fn: () => void): void;
  close(): void;
}

export function mqttConnect(port: number, clientId: string): Promise<MqttSender> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => {
      // CONNECT: protocol "MQTT" level 4, clean session, keepalive 60 s.
      const variable = Buffer.concat([str('MQTT'), Buffer.from([0x04, 0x02, 0x00, 0x3c])]);
      const payload = str(clientId);
      const len = variable.length + payload.length;
      socket.write(Buffer.concat([Buffer.from([0x10, ...remainingLength(len)]), variable, payload]));
    });
    let connected = false;
    let ack: () => void = () => {};
    let buffered = 0;
    socket.on('data', (data: Buffer) => {
      // Every packet the broker sends here is 4 bytes: CONNACK first, then PUBACKs.
      buffered += data.length;
      while (buffered >= 4) {
        buffered -= 4;
        if (!connected) {
          connected = true;
          resolve({
            publish(topic, text, id) {
              const t = str(topic);
              const p = Buffer.from(text);
              const len = t.length + 2 + p.length;
              socket.write(
                Buffer.concat([
                  Buffer.from([0x32, ...remainingLength(len)]),
                  t,
                  Buffer.from([id >> 8, id & 0xff]),
                  p,
                ]),
              );
            },
            onAck(fn) {
              ack = fn;
            },
            close() {
              socket.destroy();
            },
          });
        } else {
          ack();
        }
      }
    });
  });
}
