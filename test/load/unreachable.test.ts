/**
 * A target that goes away mid-load and never lets the bots back in: the result says so (how many
 * bots, from when, what their logins failed with), in the JSON summary, the console summary and
 * the HTML facts, instead of leaving a reader with thousands of unknown outcomes and no cause.
 * A real server on a real port, closed under the run.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import resultSchema from '../../schemas/load-result.schema.json' with { type: 'json' };
import { renderLoadSummary } from '../../src/load/report/text.js';
import { mergeWorkers } from '../../src/load/result.js';
import { runLoad } from '../../src/load/run-load.js';
import type { WorkerResult } from '../../src/load/worker/messages.js';
import { startServer } from '../../src/server/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-unreachable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROFILE = `name: goes-away
description: 10 pairs at 40 msgs/s; the test closes the server after 1 s
population:
  senders: 10
  pairing: pairs
executor:
  type: constant-arrival-rate
  rate: 40
  duration: 3s
drain: 1s
client:
  reconnectDelay: 50ms
thresholds:
  lost: ["== 0"]
`;

describe('a load whose target stops taking connections', () => {
  it('names the bots that could not log in again, since when and why', async () => {
    const profile = join(dir, 'goes-away.yaml');
    writeFileSync(profile, PROFILE);
    const server = await startServer({ port: 0, db: join(dir, 'server.db'), hmacSecret: 's3cret' });
    const closing = new Promise<void>((resolve) => setTimeout(() => void server.close().then(resolve), 1000));
    const out = join(dir, 'load.json');
    const r = await runLoad({
      profile,
      target: server.url,
      hmacSecret: 's3cret',
      reports: [],
      quiet: true,
      out,
    });
    await closing;
    expect(r.unreachable).toBeDefined();
    expect(r.unreachable!.bots).toBe(r.bots);
    expect(r.unreachable!.error).toContain('ECONNREFUSED');
    // The server closed at about 1 s of a 3 s schedule (the clock starts after the logins).
    expect(r.unreachable!.since).toBeGreaterThan(0);
    expect(r.unreachable!.since).toBeLessThan(3000);
    const summary = renderLoadSummary(r);
    expect(summary).toContain(`${r.bots} of ${r.bots} bots could not log in again to the end`);
    // A finding about a message names its sender: a load's cmids count per sender (a, b, c…),
    // so `cmid=a` alone names one message of every sender.
    const send = { kind: 'send', t: 1, actor: 'lx-s2/d1', cmid: 'a', to: 'lx-r2', body: 'b' } as const;
    const finding = { kind: 'unknown-outcome', requirement: 'RID-1', level: 'MUST', cmid: 'a' } as const;
    const withFinding = renderLoadSummary({
      ...r,
      findingCounts: { 'unknown-outcome RID-1': 1 },
      findings: [{ ...finding, expected: 'accepted', actual: 'never answered', events: [send] }],
    });
    expect(withFinding).toContain('RID-1 (MUST) unknown-outcome cmid=a from lx-s2/d1\n');
    const json = JSON.parse(readFileSync(out, 'utf8'));
    const validate = new Ajv2020({ strict: true }).compile(resultSchema);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.unreachable).toEqual(r.unreachable);
  }, 30_000);

  it('adds workers up: counts add, the earliest start, and absent when every bot got back in', () => {
    const base = mergeWorkers([]);
    expect(base.unreachable).toBeUndefined();
    const worker = (unreachable?: WorkerResult['unreachable']): WorkerResult => ({
      index: 0,
      offered: 0,
      dropped: { window: 0, 'no-bot': 0, disconnected: 0 },
      counters: base.counters,
      findings: [],
      histograms: base.histograms.encode(),
      endT: 0,
      unsettled: 0,
      faultsInjected: 0,
      offlineDepartures: 0,
      bots: 4,
      connectFailures: 0,
      ...(unreachable ? { unreachable } : {}),
    });
    const m = mergeWorkers([
      worker({ bots: 3, since: 2500, error: 'a' }),
      worker(),
      worker({ bots: 1, since: 1200, error: 'b' }),
    ]);
    expect(m.unreachable).toEqual({ bots: 4, since: 1200, error: 'b' });
    expect(mergeWorkers([worker(), worker()]).unreachable).toBeUndefined();
  });
});
