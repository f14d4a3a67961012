/**
 * The resolved scenario model: what a YAML file under suites/ becomes after schema checking
 * (schemas/scenario.schema.json) and defaulting. Frozen; the runner interprets it.
 * docs/scenarios.md is the author's guide to the YAML form.
 *
 * Durations in YAML are strings like "250ms", "2s", "1m" or integer milliseconds; here they are
 * always milliseconds.
 */

import type { FaultRule } from '../faults/types.js';
import type { Cap } from '../protocol/frames.js';
import type { Level } from '../protocol/requirements.js';

/** Where something stands in its YAML file, 1-based. */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

/** How every bot of the scenario behaves unless a `misbehave` step says otherwise. */
export interface ClientOptions {
  /** Resend msg:R with the same cmid when no receipt came within this long. @default 1000 */
  retransmitMs: number;
  /** Multiply the retransmit timeout by this after each attempt. @default 2 */
  backoff: number;
  /** Upper bound for the retransmit timeout. @default 8000 */
  maxRetransmitMs: number;
  /** Attempts (including the first) before giving up on a message. @default 8 */
  maxAttempts: number;
  /** Wait this long after a commit before sending the (cumulative) ack. 0 acks each at once. @default 0 */
  ackDelayMs: number;
  /** Sync page size. @default 100 */
  pageSize: number;
  /** Deadline for each request's answer (hello, ack, sync). @default 5000 */
  requestTimeoutMs: number;
  /** A retransmission stops after a `stored` receipt (true) or only after `delivered` (false). @default true */
  storedStopsRetransmit: boolean;
  /** Wait before reconnecting after the server or network closed the connection (doubles per failure, up to 5 s). @default 100 */
  reconnectDelayMs: number;
}

/** "alice" (every device of alice) or "alice/phone". */
export type BotRef = string;

export type Step =
  | ConnectStep
  | DisconnectStep
  | SendStep
  | WaitStep
  | WaitForStep
  | TargetStep
  | MisbehaveStep
  | BehaveStep
  | PageStep
  | RawStep
  | ProbeStep
  | ExpectSessionStep
  | ExpectClosedStep;

interface StepBase {
  loc: Loc;
}

/** Log in. `state: keep` sends the bot's lastSeq; `state: none` logs in as if new (no local state). */
export interface ConnectStep extends StepBase {
  op: 'connect';
  bots: BotRef[];
  /**
   * `keep`: send lastSeq (the bot's committed watermark). `none`: forget the local store and send
   * no lastSeq (a reinstall, or a new device). `server`: keep the store but send no lastSeq, so the
   * server's own cursor for the device decides (DUR-2, MDEV-1). @default 'keep'
   */
  state: 'keep' | 'none' | 'server';
}

/** `clean`: close handshake. `crash`: drop the socket; the bot loses everything not committed. */
export interface DisconnectStep extends StepBase {
  op: 'disconnect';
  bots: BotRef[];
  mode: 'clean' | 'crash';
}

/** Send `count` new messages from one actor to one user at `rate` per second (open model). */
export interface SendStep extends StepBase {
  op: 'send';
  from: BotRef;
  to: string;
  count: number;
  /** Messages per second; 0 sends as fast as possible. @default 0 */
  rate: number;
  /** Body size in bytes (the body is generated and unique per message). @default 32 */
  size: number;
  /**
   * `unicode` fills bodies with 2-, 3- and 4-byte UTF-8 characters (accents, CJK, emoji), so
   * storage that mangles them shows (SEQ-3). @default 'ascii'
   */
  text: 'ascii' | 'unicode';
  /**
   * A cmid prefix: the n-th message this bot sends with it gets cmid `PREFIX.n`, so two users
   * using one prefix send equal cmids (dedup is per sender, DEDUP-1). @default none (random, unique)
   */
  cmids?: string;
  /** Return when the sends are issued (`none`), accepted, or receipted. @default 'none' */
  await: 'none' | 'accepted' | 'receipted' | 'delivered';
}

/**
 * Sleep `ms`; with `limit` (`wait: limits.repushMs + 500ms`), sleep that limit as the server
 * advertises it in hello:A, plus `ms`: a case that must outlast a server timer follows the
 * server's own value instead of a fixed guess of it.
 */
export interface WaitStep extends StepBase {
  op: 'wait';
  ms: number;
  limit?: WaitableLimit;
}

/**
 * Wait until a condition holds, or fail the step (an ERROR for the case unless `soft`) after
 * `timeoutMs`. `settled`: every sent message is receipted or given up, and every accepted message
 * is committed by every connected device of its receiver.
 */
export interface WaitForStep extends StepBase {
  op: 'waitFor';
  condition: 'accepted' | 'receipted' | 'delivered' | 'committed' | 'settled' | 'quiet';
  timeoutMs: number;
  /** Only for 'quiet': how long nothing must happen. @default 300 */
  quietMs: number;
}

/** Act on the target process (only when the kit launched it). */
export interface TargetStep extends StepBase {
  op: 'target';
  action: 'kill' | 'restart' | 'term' | 'pause' | 'resume';
  /** For kill and term: start the target again at once on the same data. @default true for kill */
  restart: boolean;
}

/** Make a bot break a client rule until a `behave` step. */
export interface MisbehaveStep extends StepBase {
  op: 'misbehave';
  bots: BotRef[];
  /** Crash (drop the socket, lose uncommitted state) upon the next n pushes, before committing them. */
  crashBeforeCommit?: number;
  /** Crash upon the n-th page of the next forward sync read, before committing it; down until the next connect. */
  crashInSync?: number;
  /** Never send acks (ack:R, ackUpTo) while misbehaving. */
  withholdAcks?: boolean;
  /** Delay each ack by this long. */
  delayAcksMs?: number;
  /** Forget the local store (as a reinstall would): lastSeq and committed messages. */
  loseState?: boolean;
  /** Do not retransmit. */
  noRetransmit?: boolean;
  /** Treat the next n msg:A frames as lost in the network (the bot ignores them). */
  loseAccepts?: number;
  /** Treat the next n ack:N frames as lost. */
  loseReceipts?: number;
  /** Treat the next n msg:N frames as lost (never seen by the app). */
  losePushes?: number;
}

/** Undo `misbehave` for these bots. */
export interface BehaveStep extends StepBase {
  op: 'behave';
  bots: BotRef[];
}

/** Explicit paging, e.g. a new device paging backwards; records SYNC assertions in history. */
export interface PageStep extends StepBase {
  op: 'page';
  bot: BotRef;
  direction: 'forward' | 'backward';
  /** Pages to read at most; 0 reads until `more` is false. @default 0 */
  pages: number;
  limit: number;
}

/**
 * Send one raw frame (text or object, rendered as given) and check the answer: a probe of
 * malformed or hostile input. Each mismatch becomes an assert event with `requirement`.
 */
export interface RawStep extends StepBase {
  op: 'raw';
  bot: BotRef;
  /** Exact text to send (object frames are JSON-encoded by the loader). */
  text: string;
  /** The rid to correlate the answer with; null for frames whose rid is unreadable. */
  rid: string | null;
  /** Send before hello (the bot connects a socket without logging in). @default false */
  beforeHello: boolean;
  expect: {
    /** Expected answer type, e.g. "error:A" or "ping:A"; "close" to expect the connection closed. */
    type: string;
    /** Members the answer must have with these exact values (e.g. code: bad-json, rid: null). */
    fields?: Record<string, unknown>;
    /** Expected close code when type is "close". */
    closeCode?: number;
  };
  requirement: string;
}

/**
 * A scripted exchange on a socket of its own: a probe of one protocol rule that needs several
 * frames (dedup of a repeated cmid, ack cursors, a second hello). Values captured from one answer
 * (`capture: {name: path}`) can be expected later as `"$name"`, also in later probes of the case.
 */
export interface ProbeStep extends StepBase {
  op: 'probe';
  /** User (or user/device) to speak as; need not be a bot of the scenario. Device defaults to "probe". */
  user: string;
  device: string;
  /** `valid`: log in with the user's token; `wrong`: with a wrong one; `none`: send no hello. @default 'valid' */
  login: 'valid' | 'wrong' | 'none';
  exchange: ProbeExchange[];
  /** Requirement a mismatch violates (an exchange may name its own). */
  requirement: string;
}

export interface ProbeExchange {
  /** Text to send verbatim (objects are JSON-encoded by the loader); absent: send nothing, just expect. */
  send?: string;
  /** Send `send` as a binary WebSocket message. @default false */
  binary: boolean;
  expect?: {
    /** Answer type (e.g. "msg:A", "error:A", "msg:N") or "close". */
    type: string;
    /** Dotted paths into the answer (e.g. "msgs.0.body") → exact value, or "$name" for a capture. */
    fields: Record<string, unknown>;
    closeCode?: number;
  };
  /** name → dotted path in the answer, remembered for later "$name" expectations. */
  capture: Record<string, string>;
  requirement?: string;
  /**
   * How long to wait for the answer: milliseconds, or a limit the server advertises in hello:A
   * (waited for plus a margin), so a probe of AUTH-4 waits for the server's own hello timeout.
   * @default 5000 ms
   */
  timeout?: ExchangeTimeout;
}

/** Limits of hello:A an exchange can wait on. */
export const WAITABLE_LIMITS = ['helloTimeoutMs', 'idleMs', 'repushMs'] as const;
export type WaitableLimit = (typeof WAITABLE_LIMITS)[number];
export type ExchangeTimeout = { ms: number } | { limit: WaitableLimit };

/** Check what the last hello:A of a bot said (count first): maxSeq, pending. */
export interface ExpectSessionStep extends StepBase {
  op: 'expectSession';
  bot: BotRef;
  maxSeq?: number;
  pending?: number;
  requirement: string;
}

/** Case-level expectations, checked by the checker over the whole history. */
export interface Expectations {
  /** Every accepted message is committed exactly once by each device of its receiver that ends connected. @default true */
  exactlyOnce: boolean;
  /** Every send ends accepted (not given up). @default true */
  allAccepted: boolean;
  /** Receipt each message must end with: none, stored-or-delivered, or delivered. @default 'delivered' */
  receipt: 'none' | 'any' | 'delivered';
  /** A stored receipt must arrive within this long of msg:A (RCPT-1). */
  standinWithinMs?: number;
  /** p99 of msg:R→msg:A must stay under this. */
  ackLatencyP99Ms?: number;
  /** p99 of send→commit must stay under this. */
  deliveryLatencyP99Ms?: number;
  /** Upper bound on retransmissions as a fraction of messages sent. */
  maxRetransmitRatio?: number;
  /** Wire duplicates (msg:N of an already committed message) allowed, as a count. @default unlimited */
  maxWireDuplicates?: number;
}

/**
 * Something that must have happened for the case to judge its rule at all. When it did not, the
 * rule was not exercised and the case is INCONCLUSIVE (with the reason), never PASS — and never
 * FAIL on that account: a MUST finding the frames prove still fails it.
 */
export interface Precondition {
  /**
   * `accepted`: at least `atLeast` messages sent were accepted (msg:A); `all` means every one.
   * `acceptedOffline`: at least `atLeast` messages were accepted while their receiver had no
   * device connected (stored offline); `all` means every accepted one.
   */
  kind: 'accepted' | 'acceptedOffline';
  atLeast: number | 'all';
  /** Where it comes from: `preconditions` (written), or the expectation it is derived from. */
  from: string;
}

export interface Scenario {
  id: string;
  title: string;
  description: string;
  /** Requirement ids of docs/protocol.md this case covers. */
  covers: string[];
  /** The level the case enforces: a failure is FAIL for MUST, WARN for SHOULD, INFO for MAY. */
  severity: Level;
  /** Server capabilities needed; a target that does not claim them gets UNSUPPORTED. */
  requires: Cap[];
  /** Needs a target the kit launched (crash/restart cases). @default derived from steps */
  needsTargetControl: boolean;
  /** Whole-case deadline. @default 30000 */
  timeoutMs: number;
  /** user → device names. */
  users: Record<string, string[]>;
  client: ClientOptions;
  steps: Step[];
  expect: Expectations;
  /**
   * What must have happened for the case to judge its rule: the `preconditions:` written, and
   * those derived from `expect:` (`standinWithin` implies a message stored offline). @default []
   */
  preconditions: Precondition[];
  /**
   * Fault rules the runner's proxy injects (src/faults/types.ts; docs/faults.md). Step windows
   * count the steps from 0; `steps.length` is the settling after the last step. @default []
   */
  faults: readonly FaultRule[];
  file: string;
  /** Suite name: the folder under suites/ (e.g. "core"). */
  suite: string;
}

/** Check how a bot's last connection ended: the close code the server sent (AUTH-6, SHUT-1). */
export interface ExpectClosedStep extends StepBase {
  op: 'expectClosed';
  bot: BotRef;
  code: number;
  requirement: string;
}
