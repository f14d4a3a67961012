/**
 * A worker in a child process: its own file-descriptor budget (20,000 here) and its own core.
 * Forked from the compiled worker-main.js with an IPC channel; messages are messages.ts.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import {
  AuthError,
  type ImspecError,
  InternalError,
  TargetExitedError,
  TargetUnreachableError,
  UnsupportedError,
} from '../../errors.js';
import { packageRoot } from '../../runner/paths.js';
import type { TargetAction, WorkerHandle } from './handle.js';
import type {
  FromWorker,
  ReadyInfo,
  ToWorker,
  WorkerPlan,
  WorkerResult,
  WorkerSnapshot,
} from './messages.js';

/** Where aggregated worker metrics go (metrics/worker-registry.ts). */
export interface WorkerMetricsSink {
  update(worker: number, json: unknown): void;
}

export class ProcessWorker implements WorkerHandle {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
  private nextId = 0;
  private exited: Error | undefined;
  private done = false;

  constructor(
    private readonly plan: WorkerPlan,
    private readonly metrics?: WorkerMetricsSink,
  ) {
    const entry = join(packageRoot(), 'dist', 'src', 'load', 'worker', 'worker-main.js');
    this.child = fork(entry, [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    this.child.on('message', (m: FromWorker) => this.onMessage(m));
    this.child.on('exit', (code, signal) => {
      if (this.done) {
        this.exited = new TargetExitedError(`load worker ${plan.index} has finished`);
        return;
      }
      this.exited = new TargetExitedError(
        `load worker ${plan.index} exited (code ${code}, signal ${signal}) before it finished`,
      );
      for (const w of this.waiting.values()) w.reject(this.exited);
      this.waiting.clear();
    });
  }

  prepare(): Promise<ReadyInfo> {
    const ready = this.wait<ReadyInfo>('ready');
    this.post({ type: 'plan', plan: this.plan });
    return ready;
  }

  start(epochMs: number): void {
    this.post({ type: 'start', epochMs });
  }

  targetEvent(action: TargetAction, detail?: string): void {
    this.post({ type: 'target', event: detail === undefined ? { action } : { action, detail } });
  }

  stopSending(): void {
    this.post({ type: 'stop-sending' });
  }

  async snapshot(): Promise<WorkerSnapshot> {
    const id = ++this.nextId;
    const answer = this.wait<WorkerSnapshot>(`snapshot:${id}`);
    this.post({ type: 'snapshot', id });
    const snapshot = await answer;
    if (snapshot.metrics !== undefined) this.metrics?.update(this.plan.index, snapshot.metrics);
    return snapshot;
  }

  async finish(): Promise<WorkerResult> {
    const answer = this.wait<WorkerResult>('result');
    this.post({ type: 'finish' });
    const result = await answer;
    this.done = true;
    if (result.metrics !== undefined) this.metrics?.update(this.plan.index, result.metrics);
    delete result.metrics;
    return result;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private post(message: ToWorker): void {
    if (this.exited || !this.child.connected) return;
    this.child.send(message);
  }

  private wait<T>(key: string): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(key, { resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private onMessage(m: FromWorker): void {
    const key = m.type === 'snapshot' ? `snapshot:${m.id}` : m.type;
    if (m.type === 'error') {
      const error = workerError(this.plan.index, m.message, m.code);
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
      return;
    }
    const w = this.waiting.get(key);
    if (!w) return;
    this.waiting.delete(key);
    w.resolve(m.type === 'ready' ? m.info : m.type === 'snapshot' ? m.snapshot : m.result);
  }
}

/** A worker's error as the catalogue class it was, so the CLI exits as it would in-process. */
function workerError(index: number, message: string, code: string | undefined): ImspecError {
  const first = message.split('\n')[0]!.replace(/^\w+Error: /, '');
  switch (code) {
    case 'IMSPEC_ERR_UNSUPPORTED':
      return new UnsupportedError(first);
    case 'IMSPEC_ERR_TARGET_UNREACHABLE':
      return new TargetUnreachableError(first);
    case 'IMSPEC_ERR_AUTH':
      return new AuthError(first);
    default:
      return new InternalError(`load worker ${index} failed: ${message}`);
  }
}
