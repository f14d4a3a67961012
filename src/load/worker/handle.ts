/**
 * A worker as the coordinator drives it, wherever it runs: in this process (small runs, tests)
 * or in a child process with its own file-descriptor budget and core (worker-main.ts).
 */

import type { LedgerFactory } from '../../checker/ledger-contract.js';
import type { ImspecMetrics } from '../../metrics/registry.js';
import type { ReadyInfo, WorkerPlan, WorkerResult, WorkerSnapshot } from './messages.js';
import { WorkerRuntime } from './runtime.js';

export type TargetAction = 'kill' | 'term' | 'restart' | 'pause' | 'resume' | 'exited' | 'start';

export interface WorkerHandle {
  prepare(): Promise<ReadyInfo>;
  start(epochMs: number): void;
  targetEvent(action: TargetAction, detail?: string): void;
  stopSending(): void;
  snapshot(): Promise<WorkerSnapshot>;
  finish(): Promise<WorkerResult>;
  /** Ends the worker at once (Ctrl-C, an error elsewhere). */
  kill(): void;
}

export class InProcessWorker implements WorkerHandle {
  private readonly runtime: WorkerRuntime;

  constructor(plan: WorkerPlan, ledger: LedgerFactory, metrics: ImspecMetrics | undefined) {
    this.runtime = new WorkerRuntime(plan, metrics ? { ledger, metrics } : { ledger });
  }

  prepare(): Promise<ReadyInfo> {
    return this.runtime.prepare();
  }

  start(epochMs: number): void {
    this.runtime.start(epochMs);
  }

  targetEvent(action: TargetAction, detail?: string): void {
    this.runtime.targetEvent(detail === undefined ? { action } : { action, detail });
  }

  stopSending(): void {
    this.runtime.stopSending();
  }

  async snapshot(): Promise<WorkerSnapshot> {
    return this.runtime.snapshot();
  }

  finish(): Promise<WorkerResult> {
    return this.runtime.finish();
  }

  kill(): void {
    this.runtime.abort();
  }
}
