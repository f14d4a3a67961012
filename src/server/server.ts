/**
 * Wires the reference server together: HTTP server + WebSocket upgrade, storage, commit queue,
 * sessions; and graceful shutdown (SHUT-1).
 */

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { ConfigError } from '../errors.js';
import { CloseCode } from '../protocol/frames.js';
import { createAuthenticator } from './auth.js';
import { CommitQueue, type CommitStats } from './commit-queue.js';
import type { ConnectedDevice, ServerContext } from './context.js';
import { CursorBook } from './cursors.js';
import { ACK_BEFORE_COMMIT_DELAY_MS, FaultSet, SHORT_DEDUP_WINDOW_MS } from './faults.js';
import { type ResolvedServerOptions, resolveServerOptions, type ServerOptions } from './options.js';
import { Receipts } from './receipts.js';
import { SessionRegistry } from './registry.js';
import { Session } from './session.js';
import { Store } from './store.js';

/** The subprotocol a RAN/1 client offers; the server selects it when offered. */
export const SUBPROTOCOL = 'ran.1';

/** After close frames are sent, wait this long for clients to answer before dropping them. */
const CLOSE_GRACE_MS = 2_000;
/** How often expired dedup entries are deleted. */
const DEDUP_PRUNE_EVERY_MS = 10 * 60_000;
/** listen() backlog; the kernel caps it at net.core.somaxconn (4096 on Debian). */
const ACCEPT_BACKLOG = 4096;

export interface ServerStats {
  /** Open WebSocket connections. */
  connections: number;
  /** Authenticated sessions (connected devices). */
  sessions: number;
  commits: CommitStats;
}

export interface RunningServer {
  /** `ws://HOST:PORT` with the actual port. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The SQLite file in use. */
  readonly dbPath: string;
  readonly options: ResolvedServerOptions;
  /**
   * Graceful shutdown (SHUT-1): stop accepting, commit and answer what is pending, close every
   * connection with 1001, close the database. Idempotent.
   */
  close(): Promise<void>;
  stats(): ServerStats;
}

function newSmidSource(faults: FaultSet): () => string {
  if (faults.has('smid-restart')) {
    // smid-restart: a counter with no boot identity, as an in-memory sequence would be.
    let k = 0;
    return () => `m${(++k).toString(36)}`;
  }
  // Boot time + random: unique across restarts on the same file (MSG-2) without a DB round trip.
  const boot = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  let n = 0;
  return () => `${boot}-${(n++).toString(36)}`;
}

function formatUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Starts the RAN/1 reference server; resolves once it listens. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const asked = resolveServerOptions(options);
  const faults = new FaultSet(asked.faults);
  // short-dedup-window: the window itself is short, and hello:A (ctx.limits) says so.
  const resolved: ResolvedServerOptions = faults.has('short-dedup-window')
    ? { ...asked, limits: Object.freeze({ ...asked.limits, dedupWindowMs: SHORT_DEDUP_WINDOW_MS }) }
    : asked;
  const log = resolved.log ?? (() => {});
  const store = new Store(resolved.db, {
    uniqueSeq: !faults.has('seq-reuse') && !faults.has('seq-race'),
    replaceOnSmid: faults.has('smid-restart'),
    dedupWindowMs: resolved.limits.dedupWindowMs,
  });
  const queue = new CommitQueue(store, {
    grouped: resolved.groupCommit,
    deferMs: faults.has('ack-before-commit') ? ACK_BEFORE_COMMIT_DELAY_MS : 0,
    onError: (error, where) => log(`commit ${where} failed: ${error.message}`),
  });
  const registry = new SessionRegistry<ConnectedDevice>();
  const ctx: ServerContext = {
    limits: resolved.limits,
    faults,
    store,
    queue,
    cursors: new CursorBook(store, {
      perDevice: !faults.has('shared-cursor'),
      durable: !faults.has('cursor-not-durable'),
    }),
    registry,
    receipts: new Receipts(registry, faults),
    authenticate: createAuthenticator(resolved.auth, faults.has('no-auth')),
    newSmid: newSmidSource(faults),
    log,
  };

  const sessions = new Set<Session>();
  let closing: Promise<void> | undefined;
  let stopping = false;
  const hooks = {
    shuttingDown: () => stopping,
    onClosed: (s: Session) => sessions.delete(s),
  };

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // FRAME-5: ws closes with 1009 above this, before buffering the whole message.
    maxPayload: resolved.limits.maxFrameBytes,
    // FRAME-2 wants error:A bad-json for invalid UTF-8, not ws's 1007 close: decode checks it.
    skipUTF8Validation: true,
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  const http = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end(`imspec reference server: connect with WebSocket (subprotocol ${SUBPROTOCOL}).\n`);
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (stopping) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {});
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (stopping) {
        ws.close(CloseCode.goingAway, 'server shutting down');
        return;
      }
      // An http server's upgraded connection is its net.Socket.
      sessions.add(new Session(ws, ctx, hooks, socket as Socket));
    });
  });

  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      // A deep accept queue: a load run opens thousands of connections a second, and SYNs past
      // Node's default backlog (511) are dropped and retried a second or more later.
      http.listen({ port: resolved.port, host: resolved.host, backlog: ACCEPT_BACKLOG }, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (cause) {
    store.close();
    const err = cause as NodeJS.ErrnoException;
    throw new ConfigError(
      `cannot listen on ${resolved.host}:${resolved.port}: ${err.code ?? err.message}` +
        (err.code === 'EADDRINUSE'
          ? ' (the port is taken: pick another with --port, or 0 for any free port)'
          : ''),
      { cause },
    );
  }
  http.on('error', (error) => log(`http server error: ${error.message}`));
  const address = http.address();
  const port = typeof address === 'object' && address !== null ? address.port : resolved.port;

  // Memory only (the dedup index is rebuilt from the log at start-up): no transaction needed.
  const prune = () => store.pruneDedup(Date.now() - resolved.limits.dedupWindowMs);
  prune();
  const pruneTimer = setInterval(prune, DEDUP_PRUNE_EVERY_MS);
  pruneTimer.unref();

  async function shutdown(): Promise<void> {
    stopping = true;
    clearInterval(pruneTimer);
    const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
    // Finish pending commits: their answers go out before the close frames (SHUT-1).
    queue.flush();
    const open = [...sessions];
    for (const s of open) s.close(CloseCode.goingAway, 'server shutting down');
    const grace = setTimeout(() => {
      for (const s of sessions) s.terminate();
    }, CLOSE_GRACE_MS);
    await Promise.all(open.map((s) => s.closed));
    clearTimeout(grace);
    http.closeAllConnections();
    await stopped;
    wss.close();
    store.close();
    // A database the server chose itself (no --db) is nobody else's to reopen: leave no file behind.
    if (resolved.dbGenerated) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${resolved.db}${suffix}`, { force: true });
    }
  }

  return {
    url: formatUrl(resolved.host, port),
    host: resolved.host,
    port,
    dbPath: resolved.db,
    options: resolved,
    close() {
      closing ??= shutdown();
      return closing;
    },
    stats: () => ({ connections: sessions.size, sessions: registry.size, commits: queue.snapshot() }),
  };
}
