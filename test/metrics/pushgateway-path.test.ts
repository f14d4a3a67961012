/**
 * The Pushgateway group docs/observability.md documents is the one the CLI pushes to: a real
 * `imspec run --pushgateway` against a real Pushgateway, then the documented DELETE command (its
 * URL taken from the doc, the run id filled in) removes exactly that group.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBinary, startPushgateway } from '../helpers/prometheus.js';

const run = promisify(execFile);
const doc = readFileSync(new URL('../../docs/observability.md', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'imspec-pgw-path-'));
let pushgateway: RunningBinary | undefined;

beforeAll(async () => {
  pushgateway = await startPushgateway();
});

afterAll(async () => {
  await pushgateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The groups the Pushgateway holds, as their grouping labels. */
async function groups(): Promise<Record<string, string>[]> {
  const res = await request(`${pushgateway!.url}/api/v1/metrics`);
  const body = (await res.body.json()) as { data: { labels: Record<string, string> }[] };
  return body.data.map((g) => g.labels);
}

describe('the documented Pushgateway group', () => {
  it('is where imspec run pushes, and the documented DELETE removes it', async () => {
    const report = join(dir, 'run.json');
    const { stderr } = await run(
      process.execPath,
      [
        'bin/imspec.js',
        'run',
        'suites/core',
        '--only',
        'happy-six-frames',
        '--seed',
        '7',
        '--report',
        `json=${report}`,
        '--pushgateway',
        pushgateway!.url,
      ],
      { timeout: 50_000 },
    );
    const { runId } = JSON.parse(readFileSync(report, 'utf8')) as { runId: string };
    const pushedTo = /metrics pushed to (\S+)/.exec(stderr)?.[1];

    const documentedGroup = /\n(\/metrics\/job\/[^\n]+)\n/.exec(doc)?.[1];
    expect(documentedGroup, 'the group path in docs/observability.md').toBeDefined();
    expect(pushedTo).toBe(`${pushgateway!.url}${documentedGroup!.replace('<run id>', runId)}`);
    expect(await groups()).toContainEqual({ job: 'imspec', run_id: runId });

    const command = /curl -X DELETE (http:\/\/127\.0\.0\.1:9091(\/metrics\/[^\n]+))/.exec(doc);
    expect(command, 'the DELETE command in docs/observability.md').not.toBeNull();
    const url = `${pushgateway!.url}${command![2]!.replace('<run id>', runId)}`;
    const res = await request(url, { method: 'DELETE' });
    await res.body.dump();
    expect(res.statusCode).toBe(202);
    expect((await groups()).filter((g) => g['run_id'] === runId)).toEqual([]);
  }, 60_000);
});
