/**
 * Start-up cost of the reference server's store for a big log: the server keeps its indexes
 * (inboxes by seq, dedup window, cursors, receipts) in memory and rebuilds them from the SQLite
 * log when it opens the file (src/server/store-load.ts). This writes a log of N messages through
 * the store itself (batches of 10,000 per transaction), then opens it `rounds` times and prints
 * the median open time and the heap the indexes hold.
 *
 *   npm run build && node --expose-gc dist/scripts/bench/server-startup.js
 *
 * Environment: IMSPEC_STARTUP_DB (a log file to keep and reuse, written only when missing),
 * IMSPEC_STARTUP_MESSAGES (default 1000000), IMSPEC_STARTUP_USERS (receivers,
 * default 1000), IMSPEC_STARTUP_BODY (body bytes, default 100), IMSPEC_BENCH_ROUNDS (default 3).
 */

import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Store } from '../../src/server/store.js';
import { envInt } from './figures.js';

const BATCH = 10_000;

function writeLog(file: string, messages: number, users: number, bodyBytes: number): void {
  const store = new Store(file, { uniqueSeq: true });
  const body = 'x'.repeat(bodyBytes);
  const seqs = new Array<number>(users).fill(0);
  const now = Date.now();
  for (let start = 0; start < messages; start += BATCH) {
    store.transaction(() => {
      for (let i = start; i < Math.min(messages, start + BATCH); i++) {
        const u = i % users;
        const to = `user${u}`;
        const from = `user${(u + 1) % users}`;
        const seq = ++seqs[u]!;
        store.insertMessage(
          {
            smid: `bench-smid-${i}`,
            cmid: `bench-cmid-${i}`,
            from,
            to,
            body,
            seq,
            prevSeq: seq - 1,
            ts: now,
            receipt: 'stored',
          },
          from,
        );
        store.putInbox(to, { maxSeq: seq, accepted: seq });
      }
    });
  }
  // One ack per inbox covering half of it, and a cursor per device (DUR-2, RCPT-2 replayed at start).
  store.transaction(() => {
    for (let u = 0; u < users; u++) {
      const half = Math.floor(seqs[u]! / 2);
      store.putCursor(`user${u}`, 'd', half);
      store.markDelivered(`user${u}`, 0, half);
    }
  });
  store.close();
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function run(): Promise<void> {
  const messages = envInt('IMSPEC_STARTUP_MESSAGES', 1_000_000);
  const users = envInt('IMSPEC_STARTUP_USERS', 1000);
  const bodyBytes = envInt('IMSPEC_STARTUP_BODY', 100);
  const rounds = envInt('IMSPEC_BENCH_ROUNDS', 3);
  const kept = process.env['IMSPEC_STARTUP_DB'];
  const dir = mkdtempSync(join(tmpdir(), 'imspec-startup-'));
  try {
    const file = kept ?? join(dir, 'log.db');
    const wrote = performance.now();
    const fresh = !existsSync(file);
    if (fresh) writeLog(file, messages, users, bodyBytes);
    const size = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    console.log(
      fresh
        ? `server start-up: log of ${messages.toLocaleString('en')} messages to ${users} inboxes, ${bodyBytes}-byte bodies, ` +
            `written in ${((performance.now() - wrote) / 1000).toFixed(1)} s (${(size / 2 ** 20).toFixed(0)} MiB)`
        : `server start-up: the log in ${file} (${(size / 2 ** 20).toFixed(0)} MiB; IMSPEC_STARTUP_MESSAGES must say how many messages it holds)`,
    );
    if ((globalThis as { gc?: unknown }).gc === undefined)
      console.log('  (run with --expose-gc for heap figures)');
    const times: number[] = [];
    let store: Store | undefined;
    for (let r = 0; r < rounds; r++) {
      store = undefined; // the previous open's indexes are garbage before the heap is measured
      const before = heapMiB();
      const started = performance.now();
      store = new Store(file, { uniqueSeq: true });
      const ms = performance.now() - started;
      times.push(ms);
      const held = heapMiB() - before;
      const page = store.after('user0', 0, 1);
      console.log(
        `  open ${r + 1}: ${(ms / 1000).toFixed(2)} s, indexes hold ${held.toFixed(0)} MiB of heap ` +
          `(${((held * 2 ** 20) / messages).toFixed(0)} B/message); user0 maxSeq ${store.maxSeq('user0')}, first seq ${page[0]?.seq}`,
      );
      store.close();
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `  median open ${(median / 1000).toFixed(2)} s = ${((median * 1000) / messages).toFixed(2)} µs/message`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
