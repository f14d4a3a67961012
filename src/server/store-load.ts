/**
 * Start-up: rebuilds the in-memory indexes (store-index.ts) from the SQLite log (store.ts), in
 * the order the log was written, applying each record exactly as the running server did — so
 * after a restart the seqs continue, a retransmission within the window still gets its old smid
 * (DEDUP-2), cursors and receipts are as acknowledged (DUR-1, DUR-2).
 */

import type Database from 'better-sqlite3';
import { deviceKey, type MemoryIndex, type MessageRecord, SeqConflict } from './store-index.js';

export interface LoadOptions {
  /** Dedup entries accepted before this (ms since the epoch) are outside the window: not rebuilt. */
  dedupSince: number;
  /** Filled for `smid-restart`. */
  bySmid: Map<string, { message: MessageRecord; id: number }> | undefined;
}

type MessageRow = [
  id: number,
  smid: string,
  sender: string,
  cmid: string,
  to: string,
  body: string,
  seq: number,
  prevSeq: number,
  ts: number,
  receipt: 'none' | 'stored',
  dedup: 0 | 1 | 2,
];

export function loadLog(db: Database.Database, index: MemoryIndex, options: LoadOptions): void {
  const superseded = new Set(db.prepare<[], number>('SELECT id FROM superseded').pluck().all());
  // User names repeat on every row; one string per name keeps the heap small for a big log.
  const names = new Map<string, string>();
  const intern = (s: string): string => {
    const known = names.get(s);
    if (known !== undefined) return known;
    names.set(s, s);
    return s;
  };
  const accepted = new Map<string, { maxSeq: number; accepted: number }>();
  const rows = db
    .prepare<[], MessageRow>(
      'SELECT id, smid, sender, cmid, "to", body, seq, prev_seq, ts, receipt, dedup FROM messages ORDER BY id',
    )
    .raw(true);
  try {
    for (const [id, smid, sender, cmid, to, body, seq, prevSeq, ts, receipt, dedup] of rows.iterate()) {
      const m: MessageRecord = {
        smid,
        cmid,
        from: intern(sender),
        to: intern(to),
        body,
        seq,
        prevSeq,
        ts,
        receipt,
      };
      // The seq counter counts superseded messages too: the running server had taken their seqs.
      const state = accepted.get(m.to) ?? { maxSeq: 0, accepted: 0 };
      state.maxSeq = Math.max(state.maxSeq, seq);
      state.accepted++;
      accepted.set(m.to, state);
      if (superseded.has(id)) continue;
      index.add(m);
      options.bySmid?.set(smid, { message: m, id });
      if (dedup !== 0 && ts >= options.dedupSince) {
        index.dedup.set(dedup === 2 ? '' : m.from, m.cmid, m);
      }
    }
  } catch (error) {
    if (error instanceof SeqConflict) {
      throw new Error(
        `two messages of one inbox share a seq (the file was written with --fault seq-reuse or seq-race): ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  for (const [user, state] of accepted) index.setState(user, state);
  loadDedupOnly(db, index, options.dedupSince);
  const deliveries = db.prepare<[], [string, number, number]>(
    'SELECT user, after_seq, up_to FROM deliveries ORDER BY id',
  );
  for (const [user, after, upTo] of deliveries.raw(true).iterate()) {
    for (const m of index.range(user, after, upTo)) m.receipt = 'delivered';
  }
  const devices = db.prepare<[], [string, string, number]>('SELECT user, device, acked FROM devices');
  for (const [user, device, acked] of devices.raw(true).iterate()) {
    index.cursors.set(deviceKey(user, device), acked);
  }
}

/**
 * Entries for messages acknowledged and never stored. Their order against the messages is by
 * acceptance time: the later of two entries for one key wins, as it did when it was written.
 */
function loadDedupOnly(db: Database.Database, index: MemoryIndex, since: number): void {
  const rows = db.prepare<[number], [string, string, string, number]>(
    'SELECT sender, cmid, smid, accepted_at FROM dedup_only WHERE accepted_at >= ? ORDER BY id',
  );
  for (const [sender, cmid, smid, acceptedAt] of rows.raw(true).iterate(since)) {
    const known = index.dedup.get(sender, cmid);
    if (known !== undefined && known.ts > acceptedAt) continue;
    index.dedup.set(sender, cmid, { smid, ts: acceptedAt });
  }
}
