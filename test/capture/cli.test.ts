/**
 * The built CLI, as a user runs it: `imspec check` and `imspec driver-test` exit like `run`
 * (0 clean, 1 a broken rule or duty, 2 usage, a bad capture line or a driver that does not load),
 * and `check` writes a JSON report that matches the report schema.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import reportSchema from '../../schemas/report.schema.json' with { type: 'json' };
import type { RunResult } from '../../src/report/types.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { startPushgateway } from '../helpers/prometheus.js';

const cli = new URL('../../bin/imspec.js', import.meta.url).pathname;
const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'imspec-check-cli-'));
const SECRET = 'cli-secret';
let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ port: 0, db: join(dir, 'ref.db'), hmacSecret: SECRET });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process: the reference server above answers from it. */
function imspec(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
    });
    child.once('close', (code) => resolve({ code, out, err }));
  });
}

describe('imspec check', () => {
  it('exits 0 on a clean capture and 1 on a faulty one, with a schema-valid JSON report naming the requirement', async () => {
    const clean = join(dir, 'clean');
    const faulty = join(dir, 'faulty');
    const passed = await imspec(
      'run',
      'suites/core',
      '--only',
      'lost-msg-a',
      '--capture',
      clean,
      '--seed',
      '1',
    );
    expect(passed.code, passed.out + passed.err).toBe(0);
    const failed = await imspec(
      'run',
      'suites/core',
      '--only',
      'lost-msg-a',
      '--server-fault',
      'no-dedup',
      '--capture',
      faulty,
      '--seed',
      '1',
      '--no-minimize',
    );
    expect(failed.code).toBe(1);
    const ok = await imspec('check', join(clean, 'lost-msg-a.jsonl'));
    expect(ok.code, ok.out + ok.err).toBe(0);
    expect(ok.out).toMatch(/PASS\s+lost-msg-a/);
    const json = join(dir, 'check.json');
    const bad = await imspec(
      'check',
      join(faulty, 'lost-msg-a.jsonl'),
      '--report',
      'console',
      '--report',
      `json=${json}`,
    );
    expect(bad.code, bad.out + bad.err).toBe(1);
    expect(bad.out).toContain('DEDUP-2');
    const report = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
    const ajv = new Ajv2020({ strict: false });
    ajv.addFormat('date-time', true);
    const validate = ajv.compile(reportSchema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.cases[0]?.findings.some((f) => f.requirement === 'DEDUP-2' && f.evidence.length > 0)).toBe(
      true,
    );
  }, 120_000);

  it("pushes the check's numbers to a real Pushgateway: delivered equals the report's count", async () => {
    const clean = join(dir, 'pushed');
    const recorded = await imspec(
      'run',
      'suites/core',
      '--only',
      'happy-six-frames',
      '--capture',
      clean,
      '--seed',
      '2',
    );
    expect(recorded.code, recorded.out + recorded.err).toBe(0);
    const gateway = await startPushgateway();
    try {
      const json = join(dir, 'pushed.json');
      const r = await imspec(
        'check',
        join(clean, 'happy-six-frames.jsonl'),
        '--pushgateway',
        gateway.url,
        '--report',
        `json=${json}`,
      );
      expect(r.code, r.out + r.err).toBe(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as RunResult;
      const delivered = report.cases[0]!.stats!.delivered;
      expect(delivered).toBeGreaterThan(0);
      const body = await (await fetch(`${gateway.url}/metrics`)).text();
      const line = body
        .split('\n')
        .find(
          (l) =>
            l.startsWith('imspec_messages_delivered_total{') &&
            l.includes(`run_id="${report.runId}"`) &&
            l.includes('driver="capture"'),
        );
      expect(line, body.slice(0, 2000)).toBeDefined();
      expect(Number(line!.split(' ').at(-1))).toBe(delivered);
    } finally {
      await gateway.stop();
    }
  }, 120_000);

  it('exits 2 once, with file:line, on a line that is not a capture line', async () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(
      path,
      '{"kind":"capture","version":1}\n{"t":1,"conn":"a","dir":"sideways","type":null,"fields":{}}\n',
    );
    const r = await imspec('check', path);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${path}:2: not a capture frame line`);
    expect(r.err).toContain('IMSPEC_ERR_CONFIG');
  });

  const HEADER = '{"kind":"capture","version":1}\n';
  const LOGIN =
    '{"t":1,"conn":"c1","dir":"to-server","type":"hello:R","fields":{"rid":"1","user":"alice","device":"phone","token":"t"}}\n' +
    '{"t":2,"conn":"c1","dir":"to-client","type":"hello:A","fields":{"rid":"1","maxSeq":0,"pending":0,"caps":[]}}\n';

  it('never passes a capture without frames: INCONCLUSIVE, exit 0, or 1 with --strict', async () => {
    for (const [name, text] of [
      ['empty.jsonl', ''],
      ['header-only.jsonl', HEADER],
    ] as const) {
      const path = join(dir, name);
      writeFileSync(path, text);
      const r = await imspec('check', path);
      expect(r.code, r.out + r.err).toBe(0);
      expect(r.out).toMatch(/INCON\s+(empty|header-only)/);
      expect(r.out).toContain('the capture holds no frames');
      expect(r.out).not.toMatch(/PASS|1 passed/);
      expect((await imspec('check', path, '--strict')).code).toBe(1);
    }
  });

  it('names itself in its summary, and -q silences it even without --report', async () => {
    const path = join(dir, 'login.jsonl');
    writeFileSync(path, HEADER + LOGIN);
    const loud = await imspec('check', path);
    expect(loud.code, loud.err).toBe(0);
    expect(loud.out).toMatch(/^imspec check \S+: 1 case against/);
    const quiet = await imspec('check', path, '-q');
    expect([quiet.code, quiet.out]).toEqual([0, '']);
    const json = join(dir, 'quiet.json');
    const named = await imspec('check', path, '--quiet', '--report', 'console', '--report', `json=${json}`);
    expect([named.code, named.out]).toEqual([0, '']);
    expect((JSON.parse(readFileSync(json, 'utf8')) as RunResult).cases[0]?.verdict).toBe('PASS');
  });

  it('refuses a directory or a missing file once, before judging any capture', async () => {
    const path = join(dir, 'first.jsonl');
    writeFileSync(path, HEADER + LOGIN);
    const r = await imspec('check', path, dir);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `imspec: capture ${dir} is not a file: give the capture files (${dir}/*.jsonl) [IMSPEC_ERR_CONFIG]\n`,
    );
    expect(r.out).toBe('');
    const missing = await imspec('check', path, join(dir, 'nope.jsonl'));
    expect([missing.code, missing.out]).toEqual([2, '']);
    expect(missing.err).toMatch(/capture \S+nope\.jsonl not found/);
  });
});

describe('imspec driver-test', () => {
  it('exits 0 when the driver keeps the contract against the server', async () => {
    const r = await imspec(
      'driver-test',
      'ran',
      '--target',
      server.url,
      '--hmac-secret',
      SECRET,
      '--only',
      'login,send-push-ack,close',
    );
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/3 passed, 0 failed, 0 unsupported, 0 errors/);
  });

  it('exits 1 and names the duty when a driver file breaks it', async () => {
    // A user driver that wraps the ran driver and forgets to record the end of connections.
    const path = join(dir, 'no-close.mjs');
    writeFileSync(
      path,
      `import { RanDriver } from ${JSON.stringify(join(root, 'dist/src/drivers/index.js'))};
export default {
  apiVersion: 1,
  name: 'no-close',
  create(options) {
    const inner = new RanDriver(options);
    return {
      name: 'no-close',
      caps: inner.caps,
      connect(actor, o, history) {
        const quiet = Object.create(history);
        quiet.append = (e) => { if (e.kind !== 'close') history.append(e); };
        return inner.connect(actor, o, quiet);
      },
    };
  },
};
`,
    );
    const r = await imspec(
      'driver-test',
      path,
      '--target',
      server.url,
      '--hmac-secret',
      SECRET,
      '--only',
      'login',
    );
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toContain('[record-close]');
    expect(r.out).toContain('broken duty record-close: exactly one close event per connection');
  });

  it('exits 2 on a driver written for another API version, and on an unreachable target', async () => {
    const path = join(dir, 'v9.mjs');
    writeFileSync(path, `export default { apiVersion: 9, name: 'v9', create() {} };`);
    const v9 = await imspec('driver-test', path, '--target', server.url, '--hmac-secret', SECRET);
    expect(v9.code).toBe(2);
    expect(v9.err).toMatch(/apiVersion 9; this imspec implements driver API version 1.*IMSPEC_ERR_DRIVER/);
    const down = await imspec('driver-test', 'ran', '--target', 'ws://127.0.0.1:1', '--hmac-secret', SECRET);
    expect(down.code).toBe(2);
    expect(down.err).toContain('IMSPEC_ERR_TARGET_UNREACHABLE');
  });
});
