/**
 * The frame-aware chaos proxy for protocols over WebSocket (RAN/1 by default): a WebSocket server
 * on 127.0.0.1 that opens one upstream connection to the target per client connection and applies
 * frame rules (types.ts) to the messages in between, read through the protocol's frame codec.
 * Close codes, pings and the negotiated subprotocol pass through both ways, and invalid UTF-8 or
 * oversized frames are forwarded untouched, so the target's own answers to hostile input
 * (FRAME-2, FRAME-5) stay testable through the proxy. Frames that do not decode pass through and
 * are counted.
 *
 * With no rules the two TCP connections are piped to each other after the handshakes, nothing
 * parsed (ws-tunnel.ts): that is the path `npm run bench` measures against a direct connection.
 */

import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ConfigError } from '../errors.js';
import type { History } from '../history/events.js';
import type { FrameCodec } from '../protocol/frame-codec.js';
import { ranCodec } from '../protocol/ran-codec.js';
import { TickCork } from '../protocol/tick-cork.js';
import { readFrames, WireOut } from '../ws-wire/ws-frames.js';
import { FrameLink, type FramePort } from './frame-link.js';
import { frameRules } from './frame-rules.js';
import { answerBadGateway, relayRefusedHandshake } from './handshake.js';
import { listenLoopback } from './listen.js';
import type { Rng } from './random.js';
import type { Direction, FaultRecord, FaultRule } from './types.js';
import { tunnel } from './ws-tunnel.js';

export interface WsProxyOptions {
  /**
   * The target, e.g. `ws://127.0.0.1:8080`. A client's request path and query are kept (a client
   * of `ws://proxy/ran?x=1` reaches `ws://target/ran?x=1`); a client asking for `/` reaches the
   * upstream URL as given.
   */
  upstream: string;
  /** Frame rules, resolved by `resolveFaultRules`. Stream rules are refused (use the TCP proxy). @default [] */
  rules?: readonly FaultRule[];
  /** How to read the protocol's messages; its transport must be `websocket`. @default ranCodec (RAN/1) */
  codec?: FrameCodec;
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
  /** Largest message accepted from either side, in bytes. @default 104857600 (ws's default) */
  maxPayload?: number;
}

export interface WsProxyStats {
  connections: number;
  /** Frames client→target and target→client. Counted only when there are rules (with none, bytes are piped unparsed). */
  toServer: number;
  toClient: number;
  /** Frames that did not decode as RAN/1 (counted only when there are rules). */
  undecodable: number;
  faults: number;
}

export interface WsProxy {
  /** `ws://127.0.0.1:<port>`: where clients connect instead of the target. */
  readonly url: string;
  readonly port: number;
  /** Every fault this proxy injected, in order. */
  readonly events: readonly FaultRecord[];
  readonly stats: Readonly<WsProxyStats>;
  /** The timeline step now running (StepEvent.index); step windows follow it. */
  setStep(index: number): void;
  /** Force a rule on or off regardless of its window; `undefined` returns it to its window. */
  setActive(ruleId: string, active: boolean | undefined): void;
  /** Terminates every connection and stops listening. */
  close(): Promise<void>;
}

/** Handshake headers ws sets itself; everything else the client sent is passed to the target. */
const OWN_HEADERS = new Set([
  'host',
  'connection',
  'upgrade',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]);

export async function startWsProxy(options: WsProxyOptions): Promise<WsProxy> {
  const rules = options.rules ?? [];
  const streamRule = rules.find((r) => r.layer !== 'frame');
  if (streamRule) {
    throw new ConfigError(
      `fault rule "${streamRule.id}" (${streamRule.action.type}) acts on TCP bytes, but the WebSocket proxy acts on frames; run it through startTcpProxy or use a frame action`,
    );
  }
  let upstreamBase: URL;
  try {
    upstreamBase = new URL(options.upstream);
  } catch {
    throw new ConfigError(
      `fault proxy upstream ${JSON.stringify(options.upstream)} is not a URL; pass e.g. ws://127.0.0.1:8080`,
    );
  }
  if (upstreamBase.protocol !== 'ws:' && upstreamBase.protocol !== 'wss:') {
    throw new ConfigError(`fault proxy upstream ${options.upstream} must be a ws:// or wss:// URL`);
  }
  const codec = options.codec ?? ranCodec;
  if (codec.transport !== 'websocket') {
    throw new ConfigError(
      `the ${codec.name} codec cuts a TCP byte stream into frames; run it through startFrameProxy, not the WebSocket proxy`,
    );
  }
  const stats: WsProxyStats = { connections: 0, toServer: 0, toClient: 0, undecodable: 0, faults: 0 };
  const { ctx, gate, events } = frameRules({ ...options, rules, codec, stats });
  const hasRules = !ctx.engine.empty;

  const maxPayload = options.maxPayload ?? 100 * 1024 * 1024;
  const chosenProtocol = new WeakMap<IncomingMessage, string>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    // Pings are forwarded, not answered here: a stalled (half-open) link must not pong.
    autoPong: false,
    // Invalid UTF-8 is the target's to judge (FRAME-2), not the proxy's.
    skipUTF8Validation: true,
    maxPayload,
    handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
  });
  const sockets = new Set<Socket>();
  const links = new Set<WsLink>();
  let linkIndex = 0;

  const server = createServer((req, res) => {
    // Plain HTTP (health, metrics, HTTP endpoints of the target) passes through unchanged.
    const url = new URL(req.url ?? '/', upstreamBase);
    url.protocol = upstreamBase.protocol === 'wss:' ? 'https:' : 'http:';
    const up = httpRequest(url, { method: req.method, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end('imspec fault proxy: upstream unreachable\n');
      else res.destroy();
    });
    req.pipe(up);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => {});
    const target = req.url && req.url !== '/' ? new URL(req.url, upstreamBase) : upstreamBase;
    if (!hasRules && upstreamBase.protocol === 'ws:') {
      tunnel(req, socket, head, target, {
        opened: (_client, upstream) => {
          stats.connections++;
          sockets.add(upstream);
          upstream.on('close', () => sockets.delete(upstream));
        },
      });
      return;
    }
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (!OWN_HEADERS.has(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const upstream = new WebSocket(target, offered, {
      perMessageDeflate: false,
      autoPong: false,
      skipUTF8Validation: true,
      maxPayload,
      headers,
    });
    let upstreamSocket: Socket | undefined;
    let opened = false;
    upstream.once('upgrade', (res) => {
      upstreamSocket = res.socket as Socket;
      upstreamSocket.setNoDelay(true);
    });
    const abandon = () => {
      if (!opened) upstream.terminate();
    };
    socket.once('close', abandon);
    upstream.once('unexpected-response', (_req, res) => relayRefusedHandshake(res, socket));
    upstream.on('error', () => {
      if (!opened) answerBadGateway(socket);
    });
    upstream.once('open', () => {
      opened = true;
      socket.off('close', abandon);
      if (!socket.writable) {
        // The client gave up while the target was answering; ws would drop the upgrade silently.
        upstream.terminate();
        return;
      }
      if (upstream.protocol) chosenProtocol.set(req, upstream.protocol);
      // handleUpgrade completes synchronously here (no verifyClient), so no upstream message can
      // arrive before the link is wired.
      wss.handleUpgrade(req, socket, head, (client) => {
        const port = wsPort(client, upstream, socket, upstreamSocket);
        const link: WsLink = { frames: new FrameLink(++linkIndex, port, ctx), client, upstream };
        links.add(link);
        stats.connections++;
        wire(link, stats);
        // Data frames are read here and forwarded as they came unless a rule changes them;
        // ws goes on reading everything else (src/ws-wire/ws-frames.ts).
        const read = (from: WebSocket, fromSocket: Socket, direction: Direction) =>
          readFrames(from, fromSocket, direction === 'to-server', maxPayload, {
            frame(data, binary, wire) {
              if (direction === 'to-server') stats.toServer++;
              else stats.toClient++;
              link.frames.onFrame(direction, { data, binary, wire });
            },
            beforeWs: () => port.flush(),
          });
        read(client, socket, 'to-server');
        if (upstreamSocket) read(upstream, upstreamSocket, 'to-client');
        const done = () => {
          link.frames.dispose();
          links.delete(link);
        };
        client.once('close', (code, reason) => {
          if (!link.frames.cut) mirrorClose(upstream, code, reason);
          done();
        });
        upstream.once('close', (code, reason) => {
          if (!link.frames.cut) mirrorClose(client, code, reason);
          done();
        });
      });
    });
  });

  const port = await listenLoopback(server, options.port);

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    events,
    stats,
    setStep: (index) => gate.setStep(index),
    setActive: (ruleId, active) => gate.setActive(ruleId, active),
    async close() {
      for (const link of links) {
        link.frames.dispose();
        link.client.terminate();
        link.upstream.terminate();
      }
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => {
        wss.close(() => server.close(() => resolve()));
      });
    },
  };
}

/** One proxied WebSocket connection: the client's socket, its own upstream one, and the frame actions between. */
interface WsLink {
  frames: FrameLink;
  client: WebSocket;
  upstream: WebSocket;
}

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;

/** Frames are WebSocket messages; a cut closes with a close code, or resets both TCP connections. */
function wsPort(
  client: WebSocket,
  upstream: WebSocket,
  clientSocket: Socket,
  upstreamSocket: Socket | undefined,
): FramePort & { flush(): void } {
  // The frames of one tick (a TCP read often carries many) leave in one writev per side: a send
  // per frame was a syscall per frame, measured as most of the rule path's cost.
  const toClient = new TickCork(clientSocket);
  const toServer = new TickCork(upstreamSocket);
  // Frames read off the other socket go on as they came (src/ws-wire/ws-frames.ts): no framing again.
  const outClient = new WireOut(clientSocket);
  const outServer = upstreamSocket ? new WireOut(upstreamSocket) : undefined;
  const flush = () => {
    outClient.flush();
    outServer?.flush();
  };
  return {
    send(direction, frame) {
      const toTarget = direction === 'to-server';
      const target = toTarget ? upstream : client;
      if (target.readyState !== WebSocket.OPEN) return;
      const out = toTarget ? outServer : outClient;
      // The bytes as they came when the frame has them and the side has a socket to write them to.
      const wire = out === undefined ? undefined : frame.wire;
      // Queued before the cork is held, so the queue is written before the tick's uncork; a
      // frame ws frames again goes after what is queued.
      if (wire !== undefined) out!.add(wire);
      else out?.flush();
      (toTarget ? toServer : toClient).hold();
      if (wire === undefined) target.send(frame.data, frame.binary ? BINARY : TEXT);
    },
    flush,
    cut(mode, code) {
      flush();
      if (mode === 'reset') {
        toClient.flush();
        toServer.flush();
        clientSocket.resetAndDestroy();
        if (upstreamSocket) upstreamSocket.resetAndDestroy();
        else upstream.terminate();
        return;
      }
      if (client.readyState === WebSocket.OPEN) client.close(code);
      if (upstream.readyState === WebSocket.OPEN) upstream.close(code);
    },
  };
}

function wire(link: WsLink, stats: WsProxyStats): void {
  const { client, upstream, frames } = link;
  client.on('message', (data: Buffer, binary: boolean) => {
    stats.toServer++;
    frames.onFrame('to-server', { data, binary });
  });
  upstream.on('message', (data: Buffer, binary: boolean) => {
    stats.toClient++;
    frames.onFrame('to-client', { data, binary });
  });
  // Ping/pong pass through unless the connection is stalled (a half-open peer answers nothing).
  const control = (target: WebSocket, kind: 'ping' | 'pong') => (d: Buffer) => {
    if (frames.stalled() || target.readyState !== WebSocket.OPEN) return;
    if (kind === 'ping') target.ping(d);
    else target.pong(d);
  };
  client.on('ping', control(upstream, 'ping'));
  client.on('pong', control(upstream, 'pong'));
  upstream.on('ping', control(client, 'ping'));
  upstream.on('pong', control(client, 'pong'));
  client.on('error', () => {});
  upstream.on('error', () => {});
}

/**
 * Passes a close on to the other side with the same code and reason (AUTH-2's 4401, AUTH-6's
 * 4409, SHUT-1's 1001 must reach the client as the server sent them). 1005 (no code) becomes a
 * close without code; 1006 (no close frame: the peer vanished) becomes a terminated connection.
 */
function mirrorClose(target: WebSocket, code: number, reason: Buffer): void {
  if (target.readyState === WebSocket.CLOSED || target.readyState === WebSocket.CLOSING) return;
  if (target.readyState === WebSocket.CONNECTING) {
    target.terminate();
    return;
  }
  if (code === 1005) target.close();
  else if (isSendableCloseCode(code)) target.close(code, reason);
  else target.terminate();
}

function isSendableCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}
