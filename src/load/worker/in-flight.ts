/** A gate for the connect phase: at most so many logins in flight (see runtime.ts LOGINS_IN_FLIGHT). */

/** A counting gate: enter() waits while `limit` holders are inside. */
export class InFlight {
  private inside = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async enter(): Promise<void> {
    while (this.inside >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inside++;
  }

  leave(): void {
    this.inside--;
    this.waiting.shift()?.();
  }
}
