/**
 * A TCP-level fault proxy for protocols the kit does not parse (MQTT, XMPP): latency, bandwidth,
 * reset, blackhole and slicing, per connection, with the same rule windows, seeded generator and
 * fault events as the WebSocket proxy. Like Toxiproxy it never looks inside the bytes; unlike it,
 * every choice is seeded and every injected fault is recorded for replay.
 *
 * Selection: `nth`, `every`, `times` and `probability` choose *connections* when they are
 * accepted (the n-th connection through the proxy); the window (`from`/`until`, setStep,
 * setActive) then decides, chunk by chunk, when a selected rule acts on it.
 */

import { createServer, connect as netConnect, type Socket } from 'node:net';
import { ConfigError } from '../errors.js';
import type { History } from '../history/events.js';
import { RuleGate } from './gate.js';
import { listenLoopback } from './listen.js';
import { createRng, type Rng } from './random.js';
import { Lane, type LaneContext } from './tcp-lane.js';
import type { Direction, FaultRecord, FaultRule, StreamRule } from './types.js';

export interface TcpProxyOptions {
  /** The target: `"127.0.0.1:1883"` or `{ host, port }`. */
  upstream: string | { host: string; port: number };
  /** Stream rules, resolved by `resolveFaultRules`. Frame rules are refused (use the WebSocket proxy). @default [] */
  rules?: readonly FaultRule[];
  /** Source of every random choice. @default createRng('imspec') */
  rng?: Rng;
  /** Fault events are appended here too; its clock times events and time windows. @default none */
  history?: History;
  /** Called with each fault event as it is recorded. @default none */
  onFault?: (event: FaultRecord) => void;
  /** Listen port; 0 picks a free one. @default 0 */
  port?: number;
}

export interface TcpProxyStats {
  connections: number;
  bytesToServer: number;
  bytesToClient: number;
  faults: number;
}

export interface TcpProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Every fault this proxy injected, in order. */
  readonly events: readonly FaultRecord[];
  readonly stats: Readonly<TcpProxyStats>;
  setStep(index: number): void;
  setActive(ruleId: string, active: boolean | undefined): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const rules = options.rules ?? [];
  const frameRule = rules.find((r) => r.layer !== 'stream');
  if (frameRule) {
    throw new ConfigError(
      `fault rule "${frameRule.id}" (${frameRule.action.type}) acts on RAN/1 frames, but the TCP proxy only sees bytes; run it through startWsProxy or use a stream action (latency, bandwidth, reset, blackhole, slice)`,
    );
  }
  const streamRules = rules as readonly StreamRule[];
  const target = parseUpstream(options.upstream);
  const history = options.history;
  const t0 = performance.now();
  const clock = history ? () => history.now() : () => performance.now() - t0;
  const gate = new RuleGate(rules, clock);
  const rng = options.rng ?? createRng('imspec');
  const events: FaultRecord[] = [];
  const stats: TcpProxyStats = { connections: 0, bytesToServer: 0, bytesToClient: 0, faults: 0 };
  const selection = streamRules.map((rule) => ({
    rule,
    seen: 0,
    chosen: 0,
    limit: rule.times ?? (rule.nth !== undefined ? 1 : Number.POSITIVE_INFINITY),
    // One stream per rule for connection choices: connections are accepted one at a time.
    rng: rng.fork(`rule:${rule.id}/connections`),
  }));
  const sockets = new Set<Socket>();
  const lanes = new Set<Lane>();

  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (client) => {
    const index = ++stats.connections;
    sockets.add(client);
    client.setNoDelay(true);
    const selected: StreamRule[] = [];
    for (const s of selection) {
      s.seen++;
      if (s.rule.nth !== undefined && s.seen !== s.rule.nth) continue;
      if (s.rule.every !== undefined && s.seen % s.rule.every !== 0) continue;
      if (s.chosen >= s.limit) continue;
      if (!s.rng.chance(s.rule.probability)) continue;
      s.chosen++;
      selected.push(s.rule);
    }
    // Half-open is kept: a FIN from one side is passed on, and the other side may still send.
    const upstream = netConnect({ host: target.host, port: target.port, allowHalfOpen: true });
    sockets.add(upstream);
    upstream.setNoDelay(true);
    const streams = new Map<string, Rng>();
    const ctx: LaneContext = {
      gate,
      clock,
      blackholeUntil: new Map(),
      announced: new Set(),
      record(rule, params, direction, frame) {
        const event: FaultRecord = {
          kind: 'fault',
          t: clock(),
          id: events.length + 1,
          rule: rule.id,
          action: rule.action.type,
          layer: 'stream',
          params,
          conn: index,
        };
        if (direction) event.direction = direction;
        if (frame !== undefined) event.frame = frame;
        events.push(event);
        stats.faults++;
        history?.append(event);
        options.onFault?.(event);
      },
      stream(rule, direction) {
        const key = `${rule.id}\u0000${direction}`;
        let s = streams.get(key);
        if (!s) {
          s = rng.fork(`rule:${rule.id}/conn${index}/${direction}`);
          streams.set(key, s);
        }
        return s;
      },
      reset() {
        dispose();
        client.resetAndDestroy();
        upstream.resetAndDestroy();
      },
      countBytes(direction: Direction, n: number) {
        if (direction === 'to-server') stats.bytesToServer += n;
        else stats.bytesToClient += n;
      },
    };
    const toServer = new Lane('to-server', client, upstream, selected, ctx);
    const toClient = new Lane('to-client', upstream, client, selected, ctx);
    lanes.add(toServer);
    lanes.add(toClient);
    const dispose = () => {
      toServer.dispose();
      toClient.dispose();
      lanes.delete(toServer);
      lanes.delete(toClient);
    };
    upstream.once('connect', () => client.resume());
    client.on('data', (d: Buffer) => toServer.onData(d));
    upstream.on('data', (d: Buffer) => toClient.onData(d));
    client.on('end', () => toServer.onEnd());
    upstream.on('end', () => toClient.onEnd());
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
      if (!upstream.destroyed && client.readableEnded === false) {
        dispose();
        upstream.destroy();
      }
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      if (!client.destroyed && upstream.readableEnded === false) {
        dispose();
        client.destroy();
      }
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
      for (const lane of lanes) lane.dispose();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function parseUpstream(upstream: TcpProxyOptions['upstream']): { host: string; port: number } {
  if (typeof upstream !== 'string') return upstream;
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(upstream);
  if (!m)
    throw new ConfigError(
      `TCP proxy upstream ${JSON.stringify(upstream)} is not host:port; pass e.g. 127.0.0.1:1883`,
    );
  return { host: m[1]!, port: Number(m[2]) };
}
