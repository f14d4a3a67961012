/**
 * A capture becomes a history: the same events a run records, so the same checker judges
 * recorded traffic. Pure and streaming: lines in, events out as they come.
 *
 * The wire shows frames; the checker also reads what the clients decided. Those are read off the
 * frames with the delivery model's client rules (docs/delivery-model.md), never guessed:
 * - the first msg:R of a (sender, cmid) is the app's `send`; a later one is a `retransmit`;
 * - a message is the device's (`commit`) when it reaches it, pushed or in a sync page: the server
 *   has done its part then, and passive checks judge the server. Taking the ack as the commit
 *   instead would blame the server for a client that cannot ack past a seq gap the server made
 *   (the gap is SEQ-1's, the messages were delivered). A second copy of a message the device
 *   has is a wire duplicate, not a second commit; acks only bound what is remembered;
 * - hello:A opens the `session` (count first) of its connection; a close line ends it.
 * So passive checks judge the server; what a client's app does with a message is not seen.
 */

import type { ActorId, HistoryEvent } from '../history/events.js';
import type { DecodedFrame, Direction, FrameCodec } from '../protocol/frame-codec.js';
import { CAPS, type Cap, type FrameType, type Limits } from '../protocol/frames.js';
import type { CaptureClose, CaptureFrame } from './types.js';

/** Frames of a connection held while its actor is unknown (before its login frame). */
const MAX_HELD = 64;
const KNOWN_CAPS: ReadonlySet<string> = new Set(CAPS);

interface Device {
  actor: ActorId;
  conns: number;
  /** The device acked everything up to this seq: it has all of it. */
  ackedUpTo: number;
  /** smid of each message received above `ackedUpTo`, by seq. */
  received: Map<number, string>;
  /** Messages without a seq received (their protocol has no cumulative ack to bound this). */
  unsequenced: Set<string>;
}

interface Conn {
  id: string;
  device: Device | undefined;
  n: number;
  /** Frames before the actor was known. */
  held: { t: number; frame: Normalized }[];
  helloLastSeq: number | undefined;
  closed: boolean;
  /** tcp codec: bytes of an unfinished frame, per direction. */
  partial: Partial<Record<Direction, Buffer>>;
}

interface Normalized {
  dir: Direction;
  type: FrameType | undefined;
  fields: Record<string, unknown>;
  raw: string;
  invalid?: string;
  actor?: string;
}

export interface CaptureConverterOptions {
  /** Decodes frames given as `bytes` (a driver's codec). */
  codec?: FrameCodec;
}

export interface CaptureSummary {
  /** History time of the last event. */
  endT: number;
  /** user → devices seen logging in. */
  users: Record<string, string[]>;
  /** Capabilities the hello:A frames claimed. */
  caps: Cap[];
  frames: number;
  /** Lines whose time went back, taken as happening at the previous line's time. */
  reordered: number;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class CaptureConverter {
  private t0: number | undefined;
  private lastT = 0;
  private reordered = 0;
  private frames = 0;
  private readonly conns = new Map<string, Conn>();
  private readonly devices = new Map<ActorId, Device>();
  /** user → cmid → requests seen, for send vs retransmit. */
  private readonly sent = new Map<string, Map<string, { attempts: number; conn: string }>>();
  private readonly caps = new Set<Cap>();

  constructor(
    private readonly emit: (event: HistoryEvent) => void,
    private readonly options: CaptureConverterOptions = {},
  ) {}

  /** One frame line. Throws an Error whose message says what is wrong with it. */
  frame(line: CaptureFrame): void {
    const t = this.time(line.t);
    const conn = this.conn(line.conn);
    if (conn.closed) throw new Error(`connection "${line.conn}" has a frame after its close line`);
    for (const frame of this.decode(line, conn)) {
      this.frames++;
      if (conn.device === undefined) {
        const actor = frame.actor ?? loginOf(frame);
        if (actor === undefined) {
          conn.held.push({ t, frame });
          if (conn.held.length > MAX_HELD) this.bind(conn, `?/${conn.id}`);
          continue;
        }
        this.bind(conn, actor);
      }
      this.onFrame(conn, t, frame);
    }
  }

  /** One close line. */
  close(line: CaptureClose): void {
    const t = this.time(line.t);
    const conn = this.conn(line.conn);
    if (conn.closed) throw new Error(`connection "${line.conn}" is closed twice`);
    if (conn.device === undefined) this.bind(conn, `?/${conn.id}`);
    conn.closed = true;
    this.emit({
      kind: 'close',
      t,
      actor: conn.device!.actor,
      conn: conn.n,
      initiator: line.by ?? 'network',
      code: undefined,
      reason: '',
    });
  }

  /** No more lines: frames still held go out under an unknown actor. */
  finish(): CaptureSummary {
    for (const conn of this.conns.values()) if (conn.device === undefined) this.bind(conn, `?/${conn.id}`);
    const users: Record<string, string[]> = {};
    for (const actor of this.devices.keys()) {
      if (actor.startsWith('?/')) continue;
      const [user, device] = actor.split('/') as [string, string];
      const devices = users[user] ?? [];
      devices.push(device);
      users[user] = devices;
    }
    return { endT: this.lastT, users, caps: [...this.caps], frames: this.frames, reordered: this.reordered };
  }

  private time(t: number): number {
    this.t0 ??= t;
    const rel = t - this.t0;
    if (rel < this.lastT) {
      this.reordered++;
      return this.lastT;
    }
    this.lastT = rel;
    return rel;
  }

  private conn(id: string): Conn {
    let conn = this.conns.get(id);
    if (!conn) {
      conn = { id, device: undefined, n: 0, held: [], helloLastSeq: undefined, closed: false, partial: {} };
      this.conns.set(id, conn);
    }
    return conn;
  }

  /** The frames of a line: normalized as given, or decoded from its bytes by the codec. */
  private decode(line: CaptureFrame, conn: Conn): Normalized[] {
    const base = line.actor === undefined ? {} : { actor: line.actor };
    if (line.bytes === undefined) {
      const frame: Normalized = {
        ...base,
        dir: line.dir,
        type: line.type ?? undefined,
        fields: line.fields ?? {},
        raw: line.raw ?? JSON.stringify({ type: line.type, ...line.fields }),
      };
      if (line.invalid !== undefined) frame.invalid = line.invalid;
      return [frame];
    }
    const codec = this.options.codec;
    if (!codec) throw new Error('a frame given as bytes needs a codec to decode it (imspec check --codec)');
    const bytes = Buffer.from(line.bytes, 'base64');
    const chunks = codec.transport === 'tcp' ? this.cut(conn, line.dir, bytes, codec) : [bytes];
    return chunks.map((b) => {
      const d: DecodedFrame = codec.decode(b, line.dir, true);
      const frame: Normalized = { ...base, dir: line.dir, type: d.type, fields: d.fields, raw: d.raw };
      if (d.invalid !== undefined) frame.invalid = d.invalid;
      if (d.login && frame.actor === undefined) frame.actor = `${d.login.user}/${d.login.device}`;
      return frame;
    });
  }

  /** A tcp codec's frames: lines may hold a frame, several, or a piece of one. */
  private cut(conn: Conn, dir: Direction, bytes: Buffer, codec: FrameCodec): Buffer[] {
    let buf = conn.partial[dir] ? Buffer.concat([conn.partial[dir], bytes]) : bytes;
    const out: Buffer[] = [];
    for (;;) {
      const n = codec.frameLength!(buf);
      if (n < 0) throw new Error(`the ${codec.name} codec cannot frame the bytes of ${dir} on "${conn.id}"`);
      if (n === 0 || buf.length < n) break;
      out.push(buf.subarray(0, n));
      buf = buf.subarray(n);
    }
    conn.partial[dir] = buf.length > 0 ? buf : undefined;
    return out;
  }

  /** The connection's actor is known: number the connection, release what was held. */
  private bind(conn: Conn, actor: string): void {
    let device = this.devices.get(actor);
    if (!device) {
      device = { actor, conns: 0, ackedUpTo: 0, received: new Map(), unsequenced: new Set() };
      this.devices.set(actor, device);
    }
    conn.device = device;
    conn.n = ++device.conns;
    const held = conn.held;
    conn.held = [];
    for (const h of held) this.onFrame(conn, h.t, h.frame);
  }

  private onFrame(conn: Conn, t: number, f: Normalized): void {
    const device = conn.device!;
    const actor = device.actor;
    const user = actor.slice(0, actor.indexOf('/'));
    if (f.dir === 'to-server' && f.invalid === undefined) {
      switch (f.type) {
        case 'msg:R':
          this.onSend(conn, user, actor, t, f.fields);
          break;
        case 'ack:R':
          this.acked(device, num(f.fields['upTo']));
          break;
        case 'sync:R':
          this.acked(device, num(f.fields['ackUpTo']));
          break;
        case 'hello:R':
          conn.helloLastSeq = num(f.fields['lastSeq']);
          this.acked(device, conn.helloLastSeq);
          break;
      }
    }
    const event: HistoryEvent = {
      kind: 'frame',
      t,
      actor,
      conn: conn.n,
      dir: f.dir === 'to-server' ? 'out' : 'in',
      type: f.type,
      fields: f.fields,
      raw: f.raw,
    };
    if (f.invalid !== undefined) event.invalid = f.invalid;
    this.emit(event);
    if (f.dir !== 'to-client' || f.invalid !== undefined) return;
    switch (f.type) {
      case 'hello:A':
        this.onSession(conn, t, f.fields);
        break;
      case 'msg:N':
        this.onReceived(device, t, f.fields, 'push');
        break;
      case 'sync:A':
        if (Array.isArray(f.fields['msgs'])) {
          for (const m of f.fields['msgs'] as Record<string, unknown>[])
            this.onReceived(device, t, m, 'sync');
        }
        break;
    }
  }

  private onSend(conn: Conn, user: string, actor: string, t: number, fields: Record<string, unknown>): void {
    const cmid = str(fields['cmid']);
    if (cmid === undefined) return;
    let byCmid = this.sent.get(user);
    if (!byCmid) {
      byCmid = new Map();
      this.sent.set(user, byCmid);
    }
    const seen = byCmid.get(cmid);
    if (!seen) {
      byCmid.set(cmid, { attempts: 1, conn: conn.id });
      this.emit({
        kind: 'send',
        t,
        actor,
        cmid,
        to: str(fields['to']) ?? '',
        body: str(fields['body']) ?? '',
      });
      return;
    }
    seen.attempts++;
    const reason = seen.conn === conn.id ? 'timeout' : 'reconnect';
    seen.conn = conn.id;
    this.emit({ kind: 'retransmit', t, actor, cmid, attempt: seen.attempts, reason });
  }

  private onSession(conn: Conn, t: number, fields: Record<string, unknown>): void {
    const claimed = Array.isArray(fields['caps'])
      ? (fields['caps'] as unknown[]).filter((c): c is Cap => typeof c === 'string' && KNOWN_CAPS.has(c))
      : [];
    for (const c of claimed) this.caps.add(c);
    const limits = typeof fields['limits'] === 'object' ? (fields['limits'] as Limits) : undefined;
    this.emit({
      kind: 'session',
      t,
      actor: conn.device!.actor,
      conn: conn.n,
      maxSeq: num(fields['maxSeq']) ?? 0,
      pending: num(fields['pending']) ?? 0,
      caps: claimed,
      limits,
      lastSeq: conn.helloLastSeq,
    });
  }

  private onReceived(device: Device, t: number, m: Record<string, unknown>, via: 'push' | 'sync'): void {
    const smid = str(m['smid']);
    const cmid = str(m['cmid']);
    const from = str(m['from']);
    if (smid === undefined || cmid === undefined || from === undefined) return;
    const seq = num(m['seq']);
    if (seq === undefined) {
      if (device.unsequenced.has(smid)) return;
      device.unsequenced.add(smid);
    } else {
      if (seq <= device.ackedUpTo || device.received.get(seq) === smid) return;
      device.received.set(seq, smid);
    }
    const body = str(m['body']) ?? '';
    this.emit({ kind: 'commit', t, actor: device.actor, smid, cmid, from, seq, body, via });
  }

  /** The device acked up to `upTo`: it has everything up to there, no need to remember it. */
  private acked(device: Device, upTo: number | undefined): void {
    if (upTo === undefined || upTo <= device.ackedUpTo) return;
    device.ackedUpTo = upTo;
    for (const seq of device.received.keys()) if (seq <= upTo) device.received.delete(seq);
  }
}

function loginOf(f: Normalized): string | undefined {
  if (f.dir !== 'to-server' || f.type !== 'hello:R') return undefined;
  const user = str(f.fields['user']);
  const device = str(f.fields['device']);
  return user && device ? `${user}/${device}` : undefined;
}
