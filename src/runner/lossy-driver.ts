/**
 * Frame loss between the socket and the bot's app, for the `misbehave` flags loseAccepts,
 * loseReceipts and losePushes: the frame really crossed the wire (the driver recorded it), but the
 * app never sees it — as when a middlebox drops it after the server sent it, or the app dies
 * reading it. Modelling loss here, below the bot and above any driver, keeps it driver-agnostic:
 * the same case loses an MQTT PUBACK as it loses a RAN msg:A.
 *
 * Also implements connect state `server`: the bot keeps its local store but the login carries
 * no lastSeq, so the server's cursor for the device decides (DUR-2, MDEV-1).
 */

import type { ConnectOptions, Driver, DriverSession, Notification } from '../drivers/driver.js';
import { TimeoutError } from '../errors.js';
import type { ActorId, History } from '../history/events.js';

/** Mutable loss budget of one bot; `misbehave` adds to it, each lost frame spends one. */
export interface LossBudget {
  accepts: number;
  receipts: number;
  pushes: number;
  /** Drop lastSeq from the next login only. */
  omitLastSeqOnce: boolean;
}

export function newLossBudget(): LossBudget {
  return { accepts: 0, receipts: 0, pushes: 0, omitLastSeqOnce: false };
}

export function lossyDriver(inner: Driver, budget: LossBudget): Driver {
  return {
    name: inner.name,
    caps: inner.caps,
    ...(inner.openRaw ? { openRaw: inner.openRaw.bind(inner) } : {}),
    async connect(actor: ActorId, options: ConnectOptions, history: History): Promise<DriverSession> {
      let connectOptions = options;
      if (budget.omitLastSeqOnce) {
        budget.omitLastSeqOnce = false;
        const { lastSeq: _dropped, ...rest } = options;
        connectOptions = rest;
      }
      const session = await inner.connect(actor, connectOptions, history);
      return lossySession(session, budget, history);
    },
  };
}

function lossySession(session: DriverSession, budget: LossBudget, history: History): DriverSession {
  const lost = (what: string) =>
    history.append({ kind: 'misbehave', t: history.now(), actor: session.actor, what: `lost ${what}` });
  const passes = (n: Notification): boolean => {
    if (n.type === 'msg:N' && budget.pushes > 0) {
      budget.pushes--;
      lost(`msg:N seq ${n.msg.seq} smid ${n.msg.smid}`);
      return false;
    }
    if (n.type === 'ack:N' && budget.receipts > 0) {
      budget.receipts--;
      lost(`ack:N ${n.status} cmid ${n.cmid}`);
      return false;
    }
    return true;
  };
  // Explicit delegation (not a prototype trick): sessions may keep state in private fields.
  return {
    get actor() {
      return session.actor;
    },
    get info() {
      return session.info;
    },
    get conn() {
      return session.conn;
    },
    get closed() {
      return session.closed;
    },
    send(msg, timeoutMs) {
      const answer = session.send(msg, timeoutMs);
      if (budget.accepts <= 0) return answer;
      budget.accepts--;
      // The msg:A arrives and is recorded, but the app never learns: to it, the request timed out.
      return answer.then((accepted) => {
        lost(`msg:A cmid ${accepted.cmid} smid ${accepted.smid}`);
        throw new TimeoutError(`msg:A for ${msg.cmid} lost (misbehave loseAccepts)`);
      });
    },
    ack: (upTo, timeoutMs) => session.ack(upTo, timeoutMs),
    sync: (req, timeoutMs) => session.sync(req, timeoutMs),
    ping: (timeoutMs) => session.ping(timeoutMs),
    ...(session.sendRaw ? { sendRaw: session.sendRaw.bind(session) } : {}),
    onNotification(listener) {
      return session.onNotification((n) => {
        if (passes(n)) listener(n);
      });
    },
    async *notifications() {
      for await (const n of session.notifications()) if (passes(n)) yield n;
    },
    close: () => session.close(),
    abort: () => session.abort(),
  };
}
