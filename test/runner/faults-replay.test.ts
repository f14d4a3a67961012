/**
 * Seeded, replayable fault runs at the runner level: the same case seed gives the same fault
 * event log; `--repeat` turns mixed outcomes into FLAKY with each failing seed replayable on its
 * own (`--case-seed`); and a failing probabilistic case is cut down (ddmin over exact replays)
 * to a scenario file that fails by itself. A correct server and the `no-dedup` server, real
 * proxies: a lost receipt makes the sender retransmit, which no-dedup stores a second time.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type FaultRecord, isFaultRecord } from '../../src/faults/types.js';
import type { History } from '../../src/history/events.js';
import { runSuites } from '../../src/runner/run.js';
import { loadScenarioFile } from '../../src/scenarios/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-faults-replay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Receipts to alice lost with probability `p`: each loss makes her retransmit one message. */
function lossyReceipts(id: string, p: number): string {
  const file = join(dir, `${id}.yaml`);
  const text = `id: ${id}
title: receipts lost at random make the sender retransmit
covers: [DEDUP-2]
requires: [dedup]
users: { alice: phone, bob: phone }
client: { retransmit: 300ms, storedStopsRetransmit: false }
faults:
  - { id: lose-receipt, match: { op: ack, kind: N, user: alice }, probability: ${p}, action: drop }
steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 6, await: accepted }
  - waitFor: { condition: settled, timeout: 5s }
`;
  writeFileSync(file, text);
  return file;
}

/** What makes two fault logs the same schedule: everything but times and frame contents. */
function schedule(events: readonly FaultRecord[]) {
  return events.map(({ rule, action, actor, direction, type, occurrence, conn, params, cause }) => ({
    rule,
    action,
    actor,
    direction,
    type,
    occurrence,
    conn,
    params,
    cause,
  }));
}

/** The fault log of each case run, keyed by the case seed the runner records with its proxy. */
function recorder() {
  const logs = new Map<number, FaultRecord[]>();
  return {
    logs,
    onHistory(history: History) {
      let seed = -1;
      history.subscribe((e) => {
        if (e.kind === 'target' && e.action === 'start' && e.detail) {
          seed = Number(/seed (\d+)$/.exec(e.detail)?.[1]);
          logs.set(seed, []);
        } else if (isFaultRecord(e)) logs.get(seed)?.push(e);
      });
    },
  };
}

describe('seeded fault runs', () => {
  it('the same case seed replays the same fault event log', async () => {
    const file = lossyReceipts('same-seed', 0.35);
    const first = recorder();
    const second = recorder();
    const a = await runSuites({ paths: [file], caseSeed: 1234, reports: [], minimize: false }, first);
    const b = await runSuites({ paths: [file], caseSeed: 1234, reports: [], minimize: false }, second);
    expect([a.cases[0]?.verdict, b.cases[0]?.verdict]).toEqual(['PASS', 'PASS']);
    const [log1, log2] = [first.logs.get(1234)!, second.logs.get(1234)!];
    expect(log1.length).toBeGreaterThan(0);
    expect(schedule(log2)).toEqual(schedule(log1));
    // Another seed draws another schedule.
    const third = recorder();
    await runSuites({ paths: [file], caseSeed: 99, reports: [], minimize: false }, third);
    expect(schedule(third.logs.get(99)!)).not.toEqual(schedule(log1));
  });

  it('--repeat makes mixed outcomes FLAKY, and each failing seed replays exactly with --case-seed', async () => {
    const file = lossyReceipts('flaky-receipts', 0.1);
    const rec = recorder();
    // Seed 6 was chosen once: of its three runs, the first and third lose a receipt, the second none.
    const run = await runSuites(
      { paths: [file], serverFaults: ['no-dedup'], seed: 6, repeat: 3, reports: [], minimize: false },
      rec,
    );
    const [result] = run.cases;
    expect(result?.verdict).toBe('FLAKY');
    expect(result?.reason).toMatch(/^1\/3 runs passed; first FAIL with seed \d+: DEDUP-/);
    const failing = result!.passRate!.failingSeeds;
    expect(result?.passRate).toEqual({ passed: 1, runs: 3, failingSeeds: failing });
    expect(failing).toHaveLength(2);
    expect(result?.replays).toEqual(
      failing.map(
        (s) => `imspec run ${file} --only flaky-receipts --seed 6 --case-seed ${s} --server-fault no-dedup`,
      ),
    );
    for (const seed of failing) {
      const replay = recorder();
      const again = await runSuites(
        { paths: [file], serverFaults: ['no-dedup'], caseSeed: seed, reports: [], minimize: false },
        replay,
      );
      expect(again.cases[0]?.verdict).toBe('FAIL');
      expect(schedule(replay.logs.get(seed)!)).toEqual(schedule(rec.logs.get(seed)!));
    }
  });

  it('a failing probabilistic case is minimised to a scenario file that fails by itself', async () => {
    const file = lossyReceipts('lossy-receipts', 0.35);
    const out = join(dir, 'minimized');
    // Seed 2 was chosen once: its run loses three receipts, and one is enough to fail.
    const run = await runSuites({
      paths: [file],
      serverFaults: ['no-dedup'],
      seed: 2,
      reports: [],
      minimizeDir: out,
    });
    const [result] = run.cases;
    expect(result?.verdict).toBe('FAIL');
    const m = result!.minimized!;
    expect(m).toMatchObject({ events: 1, exhausted: false });
    expect(m.of).toBe(result?.faults?.length);
    expect(m.of).toBeGreaterThan(1);
    expect(m.file).toBe(join(out, `lossy-receipts-seed-${result?.seed}.yaml`));
    const text = readFileSync(m.file, 'utf8');
    expect(text).toMatch(
      /^# Minimised by imspec from .*lossy-receipts\.yaml \(case lossy-receipts, seed \d+\):/,
    );
    const minimal = loadScenarioFile(m.file);
    expect(minimal.faults).toHaveLength(1);
    expect(minimal.faults[0]).toMatchObject({
      probability: 1,
      match: { op: ['ack'], kind: ['N'], direction: 'to-client', user: ['alice/phone'] },
      action: { type: 'drop' },
    });
    const broken = await runSuites({
      paths: [m.file],
      serverFaults: ['no-dedup'],
      reports: [],
      minimize: false,
    });
    expect(broken.cases[0]?.verdict).toBe('FAIL');
    expect(broken.cases[0]?.faults).toHaveLength(1);
    const correct = await runSuites({ paths: [m.file], reports: [], minimize: false });
    expect(correct.cases[0]?.verdict).toBe('PASS');
  });

  it('--no-minimize leaves a failing probabilistic case as it is', async () => {
    const file = lossyReceipts('not-minimised', 0.35);
    const run = await runSuites({
      paths: [file],
      serverFaults: ['no-dedup'],
      seed: 2,
      reports: [],
      minimize: false,
      minimizeDir: join(dir, 'never'),
    });
    expect(run.cases[0]?.verdict).toBe('FAIL');
    expect(run.cases[0]?.minimized).toBeUndefined();
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });
});
