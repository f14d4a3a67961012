/**
 * The reference server's storage: one embedded SQLite file (better-sqlite3, synchronous API)
 * used as an append-only LOG, and the indexes every read needs kept in memory
 * (store-index.ts), rebuilt from the log when the server starts (store-load.ts).
 *
 * Writes happen only inside a transaction run by the commit queue (commit-queue.ts), so a msg:A
 * or ack:A is sent only after its transaction committed (MSG-1, ACK-3). A write changes the
 * log and the memory index together; when the transaction rolls back (an operation threw, or
 * COMMIT failed), an undo log puts the memory back, so memory never shows what the file lacks.
 *
 * Durability choice: WAL with `synchronous = FULL`. In WAL mode, NORMAL would already survive a
 * kill -9 of the process (committed pages sit in the OS page cache and reach the WAL file), which
 * is all DUR-1 tests — but it may lose the last transactions on power loss or a kernel crash,
 * and msg:A promises the message is *durably* stored. FULL fsyncs the WAL at every commit, so a
 * msg:A survives power loss too. Group commit is what makes FULL affordable: one fsync covers
 * every request of a batch (measured: scripts/bench/server.ts).
 */

import Database from 'better-sqlite3';
import { StorageError } from '../errors.js';
import type { StoredMessage } from '../protocol/frames.js';
import {
  type DedupEntry,
  type DeliveredRecord,
  deviceKey,
  type InboxState,
  MemoryIndex,
  type MessageRecord,
} from './store-index.js';
import { loadLog } from './store-load.js';

export type { DedupEntry, DeliveredRecord, InboxState, MessageRecord, ReceiptState } from './store-index.js';

export interface StoreOptions {
  /** Keep (to, seq) unique (SEQ-2). Off only for the `seq-reuse` and `seq-race` faults. */
  uniqueSeq: boolean;
  /**
   * `smid-restart`: a message whose smid exists replaces the stored one (an upsert keyed by smid),
   * which is what a reused smid does to a store that trusts it to be unique. @default false
   */
  replaceOnSmid?: boolean;
  /** Dedup entries older than this are not rebuilt at start-up. @default 86400000 */
  dedupWindowMs?: number;
}

/** Schema 1 kept the indexes in SQLite; schema 2 is the log. */
const SCHEMA_VERSION = 2;

/**
 * Every table is appended to by rowid, with no secondary index (the cost this design removes),
 * except `devices`: one row per device, a few hot pages, written per ack rather than per message.
 */
const SCHEMA = `
-- Every stored message, in acceptance order. dedup: 0 none (no-dedup), 1 keyed by (sender,
-- cmid) (DEDUP-1), 2 keyed by cmid alone (dedup-by-cmid). receipt: 'none' or 'stored' (RCPT-1).
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  smid TEXT NOT NULL,
  sender TEXT NOT NULL,
  cmid TEXT NOT NULL,
  "to" TEXT NOT NULL,
  body TEXT NOT NULL,
  seq INTEGER NOT NULL,
  prev_seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  receipt TEXT NOT NULL,
  dedup INTEGER NOT NULL
);
-- Seqs after_seq+1 … up_to of user's inbox became delivered (RCPT-2), one row per ack that
-- covered something new.
CREATE TABLE IF NOT EXISTS deliveries (
  id INTEGER PRIMARY KEY,
  user TEXT NOT NULL,
  after_seq INTEGER NOT NULL,
  up_to INTEGER NOT NULL
);
-- Dedup entries with no stored message (lost-offline, offline-cap): acknowledged, never stored.
CREATE TABLE IF NOT EXISTS dedup_only (
  id INTEGER PRIMARY KEY,
  sender TEXT NOT NULL,
  cmid TEXT NOT NULL,
  smid TEXT NOT NULL,
  accepted_at INTEGER NOT NULL
);
-- smid-restart: messages replaced by a later one with the same smid.
CREATE TABLE IF NOT EXISTS superseded (id INTEGER PRIMARY KEY);
-- Ack cursor per (user, device) (MDEV-1, ACK-1).
CREATE TABLE IF NOT EXISTS devices (
  user TEXT NOT NULL,
  device TEXT NOT NULL,
  acked INTEGER NOT NULL,
  PRIMARY KEY (user, device)
) WITHOUT ROWID;
`;

const DEFAULT_DEDUP_WINDOW_MS = 86_400_000;

function openDatabase(file: string): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`it has schema version ${version}, newer than this server's ${SCHEMA_VERSION}`);
    }
    if (version !== 0 && version < SCHEMA_VERSION) {
      throw new Error(
        `it was written by an earlier imspec serve (schema version ${version}, indexes in SQLite); ` +
          `this one keeps a log (schema ${SCHEMA_VERSION}) and does not convert files`,
      );
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export class Store {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<Store['prepare']>;
  private readonly index: MemoryIndex;
  /** smid → message and its rowid; kept only for `smid-restart`, which needs to find the replaced one. */
  private readonly bySmid: Map<string, { message: MessageRecord; id: number }> | undefined;
  /** One compiled transaction wrapper, reused: better-sqlite3 compiles BEGIN/COMMIT once. */
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Memory changes of the running transaction, undone in reverse if it rolls back; undefined outside one. */
  private undo: (() => void)[] | undefined;

  constructor(
    readonly file: string,
    options: StoreOptions,
  ) {
    const replaceOnSmid = options.replaceOnSmid ?? false;
    this.index = new MemoryIndex(options.uniqueSeq);
    this.bySmid = replaceOnSmid ? new Map() : undefined;
    try {
      this.db = openDatabase(file);
    } catch (cause) {
      throw new StorageError(
        `cannot open the server database ${file}: ${(cause as Error).message}. ` +
          'Check the path and permissions, or pass a fresh --db file.',
        { cause },
      );
    }
    try {
      loadLog(this.db, this.index, {
        dedupSince: Date.now() - (options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS),
        bySmid: this.bySmid,
      });
    } catch (cause) {
      this.db.close();
      throw new StorageError(
        `cannot open the server database ${file}: ${(cause as Error).message}. Pass a fresh --db file.`,
        { cause },
      );
    }
    this.stmt = this.prepare();
    this.runInTransaction = this.db.transaction((fn: () => unknown) => fn());
  }

  private prepare() {
    const db = this.db;
    return {
      appendMessage: db.prepare<
        [string, string, string, string, string, number, number, number, string, number]
      >(
        'INSERT INTO messages (smid, sender, cmid, "to", body, seq, prev_seq, ts, receipt, dedup) ' +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      appendDelivery: db.prepare<[string, number, number]>(
        'INSERT INTO deliveries (user, after_seq, up_to) VALUES (?, ?, ?)',
      ),
      appendDedupOnly: db.prepare<[string, string, string, number]>(
        'INSERT INTO dedup_only (sender, cmid, smid, accepted_at) VALUES (?, ?, ?, ?)',
      ),
      appendSuperseded: db.prepare<[number]>('INSERT INTO superseded (id) VALUES (?)'),
      putCursor: db.prepare<[string, string, number]>(
        'INSERT INTO devices (user, device, acked) VALUES (?, ?, ?) ' +
          'ON CONFLICT (user, device) DO UPDATE SET acked = excluded.acked',
      ),
    };
  }

  /** Records how to take a memory change back if the running transaction rolls back. */
  private changed(undo: () => void): void {
    this.undo!.push(undo);
  }

  /** Every write checks first: outside a transaction SQLite would autocommit and memory could not be undone. */
  private writing(): void {
    if (this.undo === undefined) throw new Error('a store write outside a transaction');
  }

  /** Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT); rolls back file and memory when it throws. */
  transaction<T>(fn: () => T): T {
    if (this.undo !== undefined) throw new Error('transactions do not nest');
    const undo: (() => void)[] = [];
    this.undo = undo;
    try {
      return this.runInTransaction.immediate(fn) as T;
    } catch (error) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw error;
    } finally {
      this.undo = undefined;
    }
  }

  inbox(user: string): InboxState {
    return this.index.state(user);
  }

  maxSeq(user: string): number {
    return this.index.state(user).maxSeq;
  }

  putInbox(user: string, state: InboxState): void {
    this.writing();
    const before = this.index.state(user);
    this.changed(() => this.index.setState(user, before));
    this.index.setState(user, state);
  }

  /**
   * Appends a message to the log and files it in its inbox; with `dedupBy` (the sender, or ''
   * under `dedup-by-cmid`) it also becomes the dedup entry for (dedupBy, cmid) (DEDUP-1).
   */
  insertMessage(m: MessageRecord, dedupBy?: string): void {
    this.writing();
    const flag = dedupBy === undefined ? 0 : dedupBy === '' ? 2 : 1;
    if (flag === 1 && dedupBy !== m.from) throw new Error('a message is deduplicated by its own sender');
    const receipt = m.receipt === 'delivered' ? 'none' : m.receipt; // delivered is logged by ack
    const id = Number(
      this.stmt.appendMessage.run(m.smid, m.from, m.cmid, m.to, m.body, m.seq, m.prevSeq, m.ts, receipt, flag)
        .lastInsertRowid,
    );
    if (this.bySmid !== undefined) this.replaceSmid(m, id);
    this.index.add(m);
    this.changed(() => this.index.remove(m));
    if (dedupBy !== undefined) this.setDedup(dedupBy, m.cmid, m);
  }

  /** `smid-restart`: the message that had this smid leaves its inbox (logged, so a restart agrees). */
  private replaceSmid(m: MessageRecord, id: number): void {
    const map = this.bySmid!;
    const old = map.get(m.smid);
    if (old !== undefined) {
      this.stmt.appendSuperseded.run(old.id);
      this.index.remove(old.message);
      this.changed(() => this.index.add(old.message));
    }
    map.set(m.smid, { message: m, id });
    this.changed(() => (old === undefined ? map.delete(m.smid) : map.set(m.smid, old)));
  }

  private setDedup(sender: string, cmid: string, entry: DedupEntry): void {
    const old = this.index.dedup.set(sender, cmid, entry);
    this.changed(() => this.index.dedup.restore(sender, cmid, old));
  }

  /** The message a smid names now (a replacement under `smid-restart`), else the entry's own. */
  messageOf(entry: DedupEntry): MessageRecord | undefined {
    if (this.bySmid !== undefined) return this.bySmid.get(entry.smid)?.message;
    return 'seq' in entry ? entry : undefined;
  }

  dedup(sender: string, cmid: string): DedupEntry | undefined {
    return this.index.dedup.get(sender, cmid);
  }

  /** A dedup entry with no stored message (acknowledged and dropped, under the offline faults). */
  putDedup(sender: string, cmid: string, smid: string, acceptedAt: number): void {
    this.writing();
    this.stmt.appendDedupOnly.run(sender, cmid, smid, acceptedAt);
    this.setDedup(sender, cmid, { smid, ts: acceptedAt });
  }

  /**
   * Forgets dedup entries accepted before `before`; returns how many. Memory only (the log keeps
   * the messages; a restart rebuilds only the window), so no transaction is needed.
   */
  pruneDedup(before: number): number {
    return this.index.dedup.prune(before);
  }

  cursor(user: string, device: string): number | undefined {
    return this.index.cursors.get(deviceKey(user, device));
  }

  putCursor(user: string, device: string, acked: number): void {
    this.writing();
    this.stmt.putCursor.run(user, device, acked);
    const key = deviceKey(user, device);
    const cursors = this.index.cursors;
    const old = cursors.get(key);
    cursors.set(key, acked);
    this.changed(() => (old === undefined ? cursors.delete(key) : cursors.set(key, old)));
  }

  /** Marks seqs `from+1 … upTo` of `user`'s inbox delivered; returns those not delivered before. */
  markDelivered(user: string, from: number, upTo: number): DeliveredRecord[] {
    this.writing();
    const marked: MessageRecord[] = [];
    for (const m of this.index.range(user, from, upTo)) {
      if (m.receipt !== 'delivered') marked.push(m);
    }
    if (marked.length === 0) return [];
    this.stmt.appendDelivery.run(user, from, upTo);
    const before = marked.map((m) => m.receipt);
    for (const m of marked) m.receipt = 'delivered';
    this.changed(() => {
      for (let i = 0; i < marked.length; i++) marked[i]!.receipt = before[i]!;
    });
    return marked.map((m) => ({ smid: m.smid, cmid: m.cmid, sender: m.from, to: m.to }));
  }

  /** Up to `limit` messages with seq above `after`, ascending. */
  after(user: string, after: number, limit: number): StoredMessage[] {
    return this.index.after(user, after, limit);
  }

  /** Up to `limit` messages with seq below `before`, descending (newest first). */
  before(user: string, before: number, limit: number): StoredMessage[] {
    return this.index.before(user, before, limit);
  }

  /** Messages with seq in `from+1 … upTo`, ascending. */
  range(user: string, from: number, upTo: number): StoredMessage[] {
    return this.index.rangeWire(user, from, upTo);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
