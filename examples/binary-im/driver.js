// @ts-check
/**
 * The imspec driver for binary-im (im.proto over TCP): the worked example of docs/drivers.md,
 * "Writing a driver". imspec loads it with `--driver examples/binary-im/driver.js`.
 *
 * The driver maps the driver API onto the protocol — connect = Login, send = Send, ack = Ack,
 * sync = Pull, ping = Heartbeat, pushes and receipts as notifications — and records every frame
 * in both directions through the codec (codec.js), so the history, the fault proxy and passive
 * checks all read binary-im the same way. It needs nothing from imspec at run time but the kit
 * handed to `create`.
 */

import { connect as netConnect } from 'node:net';
import { codec } from './codec.js';
import { encodeFrame, FrameReader } from './wire.js';

/** @typedef {import('../../src/drivers/kit.js').DriverKit} DriverKit */
/** @typedef {import('../../src/drivers/kit.js').ConnectionLog} ConnectionLog */
/** @typedef {import('../../src/drivers/driver.js').Driver} Driver */
/** @typedef {import('../../src/drivers/driver.js').DriverSession} DriverSession */
/** @typedef {import('../../src/drivers/driver.js').ConnectOptions} ConnectOptions */
/** @typedef {import('../../src/drivers/driver.js').CloseInfo} CloseInfo */
/** @typedef {import('../../src/drivers/driver.js').Notification} Notification */
/** @typedef {import('../../src/drivers/driver.js').SessionInfo} SessionInfo */
/** @typedef {import('../../src/drivers/module.js').DriverModule} DriverModule */
/** @typedef {import('../../src/protocol/frames.js').Cap} Cap */

/** What binary-im can carry; a session claims those the server's LoginOk lists as features. */
const CAPS = /** @type {Cap[]} */ ([
  'dedup',
  'contiguous-seq',
  'standin-receipt',
  'delivered-receipt',
  'cumulative-ack',
  'paged-sync',
  'multi-device',
]);
const DEFAULT_TIMEOUT_MS = 5000;
/** How long close() waits for the server to close its side before dropping the socket. */
const CLOSE_GRACE_MS = 2000;

/** @implements {Driver} */
class BinaryImDriver {
  name = 'binary-im';
  caps = CAPS;

  /** @param {string} target `tcp://host:port` @param {DriverKit} kit */
  constructor(target, kit) {
    this.kit = kit;
    this.target = target;
    const url = URL.canParse(target) ? new URL(target) : undefined;
    if (url?.protocol !== 'tcp:' || !url.port) {
      throw new kit.errors.ConfigError(`binary-im target ${target} must be tcp://host:port`);
    }
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port);
  }

  /** @param {string} actor @param {ConnectOptions} options @param {import('../../src/history/events.js').History} history */
  async connect(actor, options, history) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = await this.open(timeoutMs);
    const session = new Session(socket, this.kit.connection(history, actor), this.kit, this.target);
    try {
      await session.login(options, timeoutMs, this.caps);
    } catch (error) {
      session.abort();
      await session.closed;
      throw error;
    }
    return session;
  }

  /** @param {number} timeoutMs @returns {Promise<import('node:net').Socket>} */
  open(timeoutMs) {
    const { errors } = this.kit;
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: this.host, port: this.port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new errors.TimeoutError(`no TCP connection to ${this.target} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        socket.setNoDelay(true);
        resolve(socket);
      });
      const onError = (/** @type {Error} */ cause) => {
        clearTimeout(timer);
        const message = `cannot connect to ${this.target}: ${cause.message}. Is the server running?`;
        reject(new errors.TargetUnreachableError(message, { cause }));
      };
      socket.once('error', onError);
    });
  }
}

/**
 * One logged-in connection. Requests carry req_id 1, 2, … and wait for the answer that echoes it.
 * @implements {DriverSession}
 */
class Session {
  /** @type {SessionInfo | undefined} */
  #info;
  /** @type {Map<number, { expect: string, what: string, timer: NodeJS.Timeout, resolve: (f: Record<string, any>) => void, reject: (e: Error) => void }>} */
  #waiting = new Map();
  #nextReq = 0;
  /** @type {CloseInfo['initiator'] | undefined} */
  #initiator;
  #reader = new FrameReader();
  /** @type {CloseInfo | undefined} */
  #closedWith;

  /**
   * @param {import('node:net').Socket} socket
   * @param {ConnectionLog} log
   * @param {DriverKit} kit
   * @param {string} url
   */
  constructor(socket, log, kit, url) {
    this.socket = socket;
    this.log = log;
    this.kit = kit;
    this.url = url;
    this.actor = log.actor;
    this.conn = log.conn;
    /** @type {import('../../src/drivers/notification-hub.js').NotificationHub<Notification>} */
    this.hub = new kit.NotificationHub();
    let hadError = false;
    socket.on('data', (chunk) => this.#onData(chunk));
    socket.on('error', () => {
      hadError = true;
    });
    /** @type {Promise<CloseInfo>} */
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        const initiator = this.#initiator ?? (hadError ? 'network' : 'server');
        const info = { code: undefined, reason: hadError ? 'connection reset' : '', initiator };
        this.#closedWith = info;
        log.close(info);
        for (const w of this.#waiting.values()) {
          clearTimeout(w.timer);
          w.reject(this.#closedError(w.what));
        }
        this.#waiting.clear();
        this.hub.end();
        resolve(info);
      });
    });
  }

  get info() {
    if (!this.#info) throw new this.kit.errors.ConnectionClosedError(`${this.actor} has not logged in`);
    return this.#info;
  }

  /** @param {ConnectOptions} options @param {number} timeoutMs @param {readonly Cap[]} driverCaps */
  async login(options, timeoutMs, driverCaps) {
    const { lastSeq } = options;
    const login = { user: options.user, device: options.device, token: options.token };
    const frame = lastSeq === undefined ? login : { ...login, lastSeq, hasLastSeq: true };
    let a;
    try {
      a = await this.#request({ login: frame }, 'hello:A', `Login of ${this.actor}`, timeoutMs);
    } catch (error) {
      if (error instanceof this.kit.errors.ServerRejectedError && error.wireCode === 'auth-failed') {
        throw new this.kit.errors.AuthError(`${this.url} refused the token of ${options.user}`, {
          cause: error,
        });
      }
      throw error;
    }
    /** @type {SessionInfo} */
    const info = {
      user: options.user,
      device: options.device,
      maxSeq: a.maxSeq,
      pending: a.pending,
      caps: driverCaps.filter((c) => a.caps.includes(c)),
      limits: undefined,
    };
    this.#info = info;
    this.log.session(info, lastSeq);
    return info;
  }

  /** @param {{ cmid: string, to: string, body: string }} msg @param {number} [timeoutMs] */
  async send(msg, timeoutMs) {
    const send = { clientMsgId: msg.cmid, to: msg.to, content: Buffer.from(msg.body, 'utf8') };
    const a = await this.#request({ send }, 'msg:A', `Send ${msg.cmid}`, timeoutMs);
    return { cmid: a.cmid, smid: a.smid, ts: a.ts, dup: a.dup === true };
  }

  /** @param {number} upTo @param {number} [timeoutMs] */
  async ack(upTo, timeoutMs) {
    const a = await this.#request({ ack: { upToSeq: upTo } }, 'ack:A', `Ack ${upTo}`, timeoutMs);
    return a.upTo;
  }

  /** @param {import('../../src/drivers/driver.js').SyncRequest} req @param {number} [timeoutMs] */
  async sync(req, timeoutMs) {
    if (req.after === undefined) {
      throw new this.kit.errors.UnsupportedError(
        'binary-im pulls forward only (Pull.after_seq): no backward paging',
      );
    }
    const pull = { afterSeq: req.after, limit: req.limit, ackUpTo: req.ackUpTo ?? 0 };
    const a = await this.#request({ pull }, 'sync:A', `Pull after ${req.after}`, timeoutMs);
    return { msgs: a.msgs, more: a.more, maxSeq: a.maxSeq };
  }

  /** @param {number} [timeoutMs] */
  async ping(timeoutMs) {
    const start = performance.now();
    await this.#request({ heartbeat: {} }, 'ping:A', 'Heartbeat', timeoutMs);
    return performance.now() - start;
  }

  notifications() {
    return this.hub.iterate();
  }

  /** @param {(n: Notification) => void} listener */
  onNotification(listener) {
    return this.hub.on(listener);
  }

  /** Half-closes (FIN) and waits for the server to close its side. */
  async close() {
    this.#initiator ??= 'client';
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(timer);
  }

  /** A crash as the server sees it: the connection is reset, nothing more is said. */
  abort() {
    this.#initiator ??= 'crash';
    this.socket.resetAndDestroy();
  }

  /**
   * Sends one request, recorded first, and waits for the answer echoing its req_id.
   * @param {Record<string, unknown>} body @param {string} expect @param {string} what @param {number} [timeoutMs]
   * @returns {Promise<Record<string, any>>}
   */
  #request(body, expect, what, timeoutMs = DEFAULT_TIMEOUT_MS) {
    const reqId = ++this.#nextReq;
    const bytes = encodeFrame({ reqId, ...body });
    this.log.frame('out', codec.decode(bytes, 'to-server', true));
    if (this.#closedWith || !this.socket.writable) return Promise.reject(this.#closedError(what));
    this.socket.write(bytes);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(reqId);
        reject(
          new this.kit.errors.TimeoutError(`no answer to ${what} (req ${reqId}) within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiting.set(reqId, { expect, what, timer, resolve, reject });
    });
  }

  /** Every frame is recorded before anything acts on it. @param {Buffer} chunk */
  #onData(chunk) {
    let frames;
    try {
      frames = this.#reader.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const bytes of frames) {
      const decoded = codec.decode(bytes, 'to-client', true);
      const event = this.log.frame('in', decoded);
      const f = decoded.fields;
      if (decoded.type === 'msg:N') {
        const msg = /** @type {any} */ (f);
        this.hub.push({ type: 'msg:N', msg, attempt: undefined, t: event.t });
      } else if (decoded.type === 'ack:N') {
        const { cmid, smid, to, status } = /** @type {any} */ (f);
        this.hub.push({ type: 'ack:N', cmid, smid, to, status, t: event.t });
      } else if (typeof f.rid === 'string') {
        this.#settle(Number(f.rid), decoded.type, f);
      }
    }
  }

  /** @param {number} reqId @param {string | undefined} type @param {Record<string, any>} f */
  #settle(reqId, type, f) {
    const w = this.#waiting.get(reqId);
    if (!w) return;
    this.#waiting.delete(reqId);
    clearTimeout(w.timer);
    const { errors } = this.kit;
    if (type === 'error:A')
      w.reject(new errors.ServerRejectedError(`server refused ${w.what}: ${f.code}: ${f.message}`, f.code));
    else if (type !== w.expect)
      w.reject(new errors.ProtocolError(`${w.what} answered with ${type}`, 'bad-frame'));
    else w.resolve(f);
  }

  /** @param {string} what */
  #closedError(what) {
    return new this.kit.errors.ConnectionClosedError(`the connection closed before the answer to ${what}`);
  }
}

/** @type {DriverModule} */
export default {
  apiVersion: 1,
  name: 'binary-im',
  create: (options, kit) => new BinaryImDriver(options.target, kit),
  codec,
};
