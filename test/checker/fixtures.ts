/**
 * Small builders that write literal histories for the checker: frames as the ran driver records
 * them, bot events as the bots record them, with a clock the test moves by hand. The defaults
 * play a correct server; each test then leaves out or bends the one thing it is about.
 */

import type { CheckContext } from '../../src/checker/types.js';
import type { ActorId, CloseEvent, FaultEvent, HistoryEvent } from '../../src/history/events.js';
import {
  CAPS,
  type Cap,
  type FrameType,
  type Limits,
  type ReceiptStatus,
} from '../../src/protocol/frames.js';
import type { Expectations } from '../../src/scenarios/types.js';

export const LIMITS: Limits = {
  maxFrameBytes: 65_536,
  maxBodyBytes: 16_384,
  syncLimitMax: 200,
  pushWindow: 100,
  repushMs: 500,
  dedupWindowMs: 86_400_000,
  helloTimeoutMs: 10_000,
  idleMs: 120_000,
};

/** With repushMs 500 the default grace is the 2000 ms floor. */
export const GRACE = 2000;

export interface M {
  cmid: string;
  from: string;
  sender: ActorId;
  to: string;
  body: string;
  rid: string;
  smid?: string;
  seq?: number;
}

function userOf(actor: ActorId): string {
  return actor.slice(0, actor.indexOf('/'));
}

export class H {
  readonly events: HistoryEvent[] = [];
  t = 0;
  private readonly conn = new Map<ActorId, number>();
  private readonly open = new Set<ActorId>();
  private readonly inbox = new Map<string, number>();
  private rid = 0;
  private cmid = 0;
  private smid = 0;
  readonly actors = new Set<ActorId>();

  /** Declares a bot (for one that never connects). */
  bot(...actors: ActorId[]): this {
    for (const a of actors) this.actors.add(a);
    return this;
  }

  tick(ms = 1): this {
    this.t += ms;
    return this;
  }

  add(e: HistoryEvent): number {
    this.events.push(e);
    return this.events.length - 1;
  }

  /** The index the next event will get. */
  get next(): number {
    return this.events.length;
  }

  connOf(actor: ActorId): number {
    return this.conn.get(actor) ?? 0;
  }

  out(
    actor: ActorId,
    type: FrameType | undefined,
    fields: Record<string, unknown>,
    invalid?: string,
  ): number {
    this.tick(0.1);
    const e: HistoryEvent = {
      kind: 'frame',
      t: this.t,
      actor,
      conn: this.connOf(actor),
      dir: 'out',
      type,
      fields,
      raw: JSON.stringify({ type, ...fields }),
    };
    if (invalid !== undefined) e.invalid = invalid;
    return this.add(e);
  }

  in(actor: ActorId, type: FrameType | undefined, fields: Record<string, unknown>, invalid?: string): number {
    this.tick(0.1);
    const e: HistoryEvent = {
      kind: 'frame',
      t: this.t,
      actor,
      conn: this.connOf(actor),
      dir: 'in',
      type,
      fields,
      raw: JSON.stringify({ type, ...fields }),
    };
    if (invalid !== undefined) e.invalid = invalid;
    return this.add(e);
  }

  newRid(): string {
    return `r${++this.rid}`;
  }

  /** Sends an R and returns its rid. */
  request(actor: ActorId, type: FrameType, fields: Record<string, unknown> = {}): string {
    const rid = this.newRid();
    this.out(actor, type, { rid, ...fields });
    return rid;
  }

  maxSeq(user: string): number {
    return this.inbox.get(user) ?? 0;
  }

  /** hello:R → hello:A → session. `pending` defaults to what a correct server says. */
  connect(
    actor: ActorId,
    opts: { lastSeq?: number; pending?: number; maxSeq?: number; caps?: Cap[] } = {},
  ): number {
    this.actors.add(actor);
    const n = this.connOf(actor) + 1;
    this.conn.set(actor, n);
    this.open.add(actor);
    const user = userOf(actor);
    const maxSeq = opts.maxSeq ?? this.maxSeq(user);
    const pending = opts.pending ?? (opts.lastSeq === undefined ? 0 : Math.max(0, maxSeq - opts.lastSeq));
    const hello: Record<string, unknown> = { user, device: actor.slice(user.length + 1), token: 't' };
    if (opts.lastSeq !== undefined) hello['lastSeq'] = opts.lastSeq;
    const rid = this.request(actor, 'hello:R', hello);
    const caps = opts.caps ?? [...CAPS];
    this.in(actor, 'hello:A', {
      rid,
      user,
      device: hello['device'],
      maxSeq,
      pending,
      caps,
      limits: LIMITS,
      serverTime: 1,
    });
    return this.add({
      kind: 'session',
      t: this.t,
      actor,
      conn: n,
      maxSeq,
      pending,
      caps,
      limits: LIMITS,
      lastSeq: opts.lastSeq,
    });
  }

  /** Closes the actor's latest connection, or an earlier one (`conn`: its number). */
  close(actor: ActorId, initiator: CloseEvent['initiator'] = 'server', code?: number, conn?: number): number {
    if (conn === undefined || conn === this.connOf(actor)) this.open.delete(actor);
    this.tick(0.1);
    return this.add({
      kind: 'close',
      t: this.t,
      actor,
      conn: conn ?? this.connOf(actor),
      initiator,
      code,
      reason: '',
    });
  }

  /** What the runner does after the case: every bot closes. */
  teardown(): void {
    for (const actor of [...this.open]) this.close(actor, 'client');
  }

  /** The app decides to send (send event) and the msg:R goes out. */
  send(sender: ActorId, to: string, opts: { cmid?: string; body?: string; event?: boolean } = {}): M {
    this.actors.add(sender);
    const cmid = opts.cmid ?? `c${++this.cmid}`;
    const body = opts.body ?? `body of ${cmid}`;
    if (opts.event !== false) this.add({ kind: 'send', t: this.t, actor: sender, cmid, to, body });
    const rid = this.request(sender, 'msg:R', { cmid, to, body });
    return { cmid, from: userOf(sender), sender, to, body, rid };
  }

  /** The bot resends msg:R with the same cmid (new rid). */
  retransmit(m: M, reason: 'timeout' | 'reconnect' = 'timeout'): string {
    this.add({ kind: 'retransmit', t: this.t, actor: m.sender, cmid: m.cmid, attempt: 2, reason });
    m.rid = this.request(m.sender, 'msg:R', { cmid: m.cmid, to: m.to, body: m.body });
    return m.rid;
  }

  /** msg:A; a correct server assigns the smid and the receiver's next seq once. */
  accept(m: M, opts: { dup?: boolean; smid?: string; seq?: number; rid?: string } = {}): number {
    if (opts.smid !== undefined || m.smid === undefined) {
      m.smid = opts.smid ?? `s${++this.smid}`;
      m.seq = opts.seq ?? this.maxSeq(m.to) + 1;
      this.inbox.set(m.to, Math.max(this.maxSeq(m.to), m.seq));
    }
    const fields: Record<string, unknown> = { rid: opts.rid ?? m.rid, cmid: m.cmid, smid: m.smid, ts: 1 };
    if (opts.dup) fields['dup'] = true;
    return this.in(m.sender, 'msg:A', fields);
  }

  stored(m: M): Record<string, unknown> {
    return { smid: m.smid, cmid: m.cmid, from: m.from, to: m.to, body: m.body, seq: m.seq, ts: 1 };
  }

  push(actor: ActorId, m: M, opts: { attempt?: number | null; seq?: number; body?: string } = {}): number {
    const fields: Record<string, unknown> = { ...this.stored(m), attempt: opts.attempt ?? 1 };
    if (opts.attempt === null) delete fields['attempt'];
    if (opts.seq !== undefined) fields['seq'] = opts.seq;
    // SEQ-4: a correct server's inbox is contiguous here, so the previous seq is the one below.
    fields['prevSeq'] = (fields['seq'] as number) - 1;
    if (opts.body !== undefined) fields['body'] = opts.body;
    return this.in(actor, 'msg:N', fields);
  }

  commit(actor: ActorId, m: M, opts: { via?: 'push' | 'sync'; seq?: number; body?: string } = {}): number {
    this.tick(0.1);
    return this.add({
      kind: 'commit',
      t: this.t,
      actor,
      smid: m.smid!,
      cmid: m.cmid,
      from: m.from,
      seq: opts.seq ?? m.seq,
      body: opts.body ?? m.body,
      via: opts.via ?? 'push',
    });
  }

  /** ack:R upTo → ack:A with the given cursor (default: a correct one). */
  ack(actor: ActorId, upTo: number, answer?: number): { rid: string; idx: number } {
    const rid = this.request(actor, 'ack:R', { upTo });
    const idx = this.in(actor, 'ack:A', { rid, upTo: answer ?? upTo });
    return { rid, idx };
  }

  receipt(actor: ActorId, m: M, status: ReceiptStatus): number {
    const idx = this.in(actor, 'ack:N', { cmid: m.cmid, smid: m.smid, to: m.to, status, ts: 1 });
    this.add({ kind: 'receipt', t: this.t, actor, cmid: m.cmid, smid: m.smid!, status });
    return idx;
  }

  /** The six frames of one delivered message to every given receiver device, plus send and commit. */
  deliver(sender: ActorId, receivers: ActorId[], opts: { receipt?: boolean } = {}): M {
    const to = userOf(receivers[0]!);
    const m = this.send(sender, to);
    this.tick(1);
    this.accept(m);
    for (const r of receivers) {
      this.tick(1);
      this.push(r, m);
      this.commit(r, m);
      this.ack(r, m.seq!);
    }
    if (opts.receipt !== false) {
      this.tick(1);
      this.receipt(sender, m, 'delivered');
    }
    return m;
  }

  sync(
    actor: ActorId,
    req: { after?: number; before?: number; limit: number; ackUpTo?: number },
    page: { msgs: M[]; more: boolean; maxSeq?: number },
  ) {
    const rid = this.request(actor, 'sync:R', req);
    const idx = this.in(actor, 'sync:A', {
      rid,
      msgs: page.msgs.map((m) => this.stored(m)),
      more: page.more,
      maxSeq: page.maxSeq ?? this.maxSeq(userOf(actor)),
    });
    return { rid, idx };
  }

  target(action: 'kill' | 'restart' | 'term' | 'pause' | 'resume' | 'start' | 'exited'): number {
    this.tick(0.1);
    return this.add({ kind: 'target', t: this.t, action });
  }

  fault(action: string, opts: { actor?: ActorId; frame?: unknown } = {}): number {
    this.tick(0.1);
    const e: FaultEvent = { kind: 'fault', t: this.t, rule: 'r', action };
    if (opts.actor !== undefined) e.actor = opts.actor;
    if (opts.frame !== undefined)
      e.frame = typeof opts.frame === 'string' ? opts.frame : JSON.stringify(opts.frame);
    return this.add(e);
  }

  /** Something happens at the current time (the clock only counts when an event lands on it). */
  mark(label = 'step'): number {
    return this.add({ kind: 'step', t: this.t, index: 0, label });
  }

  /** Let time pass with an event at the end of it. */
  wait(ms: number): this {
    this.tick(ms);
    this.mark('wait');
    return this;
  }
}

export const EXPECT: Expectations = { exactlyOnce: true, allAccepted: true, receipt: 'delivered' };

/** A context for the builder's actors: every cap claimed unless told otherwise. */
export function ctx(
  h: H,
  over: Partial<Omit<CheckContext, 'expect'>> & { expect?: Partial<Expectations> } = {},
): CheckContext {
  const users: Record<string, string[]> = {};
  for (const actor of h.actors) {
    const user = userOf(actor);
    const list = users[user] ?? [];
    list.push(actor.slice(user.length + 1));
    users[user] = list;
  }
  return {
    users,
    caps: [...CAPS],
    ...over,
    expect: { ...EXPECT, ...over.expect },
  };
}

/** "kind REQ-n" of every finding, for compact assertions. */
export function summary(result: { findings: { kind: string; requirement: string }[] }): string[] {
  return result.findings.map((f) => `${f.kind} ${f.requirement}`);
}

export { CAPS };
