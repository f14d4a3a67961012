/**
 * The always-on rules (docs/always-on.md) over the monitor's endless history: every event the
 * monitor records goes to the same judges the checker's engine runs on every case and load run
 * (ALWAYS_ON_RULES, the list behind the `always-on` entry of src/checker/rules.ts), and their
 * findings go through the same FindingSink (levels from docs/protocol.md; a requirement tagged
 * with a capability the server does not claim is not judged). So a canary that arrives with its
 * body cut or re-encoded (SEQ-3), a smid given to two messages (MSG-2) or a receipt sent to the
 * wrong user (RCPT-2) shows in production, not only in a conformance run.
 *
 * Not the whole case engine: its end-of-run rules (lost, unsettled, seq holes) judge a bounded
 * case, while the monitor's history never ends and its sessions outlive every cycle; the
 * monitor judges delivery itself (probe success, imspec_messages_lost_total).
 *
 * Memory follows two cycles, not the run's length: at each cycle's end the judges forget what was
 * born before the previous cycle started (their `forget` contract: a forgotten key is never read
 * as a violation), so a re-push or receipt that crosses one cycle boundary is still judged.
 */

import { ALWAYS_ON_RULES, AlwaysOnJudges } from '../checker/always-on/index.js';
import { FindingSink } from '../checker/findings.js';
import type { Finding } from '../checker/types.js';
import type { HistoryEvent } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';

/** Findings one cycle keeps per requirement; the rest are counted in the last one's text. */
const MAX_FINDINGS_PER_CYCLE = 20;

export class AlwaysOnWatch {
  private readonly judges: AlwaysOnJudges;
  private sink: FindingSink;
  /**
   * Capabilities the server claimed in its latest hello:A, read live by every sink (a finding
   * against a requirement whose cap is not claimed is dropped); none before the first login.
   */
  private readonly caps = new Set<Cap>();
  private index = 0;
  private previousCycleStart = 0;
  /** Events from `kept` on: the judges hold their indexes and read them back (ReadEvent). */
  private events: HistoryEvent[] = [];
  private kept = 0;

  constructor() {
    this.sink = this.newSink();
    this.judges = new AlwaysOnJudges(
      ALWAYS_ON_RULES,
      (finding) => this.sink.add(finding),
      (i) => this.events[i - this.kept]!,
    );
  }

  /** Every history event, in order. */
  event(e: HistoryEvent): void {
    if (e.kind === 'session') {
      this.caps.clear();
      for (const c of e.caps) this.caps.add(c);
    }
    const i = this.index++;
    this.events.push(e);
    this.judges.event(e, i);
  }

  /** The findings since the last call (one cycle's); older state is forgotten. */
  takeCycle(): Finding[] {
    const findings = this.sink.result();
    this.sink = this.newSink();
    this.judges.forget(this.previousCycleStart);
    // What the judges were told to forget they never read again.
    this.events = this.events.slice(this.previousCycleStart - this.kept);
    this.kept = this.previousCycleStart;
    this.previousCycleStart = this.index;
    return findings;
  }

  private newSink(): FindingSink {
    return new FindingSink(this.caps, MAX_FINDINGS_PER_CYCLE);
  }
}
