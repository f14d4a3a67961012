/**
 * The driver contract can fail on every duty: the ran driver, broken on purpose one way at a
 * time (a wrapper that bends what it returns or what it records), fails the contract with
 * exactly that duty named — while the unbroken driver passes every case.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ContractTarget, type Duty, runDriverContract } from '../../src/contract/index.js';
import type { Driver, DriverSession, Notification } from '../../src/drivers/driver.js';
import { createDriver } from '../../src/drivers/index.js';
import type { History, HistoryEvent } from '../../src/history/events.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { type RunningServer, startServer } from '../../src/server/index.js';

const SECRET = 'contract-duties';
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'imspec-duties-'));
  server = await startServer({ port: 0, db: join(dir, 'server.db'), hmacSecret: SECRET });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** How a defect bends the driver: what its sessions return, and what reaches the history. */
interface Defect {
  session?: (s: DriverSession) => Partial<DriverSession>;
  record?: (e: HistoryEvent) => HistoryEvent[];
}

/** The ran driver with one defect. */
function broken(defect: Defect): Driver {
  const inner = createDriver('ran', { target: server.url });
  const wrappers = new WeakMap<History, History>();
  const recorded = (history: History): History => {
    if (!defect.record) return history;
    let w = wrappers.get(history);
    if (!w) {
      w = Object.create(history) as History;
      w.append = (e: HistoryEvent) => {
        for (const out of defect.record!(e)) history.append(out);
      };
      wrappers.set(history, w);
    }
    return w;
  };
  return {
    name: 'broken-ran',
    caps: inner.caps,
    async connect(actor, options, history) {
      const s = await inner.connect(actor, options, recorded(history));
      if (!defect.session) return s;
      const over = defect.session(s);
      return new Proxy(s, {
        get(target, key) {
          if (key in over) return over[key as keyof DriverSession];
          const value = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}

let users = 0;
function setupWith(driver: Driver) {
  return async (): Promise<ContractTarget> => {
    const u = { alice: `u${++users}-alice`, bob: `u${users}-bob` };
    return {
      driver,
      users: u,
      tokens: { alice: hmacToken(SECRET, u.alice), bob: hmacToken(SECRET, u.bob) },
      teardown: async () => {},
    };
  };
}

const rewrite = (type: string, f: (fields: Record<string, unknown>) => Record<string, unknown>) => {
  return (e: HistoryEvent): HistoryEvent[] =>
    e.kind === 'frame' && e.type === type ? [{ ...e, fields: f({ ...e.fields }) }] : [e];
};
const without = (key: string) => (fields: Record<string, unknown>) => {
  delete fields[key];
  return fields;
};
const mapPushes = (s: DriverSession, f: (n: Notification) => Notification) => ({
  onNotification: (listener: (n: Notification) => void) => s.onNotification((n) => listener(f(n))),
});

const defects: [string, Duty, string, Defect][] = [
  ['reports a negative maxSeq', 'login', 'login', { session: (s) => ({ info: { ...s.info, maxSeq: -1 } }) }],
  [
    'answers every send dup: false',
    'send',
    'dedup',
    { session: (s) => ({ send: async (m, t) => ({ ...(await s.send(m, t)), dup: false }) }) },
  ],
  [
    'hands pushes on with the wrong sender',
    'push',
    'send-push-ack',
    {
      session: (s) =>
        mapPushes(s, (n) => (n.type === 'msg:N' ? { ...n, msg: { ...n.msg, from: 'mallory' } } : n)),
    },
  ],
  [
    'resolves ack() one past the cursor',
    'ack',
    'send-push-ack',
    { session: (s) => ({ ack: async (upTo, t) => (await s.ack(upTo, t)) + 1 }) },
  ],
  [
    'skips the first message of every sync page',
    'sync',
    'paged-sync',
    {
      session: (s) => ({
        sync: async (r, t) => ({ ...(await s.sync(r, t)), msgs: (await s.sync(r, t)).msgs.slice(1) }),
      }),
    },
  ],
  [
    'hands receipts on with the wrong smid',
    'receipts',
    'standin-receipt',
    { session: (s) => mapPushes(s, (n) => (n.type === 'ack:N' ? { ...n, smid: `${n.smid}x` } : n)) },
  ],
  [
    'says the server closed what the client closed',
    'close',
    'close',
    { session: (s) => ({ closed: s.closed.then((c) => ({ ...c, initiator: 'server' as const })) }) },
  ],
  [
    'closes cleanly when told to abort',
    'abort',
    'abort',
    {
      session: (s) => ({
        abort: () => {
          void s.close();
        },
      }),
    },
  ],
  [
    'records outbound frames with an empty raw',
    'record-frames',
    'frames',
    { record: (e) => [e.kind === 'frame' && e.dir === 'out' ? { ...e, raw: '' } : e] },
  ],
  [
    'records answers without their rid',
    'record-rids',
    'frames',
    {
      record: (e) =>
        e.kind === 'frame' && e.dir === 'in' ? rewrite(String(e.type), without('rid'))(e) : [e],
    },
  ],
  [
    'records pushes without their cmid',
    'record-fields',
    'send-push-ack',
    { record: rewrite('msg:N', without('cmid')) },
  ],
  [
    'records no session event',
    'record-session',
    'reconnect',
    { record: (e) => (e.kind === 'session' ? [] : [e]) },
  ],
  [
    'records every close twice',
    'record-close',
    'close',
    { record: (e) => (e.kind === 'close' ? [e, e] : [e]) },
  ],
  [
    'numbers connections from 0',
    'record-conn',
    'reconnect',
    {
      record: (e) =>
        ['frame', 'session', 'close'].includes(e.kind)
          ? [{ ...e, conn: (e as { conn: number }).conn - 1 } as HistoryEvent]
          : [e],
    },
  ],
  [
    "records pushes one seq above the server's",
    'checker',
    'bots-and-checker',
    { record: rewrite('msg:N', (f) => ({ ...f, seq: Number(f['seq']) + 1 })) },
  ],
];

describe('the driver contract', () => {
  it('passes the ran driver as it is, every case', async () => {
    const report = await runDriverContract({ setup: setupWith(createDriver('ran', { target: server.url })) });
    expect(report.results.map((r) => `${r.id}: ${r.status}${r.message ? ` ${r.message}` : ''}`)).toEqual(
      report.results.map((r) => `${r.id}: PASS`),
    );
    expect(report.exitCode).toBe(0);
  });

  it.each(defects)('fails a driver that %s on duty %s (case %s)', async (_what, duty, caseId, defect) => {
    const report = await runDriverContract({ setup: setupWith(broken(defect)), only: [caseId] });
    const [result] = report.results;
    expect(result?.status, result?.message).toBe('FAIL');
    expect(result?.duty, result?.message).toBe(duty);
    expect(report.exitCode).toBe(1);
  });

  it('covers every duty with a defect', async () => {
    const { DUTIES } = await import('../../src/contract/index.js');
    expect(new Set(defects.map(([, duty]) => duty))).toEqual(new Set(Object.keys(DUTIES)));
  });
});
