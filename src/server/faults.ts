/**
 * Named deliberate defects of the reference server (`--fault NAME`). Each one breaks exactly one
 * rule of docs/protocol.md in an observable way, so the kit can prove that every conformance case
 * is able to fail (STYLE: "Every conformance case is proved able to fail").
 *
 * Faults are deterministic — they fire on counts (every 5th request, every 7th message of an
 * inbox) or on fixed time windows wide enough for any machine's jitter (`seq-race`'s 20 ms lag),
 * never on random draws — so a kill-matrix run with the same inputs repeats its verdicts.
 * This table is the single source for `--help` and docs/server.md.
 */

/** Bodies longer than this many UTF-8 bytes are cut (`truncate-body`). */
export const TRUNCATE_BODY_BYTES = 1024;
/** Messages kept for a receiver with no device connected since (`offline-cap`). */
export const OFFLINE_QUEUE_CAP = 300;
/**
 * How far the replica `seq-race` reads from lags behind the store. Wide enough that any two
 * messages of a stream for one inbox (a few ms apart) collide whatever the machine's load: a
 * race confined to one event-loop turn showed only when the sender's timers happened to bunch.
 */
export const SEQ_RACE_LAG_MS = 20;
/** The dedup window of `short-dedup-window`: a cache's TTL, not the 24 hours DEDUP-5 asks for. */
export const SHORT_DEDUP_WINDOW_MS = 600_000;

export const SERVER_FAULTS = {
  'no-dedup':
    'a retransmitted msg:R (same cmid) is stored as a new message with a new smid and seq (DEDUP-1/2)',
  'ack-before-commit':
    'msg:A is sent before the transaction commits, and commits are deferred 200 ms, so kill -9 right after msg:A loses messages (MSG-1, DUR-1)',
  'no-standin-receipt': 'no stored ack:N for a message whose receiver has no device connected (RCPT-1)',
  'no-delivered-receipt': 'no delivered ack:N when the receiver acks (RCPT-2)',
  'seq-gap': 'every 7th message of an inbox skips a seq (SEQ-1)',
  'seq-reuse': 'every 7th message of an inbox gets the seq of the message before it (SEQ-2)',
  'no-repush': 'unacked pushes are never re-sent, neither on a timer nor after hello (REPUSH-1/2)',
  'sync-page-skip':
    'a forward sync page that has more drops its last message, which is then never returned (SYNC-4)',
  'duplicate-push': 'every msg:N is sent twice (wire duplicates)',
  'reorder-push':
    'first pushes are swapped in pairs: the 1st is held (up to 50 ms) and sent after the 2nd (ORDER-2)',
  'bad-schema': 'every 3rd frame sent on a connection carries an unknown member "x-fault" (FRAME-4)',
  'drop-answer': 'every 5th request after hello on a connection is never answered (RID-1)',
  'double-answer': 'every 4th request after hello on a connection is answered twice (RID-2)',
  'no-auth': 'any token is accepted (AUTH-2)',
  'cursor-not-durable': 'ack cursors are kept in memory only, so a restart forgets them (DUR-2)',
  'dup-no-receipt': 'a duplicate msg:R is answered but its known receipt is not sent again (DEDUP-3)',
  'sync-ignore-ack': 'sync:R ackUpTo is ignored (SYNC-3)',
  'shared-cursor': 'one ack cursor per user instead of one per device (MDEV-1)',
  'lost-offline': 'a message for a receiver with no connected device is acknowledged but not stored (OFF-1)',
  'no-hello-timeout':
    'a connection that never says hello is not closed at limits.helloTimeoutMs, which hello:A still advertises (AUTH-4)',
  // The faults below only show outside the narrow shape of the hand-written cases (one sender per
  // receiver, short ASCII bodies, unique cmids, short offline periods): `imspec explore` finds them.
  'dedup-by-cmid':
    "dedup is keyed by cmid alone, not (sender, cmid): a second user reusing a cmid gets the first user's smid and dup: true, and their message is never stored (DEDUP-1, MSG-2)",
  'truncate-body': `bodies over ${TRUNCATE_BODY_BYTES} UTF-8 bytes are stored cut to that size, as a too-narrow column would (SEQ-3, DUR-1)`,
  'bmp-only':
    'characters outside the Basic Multilingual Plane (emoji) are stored as U+FFFD, as a 3-byte utf8 column does (SEQ-3, DUR-1)',
  'seq-race': `the seq is read when a msg:R arrives from a replica that lags ${SEQ_RACE_LAG_MS} ms behind the store, not in the storing transaction: messages for one inbox less than ${SEQ_RACE_LAG_MS} ms apart share a seq (SEQ-1, SEQ-2)`,
  'repush-acked':
    "a cumulative ack stops re-pushes only of the acked message's own sender: with several senders interleaved, acked messages of the others keep being re-pushed (PUSH-2)",
  'offline-cap': `an offline inbox keeps ${OFFLINE_QUEUE_CAP} messages: later ones for a receiver with no device connected since are acknowledged with a stored receipt and dropped (OFF-1)`,
  'ack-wrong-device':
    "an ack:R moves the cursor of the user's most recently logged-in device, not the acking one (ACK-1, MDEV-1)",
  'sync-clamp-more':
    'a sync:R limit above limits.syncLimitMax is clamped for the page but not for "more": more is false though messages remain (SYNC-1)',
  'smid-restart':
    'smids come from a counter that restarts at 0 on every boot, so messages after a restart reuse smids of messages before it and overwrite them in a store keyed by smid (MSG-2, DUR-1)',
  // Faults of the fields every history carries, which the always-on rules judge in any case.
  'receipt-to-newest-sender':
    "the delivered receipts one ack produces all go to the sender of the newest message it covers, so with two senders interleaved one of them gets the other's receipts and never its own (RCPT-2)",
  'repush-attempt-1':
    'a re-push says attempt 1, as a stateless push path would, so a receiver cannot tell it from a first push (REPUSH-3)',
  'short-dedup-window': `the dedup window is ${SHORT_DEDUP_WINDOW_MS / 60_000} minutes, and hello:A advertises it: a retransmission after a long offline period is stored again (DEDUP-5)`,
  'push-by-device-name':
    "pushes are fanned out by device name alone: a first push also goes, unchanged, to every other user's live device named like a live device of the receiver (PUSH-3)",
} as const satisfies Record<string, string>;

export type ServerFaultName = keyof typeof SERVER_FAULTS;
/** Short alias used inside the server folder's importers. */
export type FaultName = ServerFaultName;

export const SERVER_FAULT_NAMES = Object.keys(SERVER_FAULTS) as ServerFaultName[];

export function isServerFaultName(name: string): name is ServerFaultName {
  return Object.hasOwn(SERVER_FAULTS, name);
}

/** How long `ack-before-commit` defers each commit: long enough for a kill -9 to land in between. */
export const ACK_BEFORE_COMMIT_DELAY_MS = 200;

/** How long `reorder-push` holds the first push of a pair when no second push follows. */
export const REORDER_HOLD_MS = 50;

/** Every n-th request after hello is dropped (`drop-answer`) or answered twice (`double-answer`). */
export const DROP_ANSWER_EVERY = 5;
export const DOUBLE_ANSWER_EVERY = 4;
/** Every n-th frame sent on a connection gets an unknown member (`bad-schema`). */
export const BAD_SCHEMA_EVERY = 3;
/** Every n-th message of an inbox skips or reuses a seq (`seq-gap`, `seq-reuse`). */
export const SEQ_FAULT_EVERY = 7;

/** The faults in force, frozen. `has` is on hot paths, so it is a Set lookup. */
export class FaultSet {
  private readonly names: ReadonlySet<ServerFaultName>;

  constructor(names: readonly ServerFaultName[]) {
    this.names = new Set(names);
  }

  has(name: ServerFaultName): boolean {
    return this.names.has(name);
  }

  get size(): number {
    return this.names.size;
  }

  /**
   * `offline-cap`: messages stored per receiver since a device of it last said hello. State of
   * the fault, kept here so the correct server carries none of it.
   */
  readonly offlineQueued = new Map<string, number>();

  /** `seq-race`: the lagging replica its seqs are read from. */
  readonly seqReplica = new LaggingReplica(SEQ_RACE_LAG_MS);

  list(): ServerFaultName[] {
    return [...this.names];
  }
}

/**
 * Each inbox's maxSeq as a read replica `lagMs` behind the store sees it (`seq-race`). An inbox is
 * first read from the store itself (the replica has caught up with everything before the fault's
 * first sight of it, e.g. after a restart); later commits reach the replica lagMs after they are
 * made.
 */
export class LaggingReplica {
  private readonly inboxes = new Map<
    string,
    { seen: number; arriving: Array<{ at: number; maxSeq: number }> }
  >();

  constructor(private readonly lagMs: number) {}

  /** The inbox's maxSeq as the replica has it at `now` (ms); `primary` reads the store. */
  read(inbox: string, now: number, primary: () => number): number {
    let replica = this.inboxes.get(inbox);
    if (replica === undefined) {
      replica = { seen: primary(), arriving: [] };
      this.inboxes.set(inbox, replica);
    }
    while (replica.arriving.length > 0 && replica.arriving[0]!.at <= now) {
      replica.seen = Math.max(replica.seen, replica.arriving.shift()!.maxSeq);
    }
    return replica.seen;
  }

  /** The store committed `maxSeq` for the inbox at `now` (ms): the replica has it lagMs later. */
  committed(inbox: string, maxSeq: number, now: number): void {
    this.inboxes.get(inbox)?.arriving.push({ at: now + this.lagMs, maxSeq });
  }
}

/** One line per fault, for `--help` and docs/server.md. */
export function describeServerFaults(indent = '  '): string {
  const width = Math.max(...SERVER_FAULT_NAMES.map((n) => n.length));
  return SERVER_FAULT_NAMES.map((name) => `${indent}${name.padEnd(width)}  ${SERVER_FAULTS[name]}`).join(
    '\n',
  );
}
