/**
 * Without --target, a run shares one embedded server among the cases that need no process control
 * (users kept apart per case), gives each crash case a fresh server of its own (started while the
 * case before runs), and leaves no process or directory behind.
 */
import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../src/history/events.js';
import { leftoverCounts } from '../../src/runner/leftovers.js';
import { runSuites } from '../../src/runner/run.js';

const suite = new URL('../../suites/core', import.meta.url).pathname;

describe('the embedded servers of a run', () => {
  it('shares one among ordinary cases, one per crash case, and stops them all', {
    timeout: 120_000,
  }, async () => {
    const users = new Map<string, Set<string>>();
    const run = await runSuites(
      {
        paths: [suite],
        only: ['happy-six-frames', 'durability-kill-9', 'graceful-shutdown', 'session-replaced'],
        seed: 3,
        reports: [],
      },
      {
        reporters: [
          {
            onRunStart() {},
            onCaseStart() {},
            onCaseResult() {},
            async onRunEnd() {},
            onCaseHistory({ result, events }: { result: { id: string }; events: readonly HistoryEvent[] }) {
              const seen = new Set<string>();
              for (const e of events)
                if ('actor' in e && typeof e.actor === 'string') seen.add(e.actor.split('/')[0]!);
              users.set(result.id, seen);
            },
          },
        ],
      },
    );
    expect(run.cases.map((c) => `${c.id} ${c.verdict}`)).toEqual([
      'durability-kill-9 PASS',
      'graceful-shutdown PASS',
      'happy-six-frames PASS',
      'session-replaced PASS',
    ]);
    // Crash cases talk to a server of their own: their users carry no prefix.
    expect([...users.get('durability-kill-9')!].every((u) => !u.includes('-'))).toBe(true);
    // Cases on the shared server carry their own prefix, so neither sees the other's inboxes.
    const prefixes = (id: string) => new Set([...users.get(id)!].map((u) => u.replace(/[^-]+$/, '')));
    expect([...prefixes('happy-six-frames')]).toEqual(['c2-0-']);
    expect([...prefixes('session-replaced')]).toEqual(['c3-0-']);
    expect(leftoverCounts()).toEqual({ groups: 0, dirs: 0 });
  });
});
