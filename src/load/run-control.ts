/**
 * The coordinator's side of a running load: the workers' logins with progress, then while the
 * schedule runs the process faults at their times, progress every second and abort-on-fail
 * thresholds on the live figures. runLoad (run-load.ts) wires it; nothing here starts targets or
 * workers.
 */

import type { Target } from '../runner/target.js';
import type { LoadHooks } from './hooks.js';
import type { LoadProfile } from './profile/types.js';
import { figuresOf, type LoadResult, mergeWorkers } from './result.js';
import { evaluateThresholds } from './thresholds.js';
import type { TimelineRecorder } from './timeline.js';
import type { TargetAction, WorkerHandle } from './worker/handle.js';
import type { ReadyInfo, WorkerSnapshot } from './worker/messages.js';

/** How often the login progress is asked for while a population connects. */
const CONNECT_PROGRESS_EVERY_MS = 2_000;

/** Every worker's prepare(), telling `onConnecting` how far the logins are meanwhile. */
export async function prepareAll(
  handles: readonly WorkerHandle[],
  onConnecting: LoadHooks['onConnecting'],
): Promise<ReadyInfo[]> {
  const started = performance.now();
  let done = false;
  const poll = async () => {
    const snapshots = await Promise.all(handles.map((h) => h.snapshot()));
    if (done) return;
    onConnecting?.({
      bots: snapshots.reduce((n, s) => n + s.bots, 0),
      connected: snapshots.reduce((n, s) => n + s.connected, 0),
      ms: performance.now() - started,
    });
  };
  const timer = onConnecting
    ? setInterval(() => void poll().catch(() => undefined), CONNECT_PROGRESS_EVERY_MS)
    : undefined;
  try {
    return await Promise.all(handles.map((h) => h.prepare()));
  } finally {
    done = true;
    clearInterval(timer);
  }
}

/**
 * While the schedule runs: process faults at their times, progress every second, abort-on-fail
 * thresholds on the live figures.
 */
export function runControl(
  profile: LoadProfile,
  targets: Target[],
  handles: WorkerHandle[],
  epochMs: number,
  log: LoadResult['process'],
  hooks: LoadHooks,
  timeline: TimelineRecorder,
): { stop(): LoadResult['aborted'] | undefined } {
  const timers: NodeJS.Timeout[] = [];
  const now = () => Date.now() - epochMs;
  const tell = (action: TargetAction, detail?: string) => {
    log.push(detail === undefined ? { t: now(), action } : { t: now(), action, detail });
    for (const h of handles) h.targetEvent(action, detail);
  };
  for (const f of profile.process) {
    timers.push(
      setTimeout(
        () => {
          void (async () => {
            for (const target of targets) {
              if (!target.controllable) {
                tell('exited', `cannot ${f.action}: the kit did not launch the target (use --target-cmd)`);
                continue;
              }
              if (f.action === 'pause') {
                tell('pause');
                await target.act('pause', false);
                await sleep(f.forMs);
                await target.act('resume', false);
                tell('resume');
              } else if (f.action === 'restart') {
                tell('restart');
                await target.act('restart', true);
              } else {
                tell(f.action, f.action === 'kill' ? 'kill -9' : 'SIGTERM');
                await target.act(f.action, false);
                if (f.restart) {
                  await sleep(f.afterMs);
                  await target.act('restart', true);
                  tell('restart', 'same data');
                }
              }
            }
          })().catch((error: unknown) =>
            tell('exited', `process fault ${f.action} failed: ${(error as Error).message}`),
          );
        },
        Math.max(0, epochMs + f.atMs - Date.now()),
      ),
    );
  }
  let aborted: LoadResult['aborted'];
  const abortable = profile.thresholds.filter((t) => t.abortOnFail);
  const tick = setInterval(() => {
    // A worker that has just finished answers no more snapshots: progress simply stops.
    void Promise.all(handles.map((h) => h.snapshot())).then((snapshots) => {
      const t = now();
      hooks.onProgress?.({ t, durationMs: profile.durationMs, snapshots });
      const merged = mergeSnapshots(snapshots);
      timeline.add(t, merged);
      if (aborted || abortable.length === 0) return;
      const live = figuresOf(merged);
      const failed = evaluateThresholds(abortable, live).find((o) => !o.ok && !Number.isNaN(o.actual));
      if (failed) {
        aborted = { threshold: `${failed.figure}: ${failed.source}`, t };
        for (const h of handles) h.stopSending();
      }
    }, noop);
  }, 1000);
  return {
    stop() {
      clearInterval(tick);
      for (const t of timers) clearTimeout(t);
      return aborted;
    },
  };
}

function mergeSnapshots(snapshots: WorkerSnapshot[]) {
  return mergeWorkers(
    snapshots.map((s) => ({
      index: s.index,
      offered: s.offered,
      dropped: s.dropped,
      counters: s.counters,
      findings: [],
      histograms: s.histograms,
      endT: s.t,
      unsettled: 0,
      faultsInjected: 0,
      offlineDepartures: 0,
      bots: s.bots,
      connectFailures: 0,
    })),
  );
}

const noop = (): void => {};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
