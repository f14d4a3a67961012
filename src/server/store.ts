/**
 * The reference server's storage: one embedded SQLite file (better-sqlite3, synchronous API).
 * Every call here is synchronous; writes happen only inside a transaction run by the commit
 * queue (commit-queue.ts), so a msg:A or ack:A is sent only after its transaction committed
 * (MSG-1, ACK-3).
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

export type ReceiptState = 'none' | 'stored' | 'delivered';

/** A stored message with the receipt state the server knows for it. */
export interface MessageRecord extends StoredMessage {
  prevSeq: number;
  receipt: ReceiptState;
}

export interface InboxState {
  /** Highest seq in the inbox (0 when empty). */
  maxSeq: number;
  /** Messages ever accepted into the inbox (drives the deterministic seq faults). */
  accepted: number;
}

export interface DedupEntry {
  smid: string;
  acceptedAt: number;
}

/** A message whose receipt just became `delivered` (RCPT-2). */
export interface DeliveredRecord {
  smid: string;
  cmid: string;
  sender: string;
  to: string;
}

export interface StoreOptions {
  /** Keep (to, seq) unique (SEQ-2). Off only for the `seq-reuse` and `seq-race` faults. */
  uniqueSeq: boolean;
  /**
   * `smid-restart`: a message whose smid exists replaces the stored one (an upsert keyed by smid),
   * which is what a reused smid does to a store that trusts it to be unique. @default false
   */
  replaceOnSmid?: boolean;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  smid TEXT NOT NULL UNIQUE,
  sender TEXT NOT NULL,
  cmid TEXT NOT NULL,
  "to" TEXT NOT NULL,
  body TEXT NOT NULL,
  seq INTEGER NOT NULL,
  prev_seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  receipt TEXT NOT NULL DEFAULT 'none'
);
-- Dedup by (sender, cmid) (DEDUP-1); accepted_at bounds the window. A row whose window expired
-- is replaced by the next message with that cmid.
CREATE TABLE IF NOT EXISTS dedup (
  sender TEXT NOT NULL,
  cmid TEXT NOT NULL,
  smid TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (sender, cmid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_accepted_at ON dedup (accepted_at);
-- One row per user inbox: the seq counter, updated in the transaction that stores a message (SEQ-1).
CREATE TABLE IF NOT EXISTS inboxes (
  user TEXT PRIMARY KEY,
  max_seq INTEGER NOT NULL,
  accepted INTEGER NOT NULL
) WITHOUT ROWID;
-- Ack cursor per (user, device) (MDEV-1, ACK-1).
CREATE TABLE IF NOT EXISTS devices (
  user TEXT NOT NULL,
  device TEXT NOT NULL,
  acked INTEGER NOT NULL,
  PRIMARY KEY (user, device)
) WITHOUT ROWID;
`;

const MESSAGE_COLUMNS = `smid, cmid, sender AS "from", "to", body, seq, prev_seq AS prevSeq, ts`;

export class Store {
  private readonly db: Database.Database;
  private readonly stmt: ReturnType<Store['prepare']>;
  /** One compiled transaction wrapper, reused: better-sqlite3 compiles BEGIN/COMMIT once. */
  private readonly runInTransaction: Database.Transaction<(fn: () => unknown) => unknown>;

  constructor(
    readonly file: string,
    options: StoreOptions,
  ) {
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      const version = this.db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(`it has schema version ${version}, newer than this server's ${SCHEMA_VERSION}`);
      }
      this.db.exec(SCHEMA);
      this.setSeqIndex(options.uniqueSeq);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (cause) {
      throw new StorageError(
        `cannot open the server database ${file}: ${(cause as Error).message}. ` +
          'Check the path and permissions, or pass a fresh --db file.',
        { cause },
      );
    }
    this.stmt = this.prepare(options.replaceOnSmid ?? false);
    this.runInTransaction = this.db.transaction((fn: () => unknown) => fn());
  }

  private setSeqIndex(unique: boolean): void {
    if (unique) {
      this.db.exec('DROP INDEX IF EXISTS messages_inbox_any');
      try {
        this.db.exec('CREATE UNIQUE INDEX IF NOT EXISTS messages_inbox ON messages ("to", seq)');
      } catch (cause) {
        throw new Error(
          'two messages of one inbox share a seq (the file was written with --fault seq-reuse)',
          { cause },
        );
      }
    } else {
      this.db.exec('DROP INDEX IF EXISTS messages_inbox');
      this.db.exec('CREATE INDEX IF NOT EXISTS messages_inbox_any ON messages ("to", seq)');
    }
  }

  private prepare(replaceOnSmid: boolean) {
    const db = this.db;
    return {
      inbox: db.prepare<[string], InboxState>(
        'SELECT max_seq AS maxSeq, accepted FROM inboxes WHERE user = ?',
      ),
      putInbox: db.prepare<[string, number, number]>(
        'INSERT INTO inboxes (user, max_seq, accepted) VALUES (?, ?, ?) ' +
          'ON CONFLICT (user) DO UPDATE SET max_seq = excluded.max_seq, accepted = excluded.accepted',
      ),
      insertMessage: db.prepare<[string, string, string, string, string, number, number, number, string]>(
        `INSERT ${replaceOnSmid ? 'OR REPLACE ' : ''}INTO messages (smid, sender, cmid, "to", body, seq, prev_seq, ts, receipt) ` +
          'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      bySmid: db.prepare<[string], MessageRecord>(
        `SELECT ${MESSAGE_COLUMNS}, receipt FROM messages WHERE smid = ?`,
      ),
      dedup: db.prepare<[string, string], DedupEntry>(
        'SELECT smid, accepted_at AS acceptedAt FROM dedup WHERE sender = ? AND cmid = ?',
      ),
      putDedup: db.prepare<[string, string, string, number]>(
        'INSERT OR REPLACE INTO dedup (sender, cmid, smid, accepted_at) VALUES (?, ?, ?, ?)',
      ),
      pruneDedup: db.prepare<[number]>('DELETE FROM dedup WHERE accepted_at < ?'),
      cursor: db.prepare<[string, string], { acked: number }>(
        'SELECT acked FROM devices WHERE user = ? AND device = ?',
      ),
      putCursor: db.prepare<[string, string, number]>(
        'INSERT INTO devices (user, device, acked) VALUES (?, ?, ?) ' +
          'ON CONFLICT (user, device) DO UPDATE SET acked = excluded.acked',
      ),
      markDelivered: db.prepare<[string, number, number], DeliveredRecord>(
        `UPDATE messages SET receipt = 'delivered' WHERE "to" = ? AND seq > ? AND seq <= ? ` +
          `AND receipt <> 'delivered' RETURNING smid, cmid, sender, "to"`,
      ),
      after: db.prepare<[string, number, number], StoredMessage>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE "to" = ? AND seq > ? ORDER BY seq LIMIT ?`,
      ),
      before: db.prepare<[string, number, number], StoredMessage>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE "to" = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
      ),
      range: db.prepare<[string, number, number], StoredMessage>(
        `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE "to" = ? AND seq > ? AND seq <= ? ORDER BY seq`,
      ),
    };
  }

  /** Runs `fn` in one transaction (BEGIN IMMEDIATE … COMMIT); rolls back when it throws. */
  transaction<T>(fn: () => T): T {
    return this.runInTransaction.immediate(fn) as T;
  }

  inbox(user: string): InboxState {
    return this.stmt.inbox.get(user) ?? { maxSeq: 0, accepted: 0 };
  }

  maxSeq(user: string): number {
    return this.stmt.inbox.get(user)?.maxSeq ?? 0;
  }

  putInbox(user: string, state: InboxState): void {
    this.stmt.putInbox.run(user, state.maxSeq, state.accepted);
  }

  insertMessage(m: MessageRecord): void {
    this.stmt.insertMessage.run(m.smid, m.from, m.cmid, m.to, m.body, m.seq, m.prevSeq, m.ts, m.receipt);
  }

  messageBySmid(smid: string): MessageRecord | undefined {
    return this.stmt.bySmid.get(smid);
  }

  dedup(sender: string, cmid: string): DedupEntry | undefined {
    return this.stmt.dedup.get(sender, cmid);
  }

  putDedup(sender: string, cmid: string, smid: string, acceptedAt: number): void {
    this.stmt.putDedup.run(sender, cmid, smid, acceptedAt);
  }

  /** Forgets dedup entries accepted before `before`; returns how many. */
  pruneDedup(before: number): number {
    return this.stmt.pruneDedup.run(before).changes;
  }

  cursor(user: string, device: string): number | undefined {
    return this.stmt.cursor.get(user, device)?.acked;
  }

  putCursor(user: string, device: string, acked: number): void {
    this.stmt.putCursor.run(user, device, acked);
  }

  /** Marks seqs `from+1 … upTo` of `user`'s inbox delivered; returns those not delivered before. */
  markDelivered(user: string, from: number, upTo: number): DeliveredRecord[] {
    return this.stmt.markDelivered.all(user, from, upTo);
  }

  /** Up to `limit` messages with seq above `after`, ascending. */
  after(user: string, after: number, limit: number): StoredMessage[] {
    return this.stmt.after.all(user, after, limit);
  }

  /** Up to `limit` messages with seq below `before`, descending (newest first). */
  before(user: string, before: number, limit: number): StoredMessage[] {
    return this.stmt.before.all(user, before, limit);
  }

  /** Messages with seq in `from+1 … upTo`, ascending. */
  range(user: string, from: number, upTo: number): StoredMessage[] {
    return this.stmt.range.all(user, from, upTo);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
