/**
 * A seeded hostile server for fuzzing the kit's own client half: a WebSocket proxy in front of a
 * real RAN/1 server that forwards client frames untouched and, toward the bots, spoils a share of
 * the server's frames — malformed JSON, huge, deeply nested, binary, schema-invalid, reordered —
 * and now and then floods junk frames. The kit must survive all of it (no crash, no hang) and
 * report every detectable anomaly as a finding. hello:A always passes, so sessions start and
 * traffic flows; which frame gets which treatment depends only on the seed and the frame's
 * position on its connection.
 *
 * Used by test/faults/hostile-server.test.ts (a bounded number of frames) and `npm run fuzz`
 * (scripts/fuzz.ts, a million frames and more).
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createRng, type Rng } from './random.js';

/** What the proxy can do to one server frame. `pass` forwards it unchanged. */
export type HostileKind = 'pass' | 'malformed' | 'huge' | 'deep' | 'binary' | 'schema' | 'reorder' | 'flood';

/** Treatments the kit can always see in the frames it receives (reorder may be invisible). */
export const DETECTABLE: ReadonlySet<HostileKind> = new Set([
  'malformed',
  'huge',
  'deep',
  'binary',
  'schema',
  'flood',
]);

export interface HostileOptions {
  /** The real server, ws://host:port. */
  target: string;
  seed: string | number;
  /** Share of server frames spoiled. @default 0.2 */
  rate?: number;
  /** Junk frames per flood. @default 200 */
  floodSize?: number;
  /** Bytes of a huge frame: above a server's usual frame limit, below the client's 100 MiB. @default 1 MiB */
  hugeBytes?: number;
}

export interface HostileStats {
  /** Frames sent toward clients, injected ones included. */
  framesOut: number;
  /** Treatments applied, by kind. */
  byKind: Record<HostileKind, number>;
  /** Detectable treatments so far (DETECTABLE kinds) that reached an open client. */
  detectable: number;
}

export interface HostileServer {
  readonly url: string;
  stats(): HostileStats;
  close(): Promise<void>;
}

const KINDS: readonly Exclude<HostileKind, 'pass'>[] = [
  'malformed',
  'huge',
  'deep',
  'binary',
  'schema',
  'reorder',
  'flood',
];

type Out = { data: string | Buffer; binary: boolean };

/**
 * The frames to send for one server frame `text`, given the kind drawn (pure but for `held`,
 * the frame a `reorder` keeps back until the next one).
 */
export function treat(
  kind: HostileKind,
  text: string,
  rng: Rng,
  options: Required<Pick<HostileOptions, 'floodSize' | 'hugeBytes'>>,
): Out[] {
  const frame = (data: string): Out => ({ data, binary: false });
  switch (kind) {
    case 'pass':
    case 'reorder':
      return [frame(text)];
    case 'malformed':
      return [frame(text.slice(0, Math.max(1, rng.int(text.length))))];
    case 'huge':
      return [frame(`{"type":"msg:N","body":"${'x'.repeat(options.hugeBytes)}"}`), frame(text)];
    case 'deep':
      return [frame(`${'['.repeat(5000 + rng.int(5000))}${']'.repeat(5000)}`), frame(text)];
    case 'binary':
      return [{ data: Buffer.from(text), binary: true }];
    case 'schema':
      return [frame(`${text.slice(0, -1)},"x-hostile":${rng.int(1000)}}`)];
    case 'flood': {
      const junk = Array.from({ length: options.floodSize }, (_, i) =>
        frame(i % 2 ? 'null' : `{"type":"nope:N","n":${i}}`),
      );
      return [...junk, frame(text)];
    }
  }
}

export async function startHostileServer(options: HostileOptions): Promise<HostileServer> {
  const rate = options.rate ?? 0.2;
  const shape = { floodSize: options.floodSize ?? 200, hugeBytes: options.hugeBytes ?? 1024 * 1024 };
  const root = createRng(options.seed);
  const stats: HostileStats = {
    framesOut: 0,
    detectable: 0,
    byKind: { pass: 0, malformed: 0, huge: 0, deep: 0, binary: 0, schema: 0, reorder: 0, flood: 0 },
  };
  const http = createServer();
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: false,
    handleProtocols: (p) => [...p][0] ?? false,
  });
  const sockets = new Set<WebSocket>();
  let connections = 0;
  wss.on('connection', (client, req) => {
    // One stream per connection, by its order of arrival: the same seed spoils the same frames.
    const rng = root.fork(`connection-${connections++}`);
    const upstream = new WebSocket(
      options.target + (req.url ?? '/'),
      client.protocol ? [client.protocol] : [],
      {
        perMessageDeflate: false,
        maxPayload: 0,
      },
    );
    sockets.add(client);
    sockets.add(upstream);
    const early: [WebSocket.RawData, boolean][] = [];
    let held: Out | undefined;
    const send = (out: Out) => {
      if (client.readyState !== WebSocket.OPEN) return;
      stats.framesOut++;
      client.send(out.data, { binary: out.binary });
    };
    upstream.on('open', () => {
      for (const [data, binary] of early.splice(0)) upstream.send(data, { binary });
    });
    client.on('message', (data, binary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else early.push([data, binary]);
    });
    upstream.on('message', (data, binary) => {
      const text = data.toString();
      // hello:A passes: without a session there is no traffic to spoil.
      const kind: HostileKind =
        binary || text.startsWith('{"type":"hello:A"') || !rng.chance(rate)
          ? 'pass'
          : KINDS[rng.int(KINDS.length)]!;
      stats.byKind[kind]++;
      // Counted only when it reaches an open client: a frame spoiled after the bot closed (a
      // case's teardown) never reached the kit, so no case could have reported it.
      if (DETECTABLE.has(kind) && client.readyState === WebSocket.OPEN) stats.detectable++;
      const outs = treat(kind, text, rng, shape);
      if (kind === 'reorder' && held === undefined) {
        held = outs[0];
        return;
      }
      for (const out of outs) send(out);
      if (held) {
        send(held);
        held = undefined;
      }
    });
    const closeBoth = () => {
      if (held) send(held);
      held = undefined;
      client.close();
      upstream.close();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', () => {});
    upstream.on('error', () => client.terminate());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    stats: () => structuredClone(stats),
    async close() {
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
