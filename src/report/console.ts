/**
 * The console reporter (the default): one line per case as it finishes, details under each case
 * that needs attention (requirement, expected, actual, wire-log excerpt, replay command), and a
 * summary line. On a TTY a progress line shows what is running and is overwritten in place.
 * Colours only on a TTY and never when NO_COLOR is set (https://no-color.org).
 */

import { formatElapsed, summaryLine } from './format.js';
import { bounceLine } from './target-evidence.js';
import type { CaseResult, Reporter, RunResult, Verdict } from './types.js';
import { failNote } from './verdict.js';
import { printable } from './wire-log.js';

/** What the console reporter writes to: process.stdout or any writable with the same shape. */
export interface OutputStream {
  write(chunk: string): unknown;
  /** Set by Node on terminal streams. */
  isTTY?: boolean;
}

export interface ConsoleReporterOptions {
  /** Draw the overwritten progress line. @default stream.isTTY === true */
  tty?: boolean;
  /** ANSI colours. @default tty && NO_COLOR is unset or empty */
  color?: boolean;
  /** Environment read for NO_COLOR. @default process.env */
  env?: Record<string, string | undefined>;
  /** Findings shown in full under a failing case; the rest are counted. @default 3 */
  maxFindings?: number;
  /** The command the summary's first line names (`imspec check …`). @default 'run' */
  commandName?: string;
}

const STYLE: Record<Verdict, [open: string, label: string]> = {
  PASS: ['\x1b[32m', 'PASS'],
  FAIL: ['\x1b[1;31m', 'FAIL'],
  WARN: ['\x1b[33m', 'WARN'],
  INFO: ['\x1b[36m', 'INFO'],
  UNSUPPORTED: ['\x1b[2m', 'UNSUP'],
  INCONCLUSIVE: ['\x1b[1;34m', 'INCON'],
  ERROR: ['\x1b[1;35m', 'ERROR'],
  FLAKY: ['\x1b[1;33m', 'FLAKY'],
  XFAIL: ['\x1b[2m', 'XFAIL'],
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const CLEAR_LINE = '\r\x1b[2K';

/** Verdicts whose details (findings, wire log, replay) are printed under the case line. */
const DETAILED = new Set<Verdict>(['FAIL', 'WARN', 'FLAKY', 'ERROR', 'INCONCLUSIVE']);

/** Id column width: most case ids fit, longer ones push the time column right. */
const ID_WIDTH = 44;

export class ConsoleReporter implements Reporter {
  private readonly tty: boolean;
  private readonly color: boolean;
  private readonly maxFindings: number;
  private readonly commandName: string;
  private readonly running = new Map<string, number>();
  /** Verdict each case was printed with, to catch changes made after (expected failures). */
  private readonly printed = new Map<string, Verdict>();
  private total = 0;
  private done = 0;
  private progressShown = false;

  constructor(
    private readonly stream: OutputStream,
    options: ConsoleReporterOptions = {},
  ) {
    const env = options.env ?? process.env;
    this.tty = options.tty ?? stream.isTTY === true;
    this.color = options.color ?? (this.tty && !env['NO_COLOR']);
    this.maxFindings = options.maxFindings ?? 3;
    this.commandName = options.commandName ?? 'run';
  }

  onRunStart(info: { runId: string; target: string; driver: string; total: number }): void {
    this.total = info.total;
    this.write(
      `imspec ${this.commandName} ${info.runId}: ${info.total} case${info.total === 1 ? '' : 's'} against ${info.target} (driver ${info.driver})\n`,
    );
  }

  onCaseStart(info: { id: string; index: number; total: number }): void {
    this.total = info.total;
    this.running.set(info.id, info.index);
    this.drawProgress();
  }

  onCaseResult(result: CaseResult): void {
    this.running.delete(result.id);
    this.done++;
    this.printed.set(result.id, result.verdict);
    this.clearProgress();
    this.stream.write(this.render(result));
    this.drawProgress();
  }

  onRunEnd(result: RunResult): void {
    this.clearProgress();
    // A result replayed from a file (or a runner that reports only at the end) still gets its lines.
    for (const c of result.cases) if (!this.printed.has(c.id)) this.stream.write(this.render(c));
    // A verdict changed after the case was printed (an exemption applied at the end): say so.
    const changed = result.cases.filter(
      (c) => this.printed.has(c.id) && this.printed.get(c.id) !== c.verdict,
    );
    if (changed.length > 0) {
      this.stream.write('\nafter --expect-failures:\n');
      for (const c of changed) this.stream.write(this.render(c));
    }
    if (result.staleExemptions.length > 0) {
      const head =
        'stale exemptions (these cases no longer fail as expected; remove them from the expected-failures file):';
      this.write(
        `\n${this.paint('\x1b[1;31m', head)}\n${result.staleExemptions.map((id) => `  ${id}`).join('\n')}\n`,
      );
    }
    if (result.notRunExemptions.length > 0) {
      this.write(
        `\nexpected failures not run (their cases were not selected): ${result.notRunExemptions.join(', ')}\n`,
      );
    }
    if (result.interrupted) {
      const { signal, completed, total } = result.interrupted;
      this.write(
        `\n${this.paint('\x1b[1;33m', `interrupted by ${signal} after ${completed} of ${total} cases: the summary covers those only`)}\n`,
      );
    }
    const line = summaryLine(result.cases, result.staleExemptions.length, result.durationMs);
    const colour = result.exitCode === 0 ? '\x1b[1;32m' : '\x1b[1;31m';
    this.write(`\n${this.paint(colour, line)}\n`);
  }

  private render(result: CaseResult): string {
    return `${renderCase(result, { color: this.color, maxFindings: this.maxFindings }).join('\n')}\n`;
  }

  private drawProgress(): void {
    if (!this.tty || this.running.size === 0) return;
    const names = [...this.running.keys()];
    const shown = names.slice(0, 2).join(', ') + (names.length > 2 ? ` +${names.length - 2}` : '');
    this.stream.write(`${CLEAR_LINE}${this.paint(DIM, `[${this.done}/${this.total}] running ${shown}…`)}`);
    this.progressShown = true;
  }

  private clearProgress(): void {
    if (!this.progressShown) return;
    this.stream.write(CLEAR_LINE);
    this.progressShown = false;
  }

  private write(text: string): void {
    this.clearProgress();
    this.stream.write(text);
  }

  private paint(open: string, text: string): string {
    return this.color ? `${open}${text}${RESET}` : text;
  }
}

/** Pure: the lines for one case (no trailing newline). */
export function renderCase(
  result: CaseResult,
  options: { color: boolean; maxFindings?: number; maxFaults?: number },
): string[] {
  const paint = (open: string, text: string) => (options.color ? `${open}${text}${RESET}` : text);
  const [open, label] = STYLE[result.verdict];
  const time = formatElapsed(result.durationMs).padStart(8);
  // Reasons and findings quote what the server sent: printed only once made printable.
  const reason = result.reason === undefined ? undefined : printable(result.reason);
  const note = reason && !DETAILED.has(result.verdict) ? `  ${paint(DIM, reason)}` : '';
  const lines = [` ${paint(open, label.padEnd(5))}  ${result.id.padEnd(ID_WIDTH)} ${time}${note}`];
  if (!DETAILED.has(result.verdict)) return lines;

  const indent = '        ';
  if (result.verdict === 'ERROR' || result.verdict === 'FLAKY') {
    if (reason) lines.push(`${indent}${reason}`);
  } else if (result.verdict === 'FAIL') {
    const note = failNote(reason);
    if (note !== undefined) lines.push(`${indent}${note}`);
  }
  for (const u of result.preconditions ?? []) {
    lines.push(`${indent}${paint('\x1b[1m', `precondition ${u.precondition}`)} did not hold`);
    lines.push(`${indent}  expected: ${printable(u.expected)}`);
    lines.push(`${indent}  actual:   ${printable(u.actual)}`);
  }
  const max = options.maxFindings ?? 3;
  for (const f of result.findings.slice(0, max)) {
    lines.push(
      `${indent}${paint('\x1b[1m', `${f.requirement} (${f.level})`)} ${f.kind}${f.cmid ? ` cmid=${printable(f.cmid)}` : ''}`,
    );
    lines.push(`${indent}  expected: ${printable(f.expected)}`);
    lines.push(`${indent}  actual:   ${printable(f.actual)}`);
  }
  if (result.findings.length > max) lines.push(`${indent}… ${result.findings.length - max} more findings`);
  if (result.passRate && result.passRate.failingSeeds.length > 0) {
    lines.push(`${indent}failing seeds: ${result.passRate.failingSeeds.join(', ')}`);
  }
  for (const wire of result.wireLog) lines.push(`${indent}${paint(DIM, wire)}`);
  lines.push(...renderFaults(result, indent, options.maxFaults ?? 8));
  lines.push(...renderTarget(result, indent, paint));
  if (result.replays && result.replays.length > 0) {
    // --repeat: every failing seed gets its own exact command.
    for (const replay of result.replays) lines.push(`${indent}replay: ${replay}`);
  } else if (result.replay) {
    lines.push(`${indent}replay: ${result.replay}`);
  }
  const m = result.minimized;
  if (m) {
    lines.push(
      `${indent}minimised: ${m.events} of ${m.of} faults still fail it (${m.runs} replays${m.exhausted ? ', budget spent' : ''}): ${m.file}`,
    );
  }
  return lines;
}

/** What the target process did during the case (bounce counts, its last log lines). */
function renderTarget(
  result: CaseResult,
  indent: string,
  paint: (open: string, text: string) => string,
): string[] {
  const t = result.target;
  if (!t) return [];
  const lines = [`${indent}target: ${bounceLine(t)}`];
  if (t.logTail) {
    lines.push(`${indent}target log (last ${t.logTail.length} lines of the case):`);
    for (const l of t.logTail) lines.push(`${indent}  ${paint(DIM, l)}`);
  }
  return lines;
}

/** The injected faults of a case that needs attention: the first `max`, then a count. */
function renderFaults(result: CaseResult, indent: string, max: number): string[] {
  const faults = result.faults ?? [];
  if (faults.length === 0) return [];
  const lines = [
    `${indent}${faults.length} fault${faults.length === 1 ? '' : 's'} injected (seed ${result.seed}):`,
  ];
  for (const f of faults.slice(0, max)) {
    const who = f.actor ? ` ${f.actor}` : '';
    const frame = f.frame ? ` ${f.frame}` : '';
    lines.push(`${indent}  ${f.t.toFixed(1).padStart(8)} ms ${f.rule}: ${f.action}${who}${frame}`);
  }
  if (faults.length > max) lines.push(`${indent}  … ${faults.length - max} more (all in the JSON report)`);
  return lines;
}
