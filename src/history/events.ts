/**
 * The history: every frame and every bot decision of one case run, appended in time order.
 * Drivers and bots produce it, the checker (pure) consumes it, reporters excerpt it. It is the
 * evidence behind every verdict, so it records what happened, never what was expected.
 *
 * Times `t` are milliseconds since the run's start, from a monotonic clock, with sub-millisecond
 * precision (performance.now()).
 */

import { headOf } from '../bounded-text.js';
import type { Cap, FrameType, Limits, ReceiptStatus } from '../protocol/frames.js';

/** "user/device", e.g. "alice/phone": the actor a bot plays. */
export type ActorId = string;

/**
 * One frame on the wire, as the client saw it. `dir` is relative to the client: `out` is
 * client→server (R frames), `in` is server→client (A and N frames).
 *
 * `fields` is the frame normalized to RAN/1 member names (for the `ran` driver it is the frame
 * itself, minus nothing). Drivers for other protocols map their packets onto the same names and
 * leave out what their protocol lacks (an MQTT msg:N has no `seq`). `raw` is the exact wire text
 * (or, for binary protocols, a readable rendering) for wire-log excerpts.
 */
export interface FrameEvent {
  kind: 'frame';
  t: number;
  actor: ActorId;
  /** Connection number of this actor, from 1, incremented on every (re)connect. */
  conn: number;
  dir: 'in' | 'out';
  /** Normalized `op:KIND`. For an inbound frame that could not be decoded: `undefined`. */
  type: FrameType | undefined;
  fields: Record<string, unknown>;
  raw: string;
  /** Set when an inbound frame failed decoding or schema validation (FRAME-4): what was wrong. */
  invalid?: string;
}

/** The bot's application decided to send a new message (first attempt). */
export interface SendEvent {
  kind: 'send';
  t: number;
  actor: ActorId;
  cmid: string;
  to: string;
  body: string;
  /**
   * Load runs: when the open-model schedule meant this send to start (history time; `t` is when
   * it did). Latency from here hides no lateness of the sender (no coordinated omission).
   */
  scheduledT?: number;
}

/** The bot resent msg:R with the same cmid. */
export interface RetransmitEvent {
  kind: 'retransmit';
  t: number;
  actor: ActorId;
  cmid: string;
  /** Attempt number, 2 for the first retransmission. */
  attempt: number;
  reason: 'timeout' | 'reconnect';
  /**
   * How long after its due time the retransmit timer ran (timeouts): a kit starved of CPU fires
   * it late, when the answer it waited for may already sit unread in its socket.
   */
  lateMs?: number;
}

/** The bot stopped retrying a message whose outcome it never learned. */
export interface GiveUpEvent {
  kind: 'give-up';
  t: number;
  actor: ActorId;
  cmid: string;
  attempts: number;
}

/**
 * The receiving app committed a message to its local store — the moment that counts as
 * delivery. A second commit of the same message is an application-level duplicate.
 */
export interface CommitEvent {
  kind: 'commit';
  t: number;
  actor: ActorId;
  smid: string;
  cmid: string;
  from: string;
  seq: number | undefined;
  body: string;
  via: 'push' | 'sync';
  /**
   * Whether this device had committed this smid before, in an earlier app epoch (a reinstall
   * forgot it). Set on every commit by a producer that knows (the case bots); absent where
   * unknown. Consumers that need "first commit of (device, smid)" read it instead of keeping a
   * table of every smid; the checker judges duplicates from the commits themselves.
   */
  again?: boolean;
}

/** The bot saw a message again and dropped it before the app (its dedup worked). */
export interface DedupEvent {
  kind: 'dedup';
  t: number;
  actor: ActorId;
  smid: string;
  seq: number | undefined;
  via: 'push' | 'sync';
}

/** The bot saw a gap in seq (or a broken prevSeq chain) and will fetch the missing range. */
export interface GapEvent {
  kind: 'gap';
  t: number;
  actor: ActorId;
  /** Last committed seq. */
  have: number;
  /** The seq that revealed the gap. */
  saw: number;
}

/** A session came up: what hello:A said (count first). */
export interface SessionEvent {
  kind: 'session';
  t: number;
  actor: ActorId;
  conn: number;
  maxSeq: number;
  pending: number;
  caps: Cap[];
  limits: Limits | undefined;
  lastSeq: number | undefined;
}

/** A connection ended. `initiator` says who ended it. */
export interface CloseEvent {
  kind: 'close';
  t: number;
  actor: ActorId;
  conn: number;
  initiator: 'client' | 'server' | 'crash' | 'network';
  code: number | undefined;
  reason: string;
}

/** Something the bot was told to do or not do (crash before commit, withhold acks, ...). */
export interface MisbehaveEvent {
  kind: 'misbehave';
  t: number;
  actor: ActorId;
  what: string;
  detail?: Record<string, unknown>;
}

/** The runner acted on the target process: kill -9, SIGTERM + restart, pause, resume. */
export interface TargetEvent {
  kind: 'target';
  t: number;
  action: 'start' | 'kill' | 'term' | 'restart' | 'pause' | 'resume' | 'exited';
  detail?: string;
}

/** A fault was injected (by the proxy, or a process or bot fault). */
export interface FaultEvent {
  kind: 'fault';
  t: number;
  rule: string;
  action: string;
  actor?: ActorId;
  frame?: string;
}

/** The runner started a timeline step. */
export interface StepEvent {
  kind: 'step';
  t: number;
  index: number;
  /** A short rendering of the step, e.g. "send alice→bob ×250". */
  label: string;
  line?: number;
}

/**
 * A step-level assertion (a probe's expected answer, an expected count): the runner records the
 * outcome, the checker turns failures into findings.
 */
export interface AssertEvent {
  kind: 'assert';
  t: number;
  requirement: string;
  ok: boolean;
  expected: string;
  actual: string;
  actor?: ActorId;
}

/** A receipt the sending bot recorded (derived from ack:N, kept for quick ledger building). */
export interface ReceiptEvent {
  kind: 'receipt';
  t: number;
  actor: ActorId;
  cmid: string;
  smid: string;
  status: ReceiptStatus;
}

export type HistoryEvent =
  | FrameEvent
  | SendEvent
  | RetransmitEvent
  | GiveUpEvent
  | CommitEvent
  | DedupEvent
  | GapEvent
  | SessionEvent
  | CloseEvent
  | MisbehaveEvent
  | TargetEvent
  | FaultEvent
  | StepEvent
  | AssertEvent
  | ReceiptEvent;

export type HistoryEventKind = HistoryEvent['kind'];

/**
 * Longest wire text kept of a frame that failed decoding. A valid frame's text can go (its fields
 * say it all, RawWindowHistory), an invalid one's is kept to the end as FRAME-4's evidence — and a
 * hostile server's frames can each be up to the client's 100 MiB: 50 junk frames of 8 MiB held
 * 1.3 GB in one case. Reports show a few hundred characters of it.
 */
export const MAX_INVALID_RAW = 16 * 1024;

/** The head of an over-long invalid frame's text, saying how long it was. */
function cutInvalidRaw(raw: string): string {
  const head = headOf(raw, MAX_INVALID_RAW);
  return `${head}… (${raw.length} characters in all, the first ${head.length} kept)`;
}

/** Append-only history of one case. Appending is O(1); nothing searches it while the case runs. */
export class History {
  readonly events: HistoryEvent[] = [];
  private readonly origin: number;
  private readonly listeners: ((e: HistoryEvent) => void)[] = [];

  constructor(origin: number = performance.now()) {
    this.origin = origin;
  }

  /** Milliseconds since the run's origin. */
  now(): number {
    return performance.now() - this.origin;
  }

  append(event: HistoryEvent): void {
    if (event.kind === 'frame' && event.invalid !== undefined && event.raw.length > MAX_INVALID_RAW) {
      event.raw = cutInvalidRaw(event.raw);
    }
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }

  /** Observers (metrics, progress) subscribe here rather than being called from the bots. */
  subscribe(listener: (e: HistoryEvent) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }
}
