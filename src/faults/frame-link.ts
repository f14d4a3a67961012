/**
 * One proxied connection at the frame level, whatever carries the frames: the frame actions
 * (drop, duplicate, delay, reorder, corrupt, cut, stall) applied between a client and its own
 * upstream connection. The protocol is read through its frame codec (src/protocol/frame-codec.ts)
 * and the transport is behind a `FramePort`: WebSocket messages (ws-proxy.ts) or frames cut from
 * a TCP byte stream (frame-proxy.ts). Each proxy sets up its rules once (frame-rules.ts) and
 * creates one FrameLink per client connection.
 */

import type { DecodedFrame } from '../protocol/frame-codec.js';
import type { FrameInfo } from './frame-engine.js';
import type { Counter, LinkContext } from './frame-rules.js';
import type { Direction, FrameRule } from './types.js';

/** One frame as the transport carries it. */
export interface WireFrame {
  data: Uint8Array;
  /** WebSocket: a binary message (always true for a TCP codec, where it means nothing). */
  binary: boolean;
  /**
   * The frame's bytes as its transport carried them, when the port can send them on as they
   * are (a WebSocket frame read by ws-frames.ts); absent on a frame the proxy made (corrupt).
   */
  wire?: Uint8Array;
}

/** What a link needs from its transport. */
export interface FramePort {
  /** Hands a frame on towards the receiver of `direction`, if that side is still open. */
  send(direction: Direction, frame: WireFrame): void;
  /** Ends both connections now: orderly (`close`, with a close code where the transport has one) or TCP RST. */
  cut(mode: 'close' | 'reset', code: number): void;
}

interface Held {
  frame: WireFrame;
  remaining: number;
  timer: NodeJS.Timeout;
}

/** Longest frame text kept in a fault event; the rest is elided (bodies can be 16 KiB). */
const MAX_EVENT_TEXT = 4096;
/** Members a fault event keeps when the frame's own text cannot stand for it. */
const ID_MEMBERS = ['rid', 'cmid', 'smid', 'seq', 'upTo', 'status', 'to', 'from'] as const;

export class FrameLink {
  actor: string | undefined;
  user: string | undefined;
  /** Connection number of the actor; 0 until the login frame names the actor. */
  conn = 0;
  /** Names the connection in occurrence counts: the actor's, once the login frame named it. */
  private streamKey: string;
  /** We ended this connection (cut): do not mirror the resulting closes. */
  cut = false;
  private stalledUntil = 0;
  private stallCause = 0;
  private stallRule = '';
  private readonly held: Record<Direction, Held[]> = { 'to-server': [], 'to-client': [] };
  /**
   * This link's occurrence counters by frame type ('' when undecodable), per direction: building
   * the shared key and looking it up for every frame measured as a quarter of the rule path's
   * own cost. Emptied when the login frame moves the counting from the link to its actor.
   */
  private readonly counters: Record<Direction, Map<string, Counter>> = {
    'to-server': new Map(),
    'to-client': new Map(),
  };
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly index: number,
    private readonly port: FramePort,
    private readonly ctx: LinkContext,
  ) {
    this.streamKey = `?#${index}`;
  }

  /** Handles one frame on the rules path. */
  onFrame(direction: Direction, frame: WireFrame): void {
    const ctx = this.ctx;
    if (this.stalled()) {
      this.swallow(direction, frame, undefined);
      return;
    }
    // Most frames only need their type (to be counted and matched): the codec's fast path tells
    // it without decoding, and the frame is decoded only if a rule acts on it. A frame identity
    // is made of decoded members, so rules that draw on chance always decode.
    let decoded: DecodedFrame | undefined;
    let type =
      ctx.identities === undefined ? ctx.codec.peekType?.(frame.data, direction, frame.binary) : undefined;
    if (type === undefined) {
      decoded = ctx.codec.decode(frame.data, direction, frame.binary);
      type = decoded.invalid === undefined ? decoded.type : undefined;
      if (decoded.login && direction === 'to-server' && this.actor === undefined) {
        this.learnActor(decoded.login.user, decoded.login.device);
      }
      if (type === undefined) ctx.stats.undecodable++;
    }
    // Every frame that reaches the rules is counted, acted on or not: replay addresses frames by
    // this number ("alice's 3rd msg:A").
    const occurrence = ++this.counter(direction, type ?? '').n;
    const identity =
      ctx.identities === undefined
        ? ''
        : ctx.identities.of(direction, type === undefined ? undefined : { ...decoded!.fields, type }, {
            actor: this.actor,
            user: this.user,
            conn: this.actor === undefined ? this.index : this.conn,
          });
    const info: FrameInfo = {
      direction,
      type,
      user: this.user,
      actor: this.actor,
      identity,
    };
    const rule = ctx.engine.decide(info);
    if (!rule) {
      this.forward(direction, frame);
      return;
    }
    this.apply(
      rule,
      info,
      frame,
      decoded ?? ctx.codec.decode(frame.data, direction, frame.binary),
      occurrence,
    );
  }

  /** True while a `stall` swallows everything (a half-open peer answers nothing, not even pings). */
  stalled(): boolean {
    return (
      this.stalledUntil !== 0 &&
      (this.stalledUntil === Number.POSITIVE_INFINITY || this.ctx.clock() < this.stalledUntil)
    );
  }

  /** Swallows bytes a transport could not cut into frames while stalled; passes them otherwise. */
  onUnframed(direction: Direction, data: Uint8Array): void {
    if (this.stalled()) {
      this.swallow(direction, { data, binary: true }, `<${data.byteLength} unframed bytes>`);
      return;
    }
    this.port.send(direction, { data, binary: true });
  }

  /** Stops timers and drops held frames: the connection is gone. */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const dir of ['to-server', 'to-client'] as const) {
      for (const h of this.held[dir]) clearTimeout(h.timer);
      this.held[dir] = [];
    }
  }

  private learnActor(user: string, device: string): void {
    this.user = user;
    this.actor = `${user}/${device}`;
    this.conn = this.ctx.nextConn(this.actor);
    this.streamKey = `${this.actor}#${this.conn}`;
    this.counters['to-server'].clear();
    this.counters['to-client'].clear();
  }

  /** The count of (this connection's actor, or the link before login; direction; type). */
  private counter(direction: Direction, type: string): Counter {
    const mine = this.counters[direction];
    let counter = mine.get(type);
    if (counter === undefined) {
      counter = this.ctx.occurrences(`${this.actor ?? this.streamKey}|${direction}|${type}`);
      mine.set(type, counter);
    }
    return counter;
  }

  /** Sends a frame on, and counts it as a "later frame" for frames held by `reorder`. */
  private forward(direction: Direction, frame: WireFrame): void {
    this.port.send(direction, frame);
    const held = this.held[direction];
    if (held.length === 0) return;
    for (let i = 0; i < held.length; ) {
      const h = held[i]!;
      if (--h.remaining > 0) {
        i++;
        continue;
      }
      held.splice(i, 1);
      clearTimeout(h.timer);
      this.port.send(direction, h.frame);
    }
  }

  private apply(
    rule: FrameRule,
    info: FrameInfo,
    frame: WireFrame,
    decoded: DecodedFrame,
    occurrence: number,
  ): void {
    const { direction, type } = info;
    const action = rule.action;
    const record = (params: Record<string, unknown>): number =>
      this.ctx.record({
        rule: rule.id,
        action: action.type,
        actor: this.actor,
        frame: eventText(decoded),
        params,
        direction,
        type: type ?? null,
        occurrence,
        conn: this.conn,
        ...(info.identity ? { identity: info.identity } : {}),
      });
    switch (action.type) {
      case 'drop':
        record({});
        return;
      case 'duplicate':
        record({ copies: action.copies });
        this.forward(direction, frame);
        for (let i = 0; i < action.copies; i++) this.port.send(direction, frame);
        return;
      case 'delay': {
        const ms =
          action.ms +
          (action.jitterMs > 0 ? this.ctx.engine.actionDraws(rule, info).int(action.jitterMs + 1) : 0);
        record({ ms });
        this.later(ms, () => this.port.send(direction, frame));
        return;
      }
      case 'reorder': {
        record({ after: action.after, maxHoldMs: action.maxHoldMs });
        const held = this.held[direction];
        const h: Held = {
          frame,
          remaining: action.after,
          timer: setTimeout(() => {
            const i = held.indexOf(h);
            if (i >= 0) held.splice(i, 1);
            this.port.send(direction, frame);
          }, action.maxHoldMs),
        };
        held.push(h);
        return;
      }
      case 'corrupt': {
        // Rules are checked against the codec when the proxy starts (a codec without `corrupt`
        // refuses them), so this is always there.
        const spoiled = this.ctx.codec.corrupt!(
          frame.data,
          action.mode,
          action.field,
          this.ctx.engine.actionDraws(rule, info),
        );
        record(
          spoiled.field === undefined ? { mode: spoiled.mode } : { mode: spoiled.mode, field: spoiled.field },
        );
        this.forward(direction, { data: spoiled.frame, binary: spoiled.binary ?? frame.binary });
        return;
      }
      case 'cut':
        record({ mode: action.mode, code: action.code, forward: action.forward });
        if (action.forward) this.forward(direction, frame);
        this.cutNow(action.mode, action.code);
        return;
      case 'stall': {
        const id = record(action.ms === undefined ? {} : { ms: action.ms });
        this.stallCause = id;
        this.stallRule = rule.id;
        this.stalledUntil = action.ms === undefined ? Number.POSITIVE_INFINITY : this.ctx.clock() + action.ms;
        return;
      }
    }
  }

  /** A frame that arrived during a stall: gone, recorded as a consequence of the stall. */
  private swallow(direction: Direction, frame: WireFrame, text: string | undefined): void {
    this.ctx.record({
      rule: this.stallRule,
      action: 'stall',
      actor: this.actor,
      frame: text ?? eventText(this.ctx.codec.decode(frame.data, direction, frame.binary)),
      params: {},
      direction,
      conn: this.conn,
      cause: this.stallCause,
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Ends both connections now. */
  private cutNow(mode: 'close' | 'reset', code: number): void {
    this.cut = true;
    this.dispose();
    this.port.cut(mode, code);
  }
}

/**
 * The frame as a fault event shows it. The checker reads a fault's frame as JSON to learn its
 * type and ids (which push a drop excuses): a JSON text (RAN/1) stands for itself when short
 * enough; any other rendering, or a long one, becomes a JSON summary of the decoded frame.
 */
export function eventText(decoded: DecodedFrame): string {
  const raw = decoded.raw;
  if (decoded.type === undefined || (raw.length <= MAX_EVENT_TEXT && raw.charCodeAt(0) === 123) /* { */) {
    return raw.length > MAX_EVENT_TEXT ? `${raw.slice(0, MAX_EVENT_TEXT)}…` : raw;
  }
  const summary: Record<string, unknown> = { type: decoded.type };
  for (const k of ID_MEMBERS) if (decoded.fields[k] !== undefined) summary[k] = decoded.fields[k];
  summary['wire'] = raw.length > 200 ? `${raw.slice(0, 200)}…` : raw;
  return JSON.stringify(summary);
}
