#!/usr/bin/env node
// @ts-check
/**
 * binary-im: a small IM server in the style of many in-house designs — length-prefixed protobuf
 * over TCP (im.proto), per-user inbox seqs, cumulative acks per device, an offline store read back
 * with paged pulls, stand-in and delivered receipts. It is imspec's worked example of a server
 * that does not speak RAN/1 (README.md beside it).
 *
 * Durability: messages (with their dedup key, sender + client_msg_id), inbox seqs, ack cursors
 * and delivered flags are committed to SQLite (WAL) before the answer that claims them, so a
 * kill -9 of the server loses nothing it answered. What the design lacks, imspec finds and
 * expected-failures.json lists: no "going away" frame on shutdown (the connection just closes),
 * no re-push of unacked messages (the client pulls), no backward paging.
 *
 *   node examples/binary-im/server.js --port 7500 --db /tmp/bim.db --hmac-secret s3cret
 */

import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { decodeFrame, ERROR_CODES, encodeFrame, FrameReader } from './wire.js';

/** @typedef {import('node:net').Socket} Socket */
/** @typedef {import('./wire.js').WireFrame} WireFrame */
/**
 * @typedef {{ socket: Socket, user?: string, device?: string, live: boolean, closed: boolean }} Conn
 */

export const FEATURES = [
  'dedup',
  'contiguous-seq',
  'standin-receipt',
  'delivered-receipt',
  'cumulative-ack',
  'paged-sync',
  'multi-device',
];
const MAX_CONTENT_BYTES = 64 * 1024;
const MAX_PULL = 200;

/**
 * Starts the server. Resolves when it listens; `close()` stops it gracefully.
 * @param {{ port?: number, host?: string, db: string, secret: string }} options
 */
export async function startServer(options) {
  const db = openStore(options.db);
  /** user → its connected, logged-in connections. */
  const online = new Map();
  /** @type {Set<Conn>} */
  const conns = new Set();

  /** @param {Conn} c @param {WireFrame} frame */
  const send = (c, frame) => {
    if (!c.closed && c.socket.writable) c.socket.write(encodeFrame(frame));
  };
  /** @param {Conn} c @param {number} reqId @param {(typeof ERROR_CODES)[number]} code @param {string} reason */
  const fail = (c, reqId, code, reason) => send(c, { reqId, error: { code, reason } });
  /** @param {string} user @returns {Conn[]} */
  const devicesOf = (user) => [...(online.get(user)?.values() ?? [])];

  /** A receipt to every connected device of the sender. @param {any} m @param {'STORED' | 'DELIVERED'} status */
  const receipt = (m, status) => {
    const frame = receiptFrame(m, status);
    for (const c of devicesOf(m.sender)) send(c, frame);
  };

  /**
   * Moves a device's cursor up to `upTo` (never back), durably, and sends delivered receipts for
   * the messages it is the first to cover. Returns the cursor, or undefined for an upTo above maxSeq.
   * @param {string} user @param {string} device @param {number} upTo
   */
  const ack = (user, device, upTo) => {
    if (upTo > db.maxSeq(user)) return undefined;
    const newly = db.ack(user, device, upTo);
    for (const m of newly) receipt(m, 'DELIVERED');
    return db.cursor(user, device) ?? 0;
  };

  /** @param {Conn} c @param {WireFrame} f */
  const handle = (c, f) => {
    const reqId = f.reqId ?? 0;
    if (f.body === 'heartbeat') return send(c, { reqId, heartbeatOk: { serverTime: Date.now() } });
    if (f.body === 'login') return login(c, reqId, f.login);
    if (!c.user || !c.device) return fail(c, reqId, 'NOT_LOGGED_IN', 'log in first');
    const { user, device } = c;
    switch (f.body) {
      case 'send':
        return accept(c, reqId, f.send);
      case 'ack': {
        const cursor = ack(user, device, f.ack.upToSeq ?? 0);
        if (cursor === undefined) return fail(c, reqId, 'BAD_ACK', 'up_to_seq is above the inbox');
        return send(c, { reqId, ackOk: { upToSeq: cursor } });
      }
      case 'pull': {
        const p = f.pull;
        if (p.ackUpTo && ack(user, device, p.ackUpTo) === undefined) {
          return fail(c, reqId, 'BAD_ACK', 'ack_up_to is above the inbox');
        }
        const limit = Math.min(Math.max(p.limit ?? 0, 1), MAX_PULL);
        const rows = db.page(user, p.afterSeq ?? 0, limit + 1);
        const hasMore = rows.length > limit;
        const messages = rows.slice(0, limit).map(pushOf);
        // Caught up: from now on the device is sent new messages as they arrive.
        if (!hasMore) c.live = true;
        return send(c, { reqId, pullResult: { messages, hasMore, maxSeq: db.maxSeq(user) } });
      }
      default:
        return fail(c, reqId, 'BAD_FRAME', `unexpected ${f.body ?? 'empty frame'}`);
    }
  };

  /** @param {Conn} c @param {number} reqId @param {any} l */
  const login = (c, reqId, l) => {
    if (c.user) return fail(c, reqId, 'ALREADY_LOGGED_IN', 'already logged in');
    const user = l.user ?? '';
    const device = l.device ?? '';
    if (!user || !device || !tokenOk(options.secret, user, l.token ?? '')) {
      fail(c, reqId, 'AUTH_FAILED', 'bad credentials');
      c.socket.end();
      return;
    }
    // One session per device: the older connection is closed.
    const devices = online.get(user) ?? new Map();
    const old = devices.get(device);
    if (old) drop(old);
    const maxSeq = db.maxSeq(user);
    let base = db.cursor(user, device);
    if (l.hasLastSeq) {
      // The client has committed up to last_seq: that is an ack. The device is known from now on.
      const lastSeq = Math.min(l.lastSeq ?? 0, maxSeq);
      if (base === undefined) db.start(user, device, 0);
      if (lastSeq > (base ?? 0)) ack(user, device, lastSeq);
      base = l.lastSeq ?? 0;
    } else if (base === undefined) {
      // A new device with no local state starts at the newest message, not at the history
      // (which it has not acked: no receipts).
      db.start(user, device, maxSeq);
      base = maxSeq;
    }
    const pending = Math.max(0, maxSeq - (base ?? 0));
    c.user = user;
    c.device = device;
    c.live = pending === 0;
    devices.set(device, c);
    online.set(user, devices);
    send(c, { reqId, loginOk: { maxSeq, pending, features: FEATURES, serverTime: Date.now() } });
  };

  /** @param {Conn} c @param {number} reqId @param {any} s */
  const accept = (c, reqId, s) => {
    const sender = /** @type {string} */ (c.user);
    const cmid = s.clientMsgId ?? '';
    const content = s.content ?? Buffer.alloc(0);
    if (!cmid || !s.to) return fail(c, reqId, 'BAD_FRAME', 'client_msg_id and to are required');
    if (content.length > MAX_CONTENT_BYTES) return fail(c, reqId, 'TOO_LARGE', 'content above 64 KiB');
    const known = db.find(sender, cmid);
    if (known) {
      send(c, {
        reqId,
        sendAck: { clientMsgId: cmid, msgId: known.msg_id, serverTime: known.server_time, duplicate: true },
      });
      // The sender retransmits because it lacks a receipt: send the one that is known again.
      if (known.delivered) send(c, receiptFrame(known, 'DELIVERED'));
      else if (devicesOf(known.recipient).length === 0) send(c, receiptFrame(known, 'STORED'));
      return;
    }
    const m = db.store(sender, cmid, s.to, content);
    send(c, { reqId, sendAck: { clientMsgId: cmid, msgId: m.msg_id, serverTime: m.server_time } });
    const receivers = devicesOf(m.recipient);
    if (receivers.length === 0) {
      send(c, receiptFrame(m, 'STORED'));
      return;
    }
    for (const r of receivers) if (r.live) send(r, { push: pushOf(m) });
  };

  /** @param {Conn} c */
  const drop = (c) => {
    if (c.user && c.device && online.get(c.user)?.get(c.device) === c) online.get(c.user).delete(c.device);
    c.closed = true;
    c.socket.end();
  };

  const server = createServer((socket) => {
    socket.setNoDelay(true);
    /** @type {Conn} */
    const c = { socket, live: false, closed: false };
    conns.add(c);
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      let frames;
      try {
        frames = reader.push(chunk);
      } catch (error) {
        fail(c, 0, 'TOO_LARGE', /** @type {Error} */ (error).message);
        drop(c);
        return;
      }
      for (const bytes of frames) {
        /** @type {WireFrame} */
        let f;
        try {
          f = decodeFrame(bytes);
        } catch {
          fail(c, 0, 'BAD_FRAME', 'not a Frame');
          continue;
        }
        try {
          handle(c, f);
        } catch (error) {
          fail(c, f.reqId ?? 0, 'INTERNAL', String(/** @type {Error} */ (error).message));
        }
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!c.closed) drop(c);
      conns.delete(c);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `tcp://${address.address}:${address.port}`,
    port: address.port,
    /** Stops accepting, ends every connection, closes the store. */
    async close() {
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      for (const c of conns) drop(c);
      for (const c of conns) c.socket.destroySoon();
      await closed;
      db.close();
    },
  };
}

/** @param {any} m A message row. @param {'STORED' | 'DELIVERED'} status */
function receiptFrame(m, status) {
  return {
    receipt: {
      clientMsgId: m.client_msg_id,
      msgId: m.msg_id,
      to: m.recipient,
      status,
      serverTime: Date.now(),
    },
  };
}

/** @param {any} m A message row, as a Push. */
function pushOf(m) {
  return {
    msgId: m.msg_id,
    clientMsgId: m.client_msg_id,
    from: m.sender,
    to: m.recipient,
    content: m.content,
    seq: m.seq,
    serverTime: m.server_time,
  };
}

/** @param {string} secret @param {string} user @param {string} token */
function tokenOk(secret, user, token) {
  const want = Buffer.from(createHmac('sha256', secret).update(user, 'utf8').digest('hex'));
  const got = Buffer.from(token);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The SQLite store: every change is one transaction, committed before it is answered. */
function openStore(/** @type {string} */ file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL with synchronous NORMAL: a commit is in the WAL file (the OS's page cache) before it
  // returns, which survives the server process being killed; only a power loss can take the
  // last commits. That is the crash this example claims to survive (kill -9), at a fraction of
  // the cost of an fsync per message.
  db.pragma('synchronous = NORMAL');
  db.exec(`
    CREATE TABLE IF NOT EXISTS messages (
      msg_id INTEGER PRIMARY KEY AUTOINCREMENT,
      sender TEXT NOT NULL, client_msg_id TEXT NOT NULL, recipient TEXT NOT NULL,
      seq INTEGER NOT NULL, content BLOB NOT NULL, server_time INTEGER NOT NULL,
      delivered INTEGER NOT NULL DEFAULT 0,
      UNIQUE (recipient, seq),
      UNIQUE (sender, client_msg_id));
    CREATE TABLE IF NOT EXISTS inboxes (user TEXT PRIMARY KEY, max_seq INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS cursors (
      user TEXT NOT NULL, device TEXT NOT NULL, acked INTEGER NOT NULL, PRIMARY KEY (user, device));
  `);
  const q = {
    maxSeq: db.prepare('SELECT max_seq FROM inboxes WHERE user = ?').pluck(),
    bump: db
      .prepare(
        'INSERT INTO inboxes (user, max_seq) VALUES (?, 1) ON CONFLICT (user) DO UPDATE SET max_seq = max_seq + 1 RETURNING max_seq',
      )
      .pluck(),
    insert: db.prepare(
      'INSERT INTO messages (sender, client_msg_id, recipient, seq, content, server_time) VALUES (?, ?, ?, ?, ?, ?) RETURNING *',
    ),
    find: db.prepare('SELECT * FROM messages WHERE sender = ? AND client_msg_id = ?'),
    page: db.prepare('SELECT * FROM messages WHERE recipient = ? AND seq > ? ORDER BY seq LIMIT ?'),
    cursor: db.prepare('SELECT acked FROM cursors WHERE user = ? AND device = ?').pluck(),
    setCursor: db.prepare(
      'INSERT INTO cursors (user, device, acked) VALUES (?, ?, ?) ON CONFLICT (user, device) DO UPDATE SET acked = excluded.acked',
    ),
    undelivered: db.prepare(
      'SELECT * FROM messages WHERE recipient = ? AND seq > ? AND seq <= ? AND delivered = 0 ORDER BY seq',
    ),
    deliver: db.prepare('UPDATE messages SET delivered = 1 WHERE msg_id = ?'),
  };
  const store = db.transaction((sender, cmid, to, content) => {
    const seq = q.bump.get(to);
    return q.insert.get(sender, cmid, to, seq, content, Date.now());
  });
  // Moves the cursor and marks the messages it newly covers delivered; returns those.
  const ack = db.transaction(
    (/** @type {string} */ user, /** @type {string} */ device, /** @type {number} */ upTo) => {
      const stored = /** @type {number | undefined} */ (q.cursor.get(user, device));
      const cursor = stored ?? 0;
      if (stored !== undefined && upTo <= cursor) return [];
      q.setCursor.run(user, device, Math.max(cursor, upTo));
      const rows = /** @type {any[]} */ (q.undelivered.all(user, cursor, upTo));
      for (const m of rows) q.deliver.run(m.msg_id);
      return rows;
    },
  );
  return {
    maxSeq: (/** @type {string} */ user) => /** @type {number | undefined} */ (q.maxSeq.get(user)) ?? 0,
    cursor: (/** @type {string} */ user, /** @type {string} */ device) =>
      /** @type {number | undefined} */ (q.cursor.get(user, device)),
    store: (
      /** @type {string} */ s,
      /** @type {string} */ c,
      /** @type {string} */ t,
      /** @type {Buffer} */ b,
    ) => /** @type {any} */ (store(s, c, t, b)),
    ack: (/** @type {string} */ user, /** @type {string} */ device, /** @type {number} */ upTo) =>
      /** @type {any[]} */ (ack(user, device, upTo)),
    start: (/** @type {string} */ user, /** @type {string} */ device, /** @type {number} */ seq) =>
      q.setCursor.run(user, device, seq),
    find: (/** @type {string} */ sender, /** @type {string} */ cmid) =>
      /** @type {any} */ (q.find.get(sender, cmid)),
    page: (/** @type {string} */ user, /** @type {number} */ after, /** @type {number} */ limit) =>
      /** @type {any[]} */ (q.page.all(user, after, limit)),
    close: () => db.close(),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '7500' },
      host: { type: 'string', default: '127.0.0.1' },
      db: { type: 'string' },
      'hmac-secret': { type: 'string' },
    },
  });
  const secret = values['hmac-secret'] ?? process.env.IMSPEC_HMAC_SECRET;
  if (!values.db || !secret) {
    process.stderr.write(
      'usage: server.js --db FILE --hmac-secret SECRET [--port 7500] [--host 127.0.0.1]\n',
    );
    process.exit(2);
  }
  const server = await startServer({ port: Number(values.port), host: values.host, db: values.db, secret });
  process.stdout.write(`binary-im: listening on ${server.url}\n`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
