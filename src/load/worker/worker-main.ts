/**
 * Entry of a load worker child process (forked by process-worker.ts with an IPC channel): takes
 * its plan, connects its bots, runs its slice of the schedule and sends back snapshots and its
 * result. Its own registry feeds the metric table; the coordinator aggregates them.
 */

import { Registry } from 'prom-client';
import { isImspecError } from '../../errors.js';
import { createMetrics } from '../../metrics/registry.js';
import { defaultLedger } from '../default-ledger.js';
import type { FromWorker, ToWorker } from './messages.js';
import { WorkerRuntime } from './runtime.js';

let runtime: WorkerRuntime | undefined;
const registry = new Registry();

function send(message: FromWorker): void {
  // The coordinator may be gone (Ctrl-C): nothing left to tell.
  if (process.connected) process.send?.(message);
}

function fail(error: unknown): void {
  const e = error as Error;
  send({
    type: 'error',
    message: e?.stack ?? String(error),
    ...(isImspecError(error) ? { code: error.code } : {}),
  });
  process.exitCode = 1;
  process.disconnect?.();
}

process.on('message', (message: ToWorker) => {
  void handle(message).catch(fail);
});
// The coordinator going away ends the worker: its bots mean nothing alone. However it went —
// SIGKILL too: the kernel closes the channel — 'disconnect' comes at once (src/cli/parent.ts).
process.on('disconnect', () => process.exit(process.exitCode ?? 0));

async function handle(m: ToWorker): Promise<void> {
  switch (m.type) {
    case 'plan': {
      runtime = new WorkerRuntime(m.plan, { ledger: defaultLedger(), metrics: createMetrics(registry) });
      send({ type: 'ready', info: await runtime.prepare() });
      return;
    }
    case 'start':
      runtime?.start(m.epochMs);
      return;
    case 'target':
      runtime?.targetEvent(m.event);
      return;
    case 'stop-sending':
      runtime?.stopSending();
      return;
    case 'snapshot': {
      if (!runtime) return;
      const snapshot = runtime.snapshot();
      snapshot.metrics = await registry.getMetricsAsJSON();
      send({ type: 'snapshot', id: m.id, snapshot });
      return;
    }
    case 'finish': {
      if (!runtime) return;
      const result = await runtime.finish();
      result.metrics = await registry.getMetricsAsJSON();
      send({ type: 'result', result });
      // Let the IPC channel flush, then go.
      setImmediate(() => process.disconnect?.());
      return;
    }
  }
}
