/**
 * A retention mode for long case runs: the history keeps every event, but the exact wire text
 * (`raw`) of a valid frame only for the newest `window` valid frames. What the checker reads
 * (type, fields, times, connections) is untouched; `raw` is for wire-log excerpts, and the
 * reports already draw a frame without it from its fields ("raw text not kept"). A frame that
 * failed decoding or validation keeps its text whatever its age: it is FRAME-4's evidence and
 * has no fields to draw from.
 *
 * Why: a case run keeps its whole history for the checker, and the text of every frame is a
 * sizeable part of what it retains. Measured on the bots bench (50k messages, window 1000, 2
 * rounds, heap used at the end): 331–336 MB keeping all text, 274–288 MB with a window of 2000.
 * First measured as a memory saving only (CPU within the noise at 69–71 µs/message). On a quieter
 * machine (load ~6, three interleaved single-round processes of 100k messages, exchange plus
 * checker CPU per message): 35.4–37.2 µs keeping all text, 32.6–35.6 µs with a window of 2000,
 * heap 306–309 against 238–246 MB — a small CPU saving too (less for the collector to copy and
 * mark), though most of what it copies is the events and their decoded fields, which the
 * checker needs.
 */

import type { FrameEvent, HistoryEvent } from './events.js';
import { History } from './events.js';

export class RawWindowHistory extends History {
  /** The newest valid frames, a ring: the one overwritten loses its text. */
  private readonly ring: (FrameEvent | undefined)[];
  private next = 0;

  /**
   * @param window valid frames whose `raw` is kept (the newest); 0 keeps none
   * @param origin as History's
   */
  constructor(
    readonly window: number,
    origin?: number,
  ) {
    super(origin);
    this.ring = new Array<FrameEvent | undefined>(Math.max(0, Math.floor(window))).fill(undefined);
  }

  override append(event: HistoryEvent): void {
    super.append(event);
    if (event.kind !== 'frame' || event.invalid !== undefined || event.type === undefined) return;
    const ring = this.ring;
    if (ring.length === 0) {
      event.raw = '';
      return;
    }
    const i = this.next;
    const old = ring[i];
    if (old !== undefined) old.raw = '';
    ring[i] = event;
    this.next = i + 1 === ring.length ? 0 : i + 1;
  }
}
