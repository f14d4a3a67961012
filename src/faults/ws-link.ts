/**
 * One proxied WebSocket connection: the client's socket, its own upstream socket, and the fault
 * actions applied between them. The proxy (ws-proxy.ts) creates one Link per client connection.
 */

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { decode } from '../protocol/codec.js';
import type { Frame, FrameType } from '../protocol/frames.js';
import { corruptText } from './corrupt.js';
import type { FrameInfo, FrameRuleEngine } from './frame-engine.js';
import type { FrameIdentities } from './frame-identity.js';
import type { Direction, FaultRecord, FrameRule } from './types.js';

/** What every link of one proxy shares. */
export interface LinkContext {
  engine: FrameRuleEngine;
  /** Frame identities for the engine's draws; only when some rule draws on chance. */
  identities: FrameIdentities | undefined;
  clock: () => number;
  /** Records a fault and returns its id. */
  record(fields: Omit<FaultRecord, 'kind' | 't' | 'id' | 'layer'>): number;
  /** Next connection number for an actor (1, 2, … across reconnects). */
  nextConn(actor: string): number;
  /** Next occurrence number of (actor, direction, type). */
  nextOccurrence(key: string): number;
  stats: { undecodable: number };
}

interface Held {
  data: Buffer;
  isBinary: boolean;
  remaining: number;
  timer: NodeJS.Timeout;
}

const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;
/** Longest frame text kept in a fault event; the rest is elided (bodies can be 16 KiB). */
const MAX_EVENT_TEXT = 4096;

export class Link {
  actor: string | undefined;
  user: string | undefined;
  /** Connection number of the actor; 0 until hello:R names the actor. */
  conn = 0;
  /** Names the connection in occurrence counts: the actor's, once hello:R named it. */
  private streamKey: string;
  /** We ended this connection (cut): do not mirror the resulting closes. */
  cut = false;
  private stalledUntil = 0;
  private stallCause = 0;
  private stallRule = '';
  private readonly held: Record<Direction, Held[]> = { 'to-server': [], 'to-client': [] };
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly index: number,
    readonly client: WebSocket,
    readonly upstream: WebSocket,
    readonly clientSocket: Socket,
    readonly upstreamSocket: Socket | undefined,
    private readonly ctx: LinkContext,
  ) {
    this.streamKey = `?#${index}`;
  }

  /** Handles one message on the rules path (the proxy forwards directly when there are no rules). */
  onMessage(direction: Direction, data: Buffer, isBinary: boolean): void {
    const ctx = this.ctx;
    if (this.stalled()) {
      this.swallow(direction, data, isBinary);
      return;
    }
    let type: FrameType | undefined;
    let frame: Frame | undefined;
    if (!isBinary) {
      const decoded = decode(data);
      if (decoded.ok) {
        frame = decoded.frame;
        type = frame.type;
        if (frame.type === 'hello:R' && direction === 'to-server' && this.actor === undefined) {
          this.learnActor(frame.user, frame.device);
        }
      }
    }
    if (type === undefined) ctx.stats.undecodable++;
    // Every frame that reaches the rules is counted, acted on or not: replay addresses frames by
    // this number ("alice's 3rd msg:A").
    const occurrence = ctx.nextOccurrence(`${this.actor ?? this.streamKey}|${direction}|${type ?? ''}`);
    const conn = {
      actor: this.actor,
      user: this.user,
      conn: this.actor === undefined ? this.index : this.conn,
    };
    const identity = ctx.identities?.of(direction, frame, conn) ?? '';
    const info: FrameInfo = { direction, type, user: this.user, actor: this.actor, identity };
    const rule = ctx.engine.decide(info);
    if (!rule) {
      this.forward(direction, data, isBinary);
      return;
    }
    this.apply(rule, info, data, isBinary, occurrence);
  }

  /** Ping/pong pass through unless the connection is stalled (a half-open peer answers nothing). */
  onControl(direction: Direction, kind: 'ping' | 'pong', data: Buffer): void {
    if (this.stalled()) return;
    const target = this.target(direction);
    if (target.readyState !== 1) return;
    if (kind === 'ping') target.ping(data);
    else target.pong(data);
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
  }

  private stalled(): boolean {
    return (
      this.stalledUntil !== 0 &&
      (this.stalledUntil === Number.POSITIVE_INFINITY || this.ctx.clock() < this.stalledUntil)
    );
  }

  private target(direction: Direction): WebSocket {
    return direction === 'to-server' ? this.upstream : this.client;
  }

  private send(direction: Direction, data: Buffer | string, isBinary: boolean): void {
    const target = this.target(direction);
    if (target.readyState === 1) target.send(data, isBinary ? BINARY : TEXT);
  }

  /** Sends a frame on, and counts it as a "later frame" for frames held by `reorder`. */
  private forward(direction: Direction, data: Buffer | string, isBinary: boolean): void {
    this.send(direction, data, isBinary);
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
      this.send(direction, h.data, h.isBinary);
    }
  }

  private apply(rule: FrameRule, info: FrameInfo, data: Buffer, isBinary: boolean, occurrence: number): void {
    const { direction, type } = info;
    const action = rule.action;
    const record = (params: Record<string, unknown>): number =>
      this.ctx.record({
        rule: rule.id,
        action: action.type,
        actor: this.actor,
        frame: eventText(data, isBinary),
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
        this.forward(direction, data, isBinary);
        for (let i = 0; i < action.copies; i++) this.send(direction, data, isBinary);
        return;
      case 'delay': {
        const ms =
          action.ms +
          (action.jitterMs > 0 ? this.ctx.engine.actionDraws(rule, info).int(action.jitterMs + 1) : 0);
        record({ ms });
        this.later(ms, () => this.send(direction, data, isBinary));
        return;
      }
      case 'reorder': {
        record({ after: action.after, maxHoldMs: action.maxHoldMs });
        const held = this.held[direction];
        const h: Held = {
          data,
          isBinary,
          remaining: action.after,
          timer: setTimeout(() => {
            const i = held.indexOf(h);
            if (i >= 0) held.splice(i, 1);
            this.send(direction, data, isBinary);
          }, action.maxHoldMs),
        };
        held.push(h);
        return;
      }
      case 'corrupt': {
        const text = data.toString('utf8');
        const spoiled = corruptText(text, action.mode, action.field, this.ctx.engine.actionDraws(rule, info));
        record(
          spoiled.field === undefined ? { mode: spoiled.mode } : { mode: spoiled.mode, field: spoiled.field },
        );
        this.forward(direction, spoiled.text, false);
        return;
      }
      case 'cut':
        record({ mode: action.mode, code: action.code, forward: action.forward });
        if (action.forward) this.forward(direction, data, isBinary);
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
  private swallow(direction: Direction, data: Buffer, isBinary: boolean): void {
    this.ctx.record({
      rule: this.stallRule,
      action: 'stall',
      actor: this.actor,
      frame: eventText(data, isBinary),
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

  /** Ends both connections now: close frames with `code`, or TCP RST with no close frame. */
  private cutNow(mode: 'close' | 'reset', code: number): void {
    this.cut = true;
    this.dispose();
    if (mode === 'reset') {
      this.clientSocket.resetAndDestroy();
      if (this.upstreamSocket) this.upstreamSocket.resetAndDestroy();
      else this.upstream.terminate();
      return;
    }
    if (this.client.readyState === 1) this.client.close(code);
    if (this.upstream.readyState === 1) this.upstream.close(code);
  }
}

function eventText(data: Buffer, isBinary: boolean): string {
  if (isBinary) return `<binary ${data.length} bytes>`;
  const text =
    data.length > MAX_EVENT_TEXT * 3
      ? data.subarray(0, MAX_EVENT_TEXT * 3).toString('utf8')
      : data.toString('utf8');
  return text.length > MAX_EVENT_TEXT ? `${text.slice(0, MAX_EVENT_TEXT)}…` : text;
}
