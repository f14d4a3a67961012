/**
 * Real peers for proxy tests: a ws server that records what reaches it and answers each msg:R
 * with a valid msg:A (so both directions carry real RAN/1 frames), and a ws client that records
 * what it receives. Waiting is event-driven: `waitFor` resolves on the message that satisfies it.
 */

import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';

export interface Received {
  text: string;
  binary: boolean;
}

class Recorder {
  readonly received: Received[] = [];
  private waiters: { ok: () => boolean; resolve: () => void }[] = [];

  push(r: Received): void {
    this.received.push(r);
    this.check();
  }

  check(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.ok()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `ok()` holds (checked on every message); rejects after `ms`. */
  until(ok: () => boolean, what: string, ms = 5000): Promise<void> {
    if (ok()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.texts())}`)),
        ms,
      );
      this.waiters.push({
        ok,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  waitFor(n: number, ms = 5000): Promise<void> {
    return this.until(() => this.received.length >= n, `${n} messages`, ms);
  }

  texts(): string[] {
    return this.received.map((r) => r.text);
  }

  frames(): Record<string, unknown>[] {
    return this.texts().map((t) => JSON.parse(t) as Record<string, unknown>);
  }
}

export class UpstreamConn extends Recorder {
  closed: Promise<{ code: number; reason: string }>;
  constructor(
    readonly ws: WebSocket,
    readonly protocol: string,
    /** The request path and query the connection asked for. */
    readonly path: string,
    answer: boolean,
  ) {
    super();
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    // A stock ws server errors on invalid input (e.g. invalid UTF-8) and then closes: the close is what tests look at.
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, binary: boolean) => {
      const text = data.toString('utf8');
      this.push({ text, binary });
      if (!answer || binary) return;
      try {
        const f = JSON.parse(text) as { type?: string; rid?: string; cmid?: string };
        if (f.type === 'msg:R') {
          ws.send(JSON.stringify({ type: 'msg:A', rid: f.rid, cmid: f.cmid, smid: `s-${f.cmid}`, ts: 1 }));
        }
      } catch {
        // not JSON: recorded, not answered
      }
    });
  }
}

export interface Upstream {
  url: string;
  conns: UpstreamConn[];
  /** Resolves with the n-th connection (1-based) once it exists. */
  conn(n: number): Promise<UpstreamConn>;
  close(): Promise<void>;
}

/** A real ws server on 127.0.0.1:0. `answer`: reply msg:A to each msg:R. Selects subprotocol ran.1 when offered. */
export async function startUpstream(options: { answer?: boolean } = {}): Promise<Upstream> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (offered) => (offered.has('ran.1') ? 'ran.1' : false),
  });
  await once(wss, 'listening');
  const conns: UpstreamConn[] = [];
  const waiters: (() => void)[] = [];
  wss.on('connection', (ws, req) => {
    conns.push(new UpstreamConn(ws, ws.protocol, req.url ?? '', options.answer ?? true));
    for (const w of waiters.splice(0)) w();
  });
  const port = (wss.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    conns,
    async conn(n) {
      while (conns.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
      return conns[n - 1]!;
    },
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export class Client extends Recorder {
  closed: Promise<{ code: number; reason: string }>;
  constructor(readonly ws: WebSocket) {
    super();
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data: Buffer, binary: boolean) => this.push({ text: data.toString('utf8'), binary }));
    ws.on('error', () => {});
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  hello(user: string, device = 'phone'): void {
    this.send({ type: 'hello:R', rid: 'h1', user, device, token: 't' });
  }

  msg(n: number, to = 'bob'): void {
    this.send({ type: 'msg:R', rid: `r${n}`, cmid: `c${n}`, to, body: `hello ${n}` });
  }
}

export async function connect(url: string, protocols: string[] = ['ran.1']): Promise<Client> {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
  const client = new Client(ws);
  await once(ws, 'open');
  return client;
}
