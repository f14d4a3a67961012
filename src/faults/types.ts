/**
 * The resolved fault-rule model: what one item of a scenario's `faults:` list becomes after
 * schema checking (schemas/faults.schema.json) and defaulting by `resolveFaultRules`. Frozen; the
 * proxies interpret it. docs/faults.md is the author's guide to the YAML form.
 *
 * Two layers share one vocabulary: *frame* rules act on frames in a frame-aware proxy — the
 * WebSocket proxy (src/faults/ws-proxy.ts) or the framed TCP proxy (src/faults/frame-proxy.ts) —
 * which reads them through the driver's frame codec (src/protocol/frame-codec.ts; RAN/1 is one);
 * *stream* rules act on the bytes of a TCP connection in the TCP proxy (src/faults/tcp-proxy.ts),
 * for protocols with no codec (MQTT, XMPP).
 */

import type { SourcePosition } from '../errors.js';
import type { FaultEvent, HistoryEvent } from '../history/events.js';
import type { Direction } from '../protocol/frame-codec.js';
import type { FrameType, Kind, Op } from '../protocol/frames.js';

/** Relative to the target: `to-server` is client→server (R frames), `to-client` is server→client. */
export type { Direction };

/** One end of a window: a timeline step index (as the runner counts them) or a time since the run began. */
export type Bound = { step: number } | { ms: number };

/**
 * When a rule is in force: from `from` (inclusive) until `until` (exclusive). A missing end is
 * open. Steps are whatever index the runner passes to `setStep`; times are milliseconds on the
 * proxy's clock (the History's clock when one is given, so they line up with event times).
 */
export interface FaultWindow {
  from?: Bound;
  until?: Bound;
}

/** Which frames a frame rule considers. Every given selector must hold; lists mean "any of". */
export interface FrameMatch {
  op?: readonly Op[];
  kind?: readonly Kind[];
  direction?: Direction;
  /**
   * The actor of the connection, learned from its `hello:R`: a user ("alice", any device) or an
   * actor "alice/phone". Frames before hello have no user and never match a `user` selector.
   */
  user?: readonly string[];
  /** Only frames that do not decode as RAN/1 (true), or only frames that do (false). */
  undecodable?: boolean;
}

/** Which bytes a stream rule considers. */
export interface StreamMatch {
  /** Only bytes flowing this way; both ways when absent. */
  direction?: Direction;
}

export type FrameAction =
  | { type: 'drop' }
  /** Forward the frame, then `copies` more copies of it. */
  | { type: 'duplicate'; copies: number }
  /** Forward the frame after `ms` plus a uniform draw in [0, jitterMs]. Later frames may overtake it. */
  | { type: 'delay'; ms: number; jitterMs: number }
  /** Hold the frame until `after` later frames of the same direction passed, or `maxHoldMs` elapsed. */
  | { type: 'reorder'; after: number; maxHoldMs: number }
  /**
   * `json`: forward text that is not valid JSON (the frame minus its closing brace).
   * `schema`: forward valid JSON that breaks schemas/frame.schema.json: member `field` (or one
   * chosen by the seeded generator) gets a value no frame member allows.
   */
  | { type: 'corrupt'; mode: 'json' | 'schema'; field?: string }
  /**
   * End the connection at this frame: forward it first when `forward`, then `close` both sides
   * with close code `code`, or `reset` both TCP connections (RST, no close frame).
   */
  | { type: 'cut'; mode: 'close' | 'reset'; code: number; forward: boolean }
  /**
   * Half-open: from this frame on, discard everything both ways (frames, pings, pongs) for `ms`
   * (for the rest of the connection when undefined) without closing anything.
   */
  | { type: 'stall'; ms: number | undefined };

export type StreamAction =
  /** Delay every chunk by `ms` plus a uniform draw in [0, jitterMs]; order is kept. */
  | { type: 'latency'; ms: number; jitterMs: number }
  /** Pace the bytes to at most `bytesPerSecond`. */
  | { type: 'bandwidth'; bytesPerSecond: number }
  /** Let `afterBytes` bytes through, then reset both TCP connections (RST). */
  | { type: 'reset'; afterBytes: number }
  /** Discard bytes without closing, for `ms` from the first chunk (or while the window is open when undefined). */
  | { type: 'blackhole'; ms: number | undefined }
  /** Split every chunk into writes of at most `bytes` bytes, `delayMs` apart. */
  | { type: 'slice'; bytes: number; delayMs: number };

export type FrameActionType = FrameAction['type'];
export type StreamActionType = StreamAction['type'];

interface RuleBase {
  /** Unique in the scenario; defaults to `fault-<n>` (1-based position). Named in every fault event. */
  id: string;
  /**
   * Frame rules: act only on the n-th frame matching (counted while the rule is in force), once.
   * Stream rules: only on the n-th connection.
   */
  nth: number | undefined;
  /** Act on every n-th match (n, 2n, …). Excludes `nth`. */
  every: number | undefined;
  /** Act at most this many times. Unlimited when undefined (once when `nth` is given). */
  times: number | undefined;
  /** Chance that a selected frame (or connection) is acted on, drawn from the seeded generator. @default 1 */
  probability: number;
  window: FaultWindow;
  /** Where the rule stands in its YAML file, when it came from one. */
  loc: SourcePosition | undefined;
}

export interface FrameRule extends RuleBase {
  layer: 'frame';
  match: FrameMatch;
  action: FrameAction;
}

export interface StreamRule extends RuleBase {
  layer: 'stream';
  match: StreamMatch;
  action: StreamAction;
}

export type FaultRule = FrameRule | StreamRule;

/**
 * A fault event as the proxies record it: the shared `FaultEvent` of the history plus what exact
 * replay needs. `action` is the action type; `params` the action's resolved parameters (a delay's
 * jitter already drawn, a corrupted member already chosen), so replaying needs no randomness.
 */
export interface FaultRecord extends FaultEvent {
  /** 1-based number of this injection in its proxy. */
  id: number;
  layer: 'frame' | 'stream';
  params: Readonly<Record<string, unknown>>;
  direction?: Direction;
  /**
   * Frame layer: the frame type, `null` when it did not decode as RAN/1.
   * Stream layer: absent.
   */
  type?: FrameType | null;
  /**
   * Frame layer: this frame is the k-th frame of this (actor, direction, type) the proxy saw,
   * counting from 1 — the coordinate replay uses ("drop alice's 3rd msg:A").
   */
  occurrence?: number;
  /** Frame layer: connection number of this actor (1, 2, … across reconnects). Stream layer: connection number in the proxy. */
  conn: number;
  /**
   * Frame layer, when a rule draws on chance: what the frame is, whenever it arrived
   * (frame-identity.ts) — the key its fate was drawn from, the same in every run of the seed.
   */
  identity?: string;
  /**
   * Set on a consequence of an earlier injection (a frame a stall swallowed, a held frame lost
   * with its connection): the `id` of that injection. Replay and minimisation skip these.
   */
  cause?: number;
}

/** True when a history event is a fault event recorded by a proxy (it has replay coordinates). */
export function isFaultRecord(event: HistoryEvent): event is FaultRecord {
  return event.kind === 'fault' && 'layer' in event && 'params' in event;
}
