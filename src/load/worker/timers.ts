/**
 * The worker's timers (schedule ticks, retirements, offline flips), kept in one set so that the
 * end of the schedule or an abort clears them all and no timer keeps the process alive.
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` once after `ms` (at once for a negative `ms`). */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(
      () => {
        this.pending.delete(timer);
        fn();
      },
      Math.max(0, ms),
    );
    this.pending.add(timer);
  }

  /** Runs `fn` every `ms` until cleared. */
  every(ms: number, fn: () => void): void {
    const again = () =>
      this.later(ms, () => {
        fn();
        again();
      });
    again();
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
