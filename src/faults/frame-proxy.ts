/**
 * The frame-aware chaos proxy for protocols over plain TCP: a TCP server on 127.0.0.1 that opens
 * one upstream connection per client connection, cuts each direction's byte stream into frames
 * with the protocol's codec (`frameLength`), and applies frame rules to them exactly as the
 * WebSocket proxy does for RAN/1 — drop the 3rd msg:A, duplicate pushes, reorder, delay, corrupt,
 * cut, stall — because both run the same FrameLink over a different port.
 *
 * Bytes that cannot be framed (the codec says -1, or a frame would exceed `maxFrameBytes`) switch
 * that direction to a plain relay for the rest of the connection, counted as undecodable: a
 * server that answers garbage still reaches the client, which is what the client must judge.
 * A FIN from one side is passed on at once; frames a `delay` still holds for that side are lost
 * with the connection, as on a real network.
 */

import { createServer, connect as netConnect, type Socket } from 'node:net';
import { ConfigError } from '../errors.js';
import type { History } from '../history/events.js';
import type { FrameCodec } from '../protocol/frame-codec.js';
import { TickCork } from '../protocol/tick-cork.js';
import { FrameLink, type FramePort } from './frame-link.js';
import { frameRules } from './frame-rules.js';
import { listenLoopback } from './listen.js';
import type { Rng } from './random.js';
import { parseUpstream } from './tcp-proxy.js';
import type { Direction, FaultRecord, FaultRule } from './types.js';

export interface FrameProxyOptions {
  /** The target: `"127.0.0.1:7500"` or `{ host, port }`. */
  upstream: string | { host: string; port: number };
  /** How to cut and read the protocol's frames; its transport must be `tcp`. */
  codec: FrameCodec;
  /** Frame rules, resolved by `resolveFaultRules`. Stream rules are refused (use the TCP proxy). @default [] */
  rules?: readonly FaultRule[];
  /** Source of every random choice. @default createRng('imspec') */
  rng?: Rng;
  /**
   * The run's user prefix on a shared target: left out of frame identities, so probabilistic rules
   * give a frame the same fate whatever the run's prefix. @default ''
   */
  userPrefix?: string;
  /** Fault events are appended here too; its clock times events and time windows. @default none */
  history?: History;
  /** Called with each fault event as it is recorded. @default none */
  onFault?: (event: FaultRecord) => void;
  /** Listen port; 0 picks a free one. @default 0 */
  port?: number;
  /** Largest frame buffered while waiting for its last byte; beyond it the direction is relayed unparsed. @default 16777216 */
  maxFrameBytes?: number;
}

export interface FrameProxyStats {
  connections: number;
  /** Frames cut client→target and target→client. */
  toServer: number;
  toClient: number;
  /** Frames that did not decode, and unframeable stretches of bytes. */
  undecodable: number;
  faults: number;
}

export interface FrameProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Every fault this proxy injected, in order. */
  readonly events: readonly FaultRecord[];
  readonly stats: Readonly<FrameProxyStats>;
  setStep(index: number): void;
  setActive(ruleId: string, active: boolean | undefined): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export async function startFrameProxy(options: FrameProxyOptions): Promise<FrameProxy> {
  const rules = options.rules ?? [];
  const { codec } = options;
  const streamRule = rules.find((r) => r.layer !== 'frame');
  if (streamRule) {
    throw new ConfigError(
      `fault rule "${streamRule.id}" (${streamRule.action.type}) acts on TCP bytes, but the frame proxy acts on frames; run it through startTcpProxy or use a frame action`,
    );
  }
  if (codec.transport !== 'tcp' || typeof codec.frameLength !== 'function') {
    throw new ConfigError(
      `the ${codec.name} codec does not cut a TCP byte stream (transport "${codec.transport}", frameLength ${typeof codec.frameLength}); a websocket codec runs through startWsProxy`,
    );
  }
  const target = parseUpstream(options.upstream);
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const stats: FrameProxyStats = { connections: 0, toServer: 0, toClient: 0, undecodable: 0, faults: 0 };
  const { ctx, gate, events } = frameRules({ ...options, rules, stats });
  const sockets = new Set<Socket>();
  const links = new Set<FrameLink>();

  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    const index = ++stats.connections;
    sockets.add(client);
    client.setNoDelay(true);
    const upstream = netConnect({ host: target.host, port: target.port, allowHalfOpen: true });
    sockets.add(upstream);
    upstream.setNoDelay(true);
    const link = new FrameLink(index, tcpPort(client, upstream), ctx);
    links.add(link);
    const cutters = {
      'to-server': new Cutter('to-server', codec, maxFrameBytes, link, stats),
      'to-client': new Cutter('to-client', codec, maxFrameBytes, link, stats),
    };
    const dispose = () => {
      link.dispose();
      links.delete(link);
    };
    upstream.once('connect', () => client.resume());
    client.on('data', (d: Buffer) => cutters['to-server'].push(d));
    upstream.on('data', (d: Buffer) => cutters['to-client'].push(d));
    // Half-open is kept: a FIN from one side is passed on, and the other side may still send.
    client.on('end', () => {
      if (!link.stalled() && !upstream.destroyed) upstream.end();
    });
    upstream.on('end', () => {
      if (!link.stalled() && !client.destroyed) client.end();
    });
    // A reset on one side is passed on as a reset; any other error just ends the other side.
    const onError = (other: Socket) => (err: NodeJS.ErrnoException) => {
      dispose();
      if (err.code === 'ECONNRESET') other.resetAndDestroy();
      else other.destroy();
    };
    client.on('error', onError(upstream));
    upstream.on('error', onError(client));
    client.on('close', () => {
      sockets.delete(client);
      dispose();
      if (!upstream.destroyed && !link.cut) upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      dispose();
      if (!client.destroyed && !link.cut) client.destroy();
    });
  });

  const port = await listenLoopback(server, options.port);
  return {
    host: '127.0.0.1',
    port,
    events,
    stats,
    setStep: (index) => gate.setStep(index),
    setActive: (ruleId, active) => gate.setActive(ruleId, active),
    async close() {
      for (const link of links) link.dispose();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Frames are byte ranges written to the other socket; a cut ends (FIN) or resets both. */
function tcpPort(client: Socket, upstream: Socket): FramePort {
  const paused = new WeakSet<Socket>();
  // The frames of one tick (one read often carries many) leave in one writev per side.
  const toServer = new TickCork(upstream);
  const toClient = new TickCork(client);
  return {
    send(direction, frame) {
      const [src, dst, cork] =
        direction === 'to-server' ? [client, upstream, toServer] : [upstream, client, toClient];
      if (!dst.writable) return;
      cork.hold();
      // Backpressure: stop reading the source until the destination drains.
      if (!dst.write(frame.data) && !paused.has(src)) {
        paused.add(src);
        src.pause();
        dst.once('drain', () => {
          paused.delete(src);
          src.resume();
        });
      }
    },
    cut(mode) {
      if (mode === 'reset') {
        toServer.flush();
        toClient.flush();
        client.resetAndDestroy();
        upstream.resetAndDestroy();
        return;
      }
      client.end();
      upstream.end();
    },
  };
}

/** One direction's byte stream, cut into frames by the codec. */
class Cutter {
  private pending: Buffer = Buffer.alloc(0);
  private relay = false;

  constructor(
    private readonly direction: Direction,
    private readonly codec: FrameCodec,
    private readonly maxFrameBytes: number,
    private readonly link: FrameLink,
    private readonly stats: FrameProxyStats,
  ) {}

  push(chunk: Buffer): void {
    if (this.relay) {
      this.link.onUnframed(this.direction, chunk);
      return;
    }
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    for (;;) {
      if (buf.length === 0) break;
      const n = this.codec.frameLength!(buf);
      if (n === 0) {
        if (buf.length > this.maxFrameBytes) {
          this.giveUp(buf);
          return;
        }
        break;
      }
      if (!(n > 0) || !Number.isInteger(n) || n > this.maxFrameBytes) {
        this.giveUp(buf);
        return;
      }
      if (buf.length < n) break;
      // A copy: the frame may be held (delay, reorder) while the socket reuses its buffers.
      const frame = Buffer.from(buf.subarray(0, n));
      buf = buf.subarray(n);
      if (this.direction === 'to-server') this.stats.toServer++;
      else this.stats.toClient++;
      this.link.onFrame(this.direction, { data: frame, binary: true });
    }
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  /** The stream cannot be framed from here on: relay the rest as it comes. */
  private giveUp(buf: Buffer): void {
    this.relay = true;
    this.pending = Buffer.alloc(0);
    this.stats.undecodable++;
    this.link.onUnframed(this.direction, buf);
  }
}
