/**
 * The frame codec: how the kit reads one protocol's frames without speaking it. A codec cuts a
 * byte stream into frames (or takes WebSocket messages as frames) and decodes each one into the
 * R/A/N model: its `op:KIND`, its members under RAN/1 names, and a readable rendering. Three
 * places use the same codec, so a protocol is described once:
 *
 * - the fault proxy (src/faults) selects frames by op, kind, direction and user, and records the
 *   frame's ids in fault events, so per-frame rules work on any protocol;
 * - a driver records its frames into the history with it (FrameEvent.type/fields/raw);
 * - passive checks (`imspec check`) turn captured bytes into history frames with it.
 *
 * Pure: bytes in, descriptions out. `decode` never throws — it sits on the boundary with
 * untrusted peers. RAN/1 is one codec (ran-codec.ts); a driver module may export its own.
 */

import type { FrameType } from './frames.js';

/** Relative to the server: `to-server` is client→server (R frames), `to-client` the other way. */
export type Direction = 'to-server' | 'to-client';

/** What a codec says about one frame. */
export interface DecodedFrame {
  /**
   * `op:KIND` in RAN/1 names (`msg:R`, `ack:N`, …); `undefined` for a frame with no RAN/1
   * counterpart (a keepalive, a subscription) or one that does not decode.
   */
  type: FrameType | undefined;
  /**
   * The frame's members under RAN/1 names (docs/protocol.md): `rid` on requests and their
   * answers, `cmid`, `smid`, `seq`, `upTo`, … — exactly what the driver records as
   * `FrameEvent.fields`. Leave out what the protocol lacks; keep protocol-only members under
   * names RAN/1 does not use.
   */
  fields: Record<string, unknown>;
  /** A readable one-line rendering (the wire text for text protocols), for wire logs. */
  raw: string;
  /** Set when the frame does not decode or breaks the protocol's own rules: what was wrong. */
  invalid?: string;
  /**
   * On the frame that logs a connection in (hello:R): who it is. The proxy learns the
   * connection's actor from it, for `user` selectors and "alice's 3rd msg:A" counting.
   */
  login?: { user: string; device: string };
}

/** The seeded stream a `corrupt` action draws from (a subset of the fault generator). */
export interface CodecRng {
  /** Integer in [0, n). */
  int(n: number): number;
}

/** A spoiled frame, ready to forward. */
export interface CorruptedFrame {
  frame: Uint8Array;
  /** WebSocket transport: send as a binary message. @default the original frame's kind */
  binary?: boolean;
  /** The mode actually applied (a codec may fall back from `schema` to `json`). */
  mode: 'json' | 'schema';
  /** The member spoiled, when the codec chose one. */
  field?: string;
}

export interface FrameCodec {
  /** Shown in fault-proxy messages, e.g. "ran", "binary-im". */
  readonly name: string;
  /**
   * `websocket`: every WebSocket message is one frame (the proxy is a WebSocket server).
   * `tcp`: the byte stream is cut with `frameLength` (the proxy is a TCP proxy).
   */
  readonly transport: 'websocket' | 'tcp';
  /**
   * `tcp` only: the length in bytes (header included) of the frame at the start of `buffer`;
   * 0 when more bytes are needed to tell; -1 when the bytes cannot start a frame (the proxy then
   * passes the rest of that direction through untouched, as undecodable). Never throws.
   */
  frameLength?(buffer: Uint8Array): number;
  /** Decodes one whole frame. `binary`: a WebSocket binary message (always true on tcp). Never throws. */
  decode(frame: Uint8Array, direction: Direction, binary: boolean): DecodedFrame;
  /**
   * Optional fast path for the fault proxy, which counts every frame by type but needs its
   * members only when a rule acts on it: the type `decode` would give, when it can be told
   * without decoding and `decode` would set neither `invalid` nor `login`; `undefined` otherwise
   * (the proxy then decodes). Never a different answer from `decode`. Never throws.
   */
  peekType?(frame: Uint8Array, direction: Direction, binary: boolean): FrameType | undefined;
  /**
   * Spoils a frame for a `corrupt` fault: `json` — the frame no longer decodes (the length
   * prefix, if any, stays consistent so the stream stays in step); `schema` — it decodes, but
   * member `field` (or one drawn from `rng`) holds a value the protocol forbids. Without it,
   * `corrupt` rules are refused for this protocol.
   */
  corrupt?(
    frame: Uint8Array,
    mode: 'json' | 'schema',
    field: string | undefined,
    rng: CodecRng,
  ): CorruptedFrame;
}
