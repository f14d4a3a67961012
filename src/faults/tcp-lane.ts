/**
 * One direction of a proxied TCP connection: bytes from `src` to `dst`, with the stream rules
 * selected for the connection applied while they are in force. Order is always kept: latency,
 * bandwidth and slicing only move release times later, never past an earlier chunk.
 */

import type { Socket } from 'node:net';
import type { RuleGate } from './gate.js';
import type { Rng } from './random.js';
import type { Direction, StreamRule } from './types.js';

export interface LaneContext {
  gate: RuleGate;
  clock: () => number;
  /** Records a stream fault for this connection. */
  record(
    rule: StreamRule,
    params: Record<string, unknown>,
    direction: Direction | undefined,
    frame?: string,
  ): void;
  /** The rule's random stream for this connection and direction. */
  stream(rule: StreamRule, direction: Direction): Rng;
  /** Resets both sockets of the connection (TCP RST). */
  reset(): void;
  /** Shared by both lanes: a blackhole rule with a duration holds both directions. */
  blackholeUntil: Map<string, number>;
  /** Rules that already recorded their first action on this connection. */
  announced: Set<string>;
  countBytes(direction: Direction, n: number): void;
}

interface Pending {
  data: Buffer;
  at: number;
}

export class Lane {
  private readonly queue: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastAt = 0;
  private bandwidthFreeAt = 0;
  private readonly resetCount = new Map<string, number>();
  private ended = false;
  private closed = false;

  constructor(
    readonly direction: Direction,
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly rules: readonly StreamRule[],
    private readonly ctx: LaneContext,
  ) {}

  onData(chunk: Buffer): void {
    const ctx = this.ctx;
    ctx.countBytes(this.direction, chunk.length);
    if (this.rules.length === 0 && this.queue.length === 0) {
      this.write(chunk);
      return;
    }
    const now = ctx.clock();
    const data = chunk;
    let at = now;
    let slice: { bytes: number; delayMs: number } | undefined;
    let bandwidth = 0;
    for (const rule of this.rules) {
      const a = rule.action;
      if (!this.applies(rule, now)) continue;
      switch (a.type) {
        case 'blackhole': {
          const until = ctx.blackholeUntil.get(rule.id);
          if (a.ms !== undefined && until === undefined) {
            ctx.blackholeUntil.set(rule.id, now + a.ms);
            ctx.record(rule, { ms: a.ms }, rule.match.direction, preview(chunk));
          } else if (a.ms === undefined) {
            this.announce(rule, {}, chunk);
          }
          if (a.ms === undefined || now < ctx.blackholeUntil.get(rule.id)!) return;
          break;
        }
        case 'reset': {
          const passed = this.resetCount.get(rule.id) ?? 0;
          if (passed + data.length >= a.afterBytes) {
            const head = data.subarray(0, Math.max(0, a.afterBytes - passed));
            ctx.record(rule, { afterBytes: a.afterBytes }, this.direction, preview(chunk));
            if (head.length > 0) this.dst.write(head);
            ctx.reset();
            return;
          }
          this.resetCount.set(rule.id, passed + data.length);
          break;
        }
        case 'latency': {
          const jitter = a.jitterMs > 0 ? ctx.stream(rule, this.direction).int(a.jitterMs + 1) : 0;
          at += a.ms + jitter;
          this.announce(rule, { ms: a.ms, jitterMs: a.jitterMs }, chunk);
          break;
        }
        case 'bandwidth':
          bandwidth = bandwidth === 0 ? a.bytesPerSecond : Math.min(bandwidth, a.bytesPerSecond);
          this.announce(rule, { bytesPerSecond: a.bytesPerSecond }, chunk);
          break;
        case 'slice':
          slice = a;
          this.announce(rule, { bytes: a.bytes, delayMs: a.delayMs }, chunk);
          break;
      }
    }
    const pieces = slice ? split(data, slice.bytes) : [data];
    for (let i = 0; i < pieces.length; i++) {
      let t = Math.max(at + (slice ? i * slice.delayMs : 0), this.lastAt);
      if (bandwidth > 0) {
        // Like a slow link: the piece is released when its last byte would have crossed it.
        t = Math.max(t, this.bandwidthFreeAt) + (pieces[i]!.length / bandwidth) * 1000;
        this.bandwidthFreeAt = t;
      }
      this.lastAt = t;
      this.queue.push({ data: pieces[i]!, at: t });
    }
    this.flush();
  }

  /** The source ended (FIN): pass it on after what is queued, unless a blackhole swallows it. */
  onEnd(): void {
    this.ended = true;
    this.flush();
  }

  dispose(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private applies(rule: StreamRule, now: number): boolean {
    if (rule.match.direction !== undefined && rule.match.direction !== this.direction) return false;
    if (rule.action.type === 'blackhole' && rule.action.ms !== undefined) {
      const until = this.ctx.blackholeUntil.get(rule.id);
      // Once triggered, a timed blackhole runs its course whatever the window does.
      if (until !== undefined) return now < until;
    }
    return this.ctx.gate.isActive(rule, now);
  }

  private announce(rule: StreamRule, params: Record<string, unknown>, chunk: Buffer): void {
    const key = `${rule.id}\u0000${this.direction}`;
    if (this.ctx.announced.has(key)) return;
    this.ctx.announced.add(key);
    this.ctx.record(rule, params, this.direction, preview(chunk));
  }

  private flush(): void {
    if (this.closed) return;
    const now = this.ctx.clock();
    while (this.queue.length > 0 && this.queue[0]!.at <= now) this.write(this.queue.shift()!.data);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length > 0) {
      this.timer = setTimeout(() => this.flush(), Math.max(1, Math.ceil(this.queue[0]!.at - now)));
      return;
    }
    if (this.ended && !this.blackholed()) this.dst.end();
  }

  private blackholed(): boolean {
    const now = this.ctx.clock();
    return this.rules.some((r) => r.action.type === 'blackhole' && this.applies(r, now));
  }

  private write(data: Buffer): void {
    if (this.dst.destroyed) return;
    // Backpressure: stop reading the source until the destination drains.
    if (!this.dst.write(data) && !this.src.isPaused()) {
      this.src.pause();
      this.dst.once('drain', () => this.src.resume());
    }
  }
}

function split(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

/** A readable rendering of the first bytes of a chunk for the fault event (binary protocols). */
export function preview(chunk: Buffer): string {
  const head = chunk.subarray(0, 48);
  let text = '';
  for (const b of head)
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  return chunk.length > head.length ? `${text}… (${chunk.length} bytes)` : text;
}
