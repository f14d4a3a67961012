/**
 * Wire-log excerpts: the few history events around a finding's evidence, rendered as readable
 * lines for the console and the reports, e.g.
 *
 *   > +12.345ms alice/phone#1 → msg:R {"rid":"r3","cmid":"c3",…}
 *     +13.020ms alice/phone#1 ← msg:A {"rid":"r3","cmid":"c3","smid":"s9","ts":1712…}
 *
 * `>` marks an evidence event; `→` is client→server, `←` server→client. Pure.
 */

import type { HistoryEvent } from '../history/events.js';

/** Longest rendering of a frame's members before it is cut with `…`. */
const FRAME_WIDTH = 96;
/** Longest rendering of any other text (bodies, reasons) before it is cut. */
const TEXT_WIDTH = 48;

/**
 * Lines around the evidence events, at most `maxLines` of them. Context (the events just before
 * and after each piece of evidence) shrinks until everything fits; `…` marks skipped events.
 * @param evidence indexes into `events`; out-of-range indexes are ignored.
 * @param maxLines @default 12
 */
export function renderWireLog(
  events: readonly HistoryEvent[],
  evidence: readonly number[],
  maxLines = 12,
): string[] {
  const marks = [...new Set(evidence)].filter((i) => Number.isInteger(i) && i >= 0 && i < events.length);
  marks.sort((a, b) => a - b);
  if (marks.length === 0 || maxLines <= 0) return [];
  const marked = new Set(marks);

  for (let context = 2; context >= 0; context--) {
    const windows = mergeWindows(marks, context, events.length);
    const lines = countLines(windows, events.length);
    if (lines <= maxLines) return renderWindows(events, windows, marked);
  }
  // Even the bare evidence does not fit: show as many as fit and say how many are left out.
  const shown = marks.slice(0, Math.max(0, maxLines - 1));
  const windows = mergeWindows(shown, 0, events.length);
  const out = renderWindows(events, windows, marked);
  while (out.length > maxLines - 1) out.pop();
  out.push(`  … ${marks.length - countMarked(out)} more evidence events`);
  return out;
}

type Window = [start: number, end: number];

function mergeWindows(marks: readonly number[], context: number, length: number): Window[] {
  const out: Window[] = [];
  for (const m of marks) {
    const start = Math.max(0, m - context);
    const end = Math.min(length - 1, m + context);
    const last = out[out.length - 1];
    // Adjacent windows merge too: a "…" line that hides nothing would waste a line.
    if (last && start <= last[1] + 1) last[1] = Math.max(last[1], end);
    else out.push([start, end]);
  }
  return out;
}

function countLines(windows: readonly Window[], length: number): number {
  let lines = 0;
  let previousEnd = -1;
  for (const [start, end] of windows) {
    if (start > previousEnd + 1) lines++;
    lines += end - start + 1;
    previousEnd = end;
  }
  if (previousEnd < length - 1) lines++;
  return lines;
}

function renderWindows(
  events: readonly HistoryEvent[],
  windows: readonly Window[],
  marked: ReadonlySet<number>,
): string[] {
  const out: string[] = [];
  let previousEnd = -1;
  for (const [start, end] of windows) {
    if (start > previousEnd + 1) out.push('  …');
    for (let i = start; i <= end; i++) out.push(renderEvent(events[i]!, marked.has(i)));
    previousEnd = end;
  }
  if (previousEnd < events.length - 1) out.push('  …');
  return out;
}

function countMarked(lines: readonly string[]): number {
  return lines.filter((l) => l.startsWith('>')).length;
}

/** One event as one line; `mark` flags it as evidence. */
export function renderEvent(event: HistoryEvent, mark = false): string {
  const prefix = `${mark ? '>' : ' '} +${event.t.toFixed(3)}ms`;
  switch (event.kind) {
    case 'frame': {
      const arrow = event.dir === 'out' ? '→' : '←';
      const who = `${event.actor}#${event.conn}`;
      if (event.type === undefined || event.invalid !== undefined) {
        const type = event.type ?? '?';
        return `${prefix} ${who} ${arrow} ${type} ${cut(event.raw, FRAME_WIDTH)} (invalid: ${cut(event.invalid ?? 'undecodable', TEXT_WIDTH)})`;
      }
      const { type: _type, ...members } = event.fields;
      return `${prefix} ${who} ${arrow} ${event.type} ${cut(JSON.stringify(members), FRAME_WIDTH)}`;
    }
    case 'send':
      return `${prefix} ${event.actor} send cmid=${event.cmid} to=${event.to}`;
    case 'retransmit':
      return `${prefix} ${event.actor} retransmit cmid=${event.cmid} attempt=${event.attempt} (${event.reason})`;
    case 'give-up':
      return `${prefix} ${event.actor} give-up cmid=${event.cmid} after ${event.attempts} attempts`;
    case 'commit':
      return `${prefix} ${event.actor} commit smid=${event.smid} cmid=${event.cmid} seq=${event.seq ?? '-'} via ${event.via}`;
    case 'dedup':
      return `${prefix} ${event.actor} dedup smid=${event.smid} seq=${event.seq ?? '-'} via ${event.via}`;
    case 'gap':
      return `${prefix} ${event.actor} gap have=${event.have} saw=${event.saw}`;
    case 'session':
      return `${prefix} ${event.actor}#${event.conn} session maxSeq=${event.maxSeq} pending=${event.pending} lastSeq=${event.lastSeq ?? '-'}`;
    case 'close':
      return `${prefix} ${event.actor}#${event.conn} close by ${event.initiator} code=${event.code ?? '-'}${event.reason ? ` ${cut(JSON.stringify(event.reason), TEXT_WIDTH)}` : ''}`;
    case 'misbehave':
      return `${prefix} ${event.actor} misbehave ${event.what}`;
    case 'target':
      return `${prefix} target ${event.action}${event.detail ? ` ${cut(event.detail, TEXT_WIDTH)}` : ''}`;
    case 'fault':
      return `${prefix} fault ${event.rule}: ${event.action}${event.actor ? ` ${event.actor}` : ''}${event.frame ? ` ${event.frame}` : ''}`;
    case 'step':
      return `${prefix} step ${event.index}${event.line === undefined ? '' : ` (line ${event.line})`}: ${event.label}`;
    case 'assert':
      return `${prefix} assert ${event.requirement} ${event.ok ? 'ok' : 'FAILED'}: expected ${cut(event.expected, TEXT_WIDTH)}, actual ${cut(event.actual, TEXT_WIDTH)}`;
    case 'receipt':
      return `${prefix} ${event.actor} receipt cmid=${event.cmid} smid=${event.smid} ${event.status}`;
  }
}

/**
 * `text` with control characters made visible: a newline or tab as `\n`, `\t`, any other as `�`.
 * For every line that quotes what a server sent: control characters would break the
 * one-line layout, and an escape sequence in an identifier would drive the reader's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : '�'));
}

/** Cuts `text` to `width` characters, keeping a closing brace so a cut object still reads as one. */
export function cut(text: string, width: number): string {
  const flat = printable(text);
  if (flat.length <= width) return flat;
  const closer = flat.endsWith('}') ? '}' : flat.endsWith(']') ? ']' : '';
  let head = flat.slice(0, Math.max(1, width - 1 - closer.length));
  // Never split a surrogate pair: half an emoji is not valid text in JSON or XML reports.
  if (/[\ud800-\udbff]$/.test(head)) head = head.slice(0, -1);
  return `${head}…${closer}`;
}
