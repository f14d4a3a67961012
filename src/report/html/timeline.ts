/**
 * A case's history → the diagram's model (TimelineModel). Pure and linear in the history.
 *
 * Bounded: a history longer than `maxEvents` keeps every finding's evidence, every injected fault
 * (up to half the budget, those linked to findings first), every target and step event, a window
 * of context around each of them, and the head and tail of the run; what is left out becomes
 * OmittedRange entries the page shows ("… 812 events left out: msg:R ×203, …"). So a 1M-frame
 * case makes a report of a few MB, not 1 GB, and the frames that prove a finding are always there.
 */

import type { Finding } from '../../checker/types.js';
import type { FrameEvent, HistoryEvent } from '../../history/events.js';
import { cut, renderEvent } from '../wire-log.js';
import {
  type FaultModel,
  type FrameModel,
  KEY_FIELDS,
  type OmittedRange,
  type TimelineEvent,
  type TimelineModel,
} from './model.js';

export interface TimelineOptions {
  /** Events kept at most (evidence is kept even beyond it). @default 20000 */
  maxEvents?: number;
  /** Events of context kept on each side of evidence and faults. @default 12 */
  context?: number;
  /** Longest raw frame text kept, in characters. @default 600 */
  rawWidth?: number;
}

export const TIMELINE_DEFAULTS: Readonly<Required<TimelineOptions>> = Object.freeze({
  maxEvents: 20_000,
  context: 12,
  rawWidth: 600,
});

/** The target's lane name. */
export const SERVER_LANE = 'server';

/** Fault fields the proxies record beyond the history's FaultEvent (src/faults/types.ts FaultRecord). */
interface FaultExtras {
  direction?: string;
  type?: string | null;
  params?: Record<string, unknown>;
  cause?: number;
}

export function buildTimeline(
  events: readonly HistoryEvent[],
  findings: readonly Finding[],
  options: TimelineOptions = {},
): TimelineModel {
  const opts = { ...TIMELINE_DEFAULTS, ...options };
  const links = linkFaults(events);
  const keep = chooseKept(events, findings, links, opts);
  const lanes = laneOrder(events);
  const out: TimelineEvent[] = [];
  const omitted: OmittedRange[] = [];
  let gap: OmittedRange | undefined;
  let withoutRaw = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (!keep[i]) {
      gap ??= { from: i, to: i, tFrom: round(e.t), tTo: round(e.t), count: 0, byType: {} };
      gap.to = i;
      gap.tTo = round(e.t);
      gap.count++;
      const label = e.kind === 'frame' ? (e.type ?? '?') : e.kind;
      gap.byType[label] = (gap.byType[label] ?? 0) + 1;
      continue;
    }
    if (gap) omitted.push(gap);
    gap = undefined;
    const model = toModel(e, i, links, opts.rawWidth);
    if (model.k === 'frame' && model.raw === undefined) withoutRaw++;
    out.push(model);
  }
  if (gap) omitted.push(gap);
  return { lanes, events: out, total: events.length, omitted, withoutRaw };
}

/** Which faults acted on which frames the bots saw, both ways (history indexes). */
export interface FaultLinks {
  frameOf: Map<number, number>;
  faultOf: Map<number, number>;
}

/**
 * Matches each frame fault to the frame the bot saw: a client→server frame was recorded by the bot
 * before the proxy acted on it (the latest earlier frame of that actor with the same key fields); a
 * server→client frame the proxy delayed, duplicated or reordered reaches the bot later (the next
 * frames with the same key fields). A dropped (or stall-swallowed) server→client frame has no
 * frame: the diagram draws the fault itself as a lost arrow.
 */
export function linkFaults(events: readonly HistoryEvent[]): FaultLinks {
  const frameOf = new Map<number, number>();
  const faultOf = new Map<number, number>();
  if (!events.some((e) => e.kind === 'fault')) return { frameOf, faultOf };
  const lastOut = new Map<string, number>();
  const pendingIn = new Map<string, { fault: number; left: number }>();
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.kind === 'frame') {
      const key = frameKey(e.actor, e.type, e.fields);
      if (e.dir === 'out') {
        lastOut.set(key, i);
        continue;
      }
      const pending = pendingIn.get(key);
      if (pending) {
        if (!frameOf.has(pending.fault)) frameOf.set(pending.fault, i);
        faultOf.set(i, pending.fault);
        if (--pending.left <= 0) pendingIn.delete(key);
      }
      continue;
    }
    if (e.kind !== 'fault' || e.actor === undefined || e.frame === undefined) continue;
    const extras = e as FaultExtras;
    const fields = parseFields(e.frame);
    if (!fields) continue;
    const type = extras.type ?? (typeof fields['type'] === 'string' ? fields['type'] : undefined);
    const key = frameKey(e.actor, type ?? undefined, fields);
    if (extras.direction === 'to-server') {
      const frame = lastOut.get(key);
      if (frame !== undefined) {
        frameOf.set(i, frame);
        faultOf.set(frame, i);
      }
    } else if (
      extras.direction === 'to-client' &&
      extras.cause === undefined &&
      e.action !== 'drop' &&
      e.action !== 'stall' &&
      e.action !== 'corrupt'
    ) {
      // A frame swallowed as a consequence (a stall) never arrives: a later frame with the same
      // fields is a re-push, not this one.
      const copies = typeof extras.params?.['copies'] === 'number' ? extras.params['copies'] : 0;
      pendingIn.set(key, { fault: i, left: 1 + copies });
    }
  }
  return { frameOf, faultOf };
}

function frameKey(actor: string, type: string | undefined, fields: Record<string, unknown>): string {
  let key = `${actor}|${type ?? '?'}`;
  for (const name of KEY_FIELDS) {
    const v = fields[name];
    if (v !== undefined) key += `|${name}=${String(v)}`;
  }
  return key;
}

function parseFields(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Longest key field shown. Identifiers are 1 to 64 characters (docs/protocol.md), but a hostile
 * server's 1 MB cmid, copied into every frame's model, took the page past V8's longest string.
 */
const FIELD_WIDTH = 120;

function keyFields(fields: Record<string, unknown>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const name of KEY_FIELDS) {
    const v = fields[name];
    if (typeof v === 'string') out[name] = cut(v, FIELD_WIDTH);
    else if (typeof v === 'number' || typeof v === 'boolean') out[name] = v;
  }
  return out;
}

function chooseKept(
  events: readonly HistoryEvent[],
  findings: readonly Finding[],
  links: FaultLinks,
  opts: Required<TimelineOptions>,
): Uint8Array {
  const n = events.length;
  const keep = new Uint8Array(n);
  if (n <= opts.maxEvents) return keep.fill(1);
  let kept = 0;
  const mark = (i: number) => {
    if (i >= 0 && i < n && !keep[i]) {
      keep[i] = 1;
      kept++;
    }
  };
  const anchors: number[] = [];
  for (const f of findings) {
    for (const i of f.evidence) {
      mark(i);
      anchors.push(i);
    }
  }
  // Faults tied to a finding's message first, then the others while half the budget lasts.
  const faultIdx: number[] = [];
  const findingIds = new Set(findings.flatMap((f) => [f.cmid, f.smid]).filter((x) => x !== undefined));
  const tied: number[] = [];
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    if (e.kind === 'target' || e.kind === 'step' || (e.kind === 'assert' && !e.ok)) mark(i);
    else if (e.kind === 'fault') {
      const fields = e.frame ? parseFields(e.frame) : undefined;
      const hit =
        fields && (findingIds.has(fields['cmid'] as string) || findingIds.has(fields['smid'] as string));
      (hit ? tied : faultIdx).push(i);
    }
  }
  for (const i of [...tied, ...faultIdx]) {
    if (kept >= opts.maxEvents / 2) break;
    mark(i);
    anchors.push(i);
    const frame = links.frameOf.get(i);
    if (frame !== undefined) mark(frame);
  }
  for (const a of anchors) {
    if (kept >= opts.maxEvents) break;
    for (let d = 1; d <= opts.context; d++) {
      mark(a - d);
      mark(a + d);
    }
  }
  // The rest of the budget: the run's beginning and its end.
  const rest = Math.max(0, opts.maxEvents - kept);
  let head = Math.ceil(rest / 2);
  for (let i = 0; i < n && head > 0; i++) {
    if (keep[i]) continue;
    mark(i);
    head--;
  }
  let tail = rest - Math.ceil(rest / 2);
  for (let i = n - 1; i >= 0 && tail > 0; i--) {
    if (keep[i]) continue;
    mark(i);
    tail--;
  }
  return keep;
}

/**
 * Lanes: actors that sent messages left of the server's lane, the others right of it, each side
 * in order of first appearance (alice | server | bob). With only one kind, half on each side.
 */
export function laneOrder(events: readonly HistoryEvent[]): string[] {
  const actors: string[] = [];
  const seen = new Set<string>();
  const senders = new Set<string>();
  for (const e of events) {
    const actor = 'actor' in e ? e.actor : undefined;
    if (actor === undefined) continue;
    if (e.kind === 'send' || (e.kind === 'frame' && e.dir === 'out' && e.type === 'msg:R'))
      senders.add(actor);
    if (seen.has(actor)) continue;
    seen.add(actor);
    actors.push(actor);
  }
  const left = actors.filter((a) => senders.has(a));
  const right = actors.filter((a) => !senders.has(a));
  if (left.length === 0 || right.length === 0) {
    const half = Math.ceil(actors.length / 2);
    return [...actors.slice(0, half), SERVER_LANE, ...actors.slice(half)];
  }
  return [...left, SERVER_LANE, ...right];
}

function toModel(e: HistoryEvent, i: number, links: FaultLinks, rawWidth: number): TimelineEvent {
  const t = round(e.t);
  switch (e.kind) {
    case 'frame':
      return frameModel(e, i, t, links, rawWidth);
    case 'fault': {
      const extras = e as typeof e & FaultExtras;
      const m: FaultModel = { k: 'fault', i, t, rule: e.rule, action: e.action };
      if (e.actor !== undefined) m.actor = e.actor;
      if (extras.direction !== undefined) m.direction = extras.direction;
      const fields = e.frame === undefined ? undefined : parseFields(e.frame);
      // A swallowed frame's record has no type of its own: its text says it.
      const type = typeof extras.type === 'string' ? extras.type : fields?.['type'];
      if (typeof type === 'string') m.type = type;
      if (e.frame !== undefined) m.frame = cut(e.frame, rawWidth);
      if (fields) m.fields = keyFields(fields);
      if (extras.params && Object.keys(extras.params).length > 0) m.params = { ...extras.params };
      const frame = links.frameOf.get(i);
      if (frame !== undefined) m.frameI = frame;
      if (extras.cause !== undefined) m.consequence = true;
      return m;
    }
    case 'target':
      return e.detail === undefined
        ? { k: 'target', i, t, action: e.action }
        : { k: 'target', i, t, action: e.action, detail: e.detail };
    case 'step':
      return { k: 'step', i, t, index: e.index, label: e.label };
    default: {
      const text = renderEvent(e).replace(/^[ >] \+[\d.]+ms /, '');
      const note: TimelineEvent = { k: 'note', i, t, kind: e.kind, text };
      if ('actor' in e && e.actor !== undefined) note.actor = e.actor;
      if (e.kind === 'assert' && !e.ok) note.failed = true;
      return note;
    }
  }
}

function frameModel(e: FrameEvent, i: number, t: number, links: FaultLinks, rawWidth: number): FrameModel {
  const m: FrameModel = {
    k: 'frame',
    i,
    t,
    actor: e.actor,
    conn: e.conn,
    dir: e.dir,
    type: e.type ?? '?',
    fields: keyFields(e.fields),
  };
  // A compact history keeps raw text only near findings (an empty or missing raw): show fields then.
  if (typeof e.raw === 'string' && e.raw.length > 0) m.raw = cut(e.raw, rawWidth);
  if (e.invalid !== undefined) m.invalid = e.invalid;
  const fault = links.faultOf.get(i);
  if (fault !== undefined) m.fault = fault;
  return m;
}

function round(t: number): number {
  return Math.round(t * 1000) / 1000;
}
