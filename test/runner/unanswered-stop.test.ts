/**
 * A request the server never answers stops the step that waits for it: at its timeout when the
 * server stays silent, at once when it closes the connection instead (with a close code RAN/1
 * does not give it). When the checker holds that against the server (RID-1, the request named in
 * its evidence), the case FAILs and says where it stopped — the kit did not fail, the server did;
 * when the kit's own proxy dropped the answer or cut the connection, the checker excuses it and
 * the case stays the kit's ERROR. A real reference server behind a small proxy that swallows every
 * sync:A, or closes the client's connection on its sync:R (not a kit fault: nothing records it).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { runSuites } from '../../src/runner/run.js';
import { type RunningServer, startServer } from '../../src/server/index.js';

const SECRET = 'unanswered-stop';
const dir = mkdtempSync(join(tmpdir(), 'imspec-unanswered-'));
let server: RunningServer;
let proxy: WebSocketServer;
let proxyUrl: string;
/** When set, the proxy answers a sync:R by closing the client's connection with this code. */
let closeOnSync: number | undefined;

beforeAll(async () => {
  server = await startServer({ port: 0, db: join(dir, 'server.db'), hmacSecret: SECRET });
  proxy = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => proxy.once('listening', resolve));
  proxyUrl = `ws://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  proxy.on('connection', (client) => {
    const upstream = new WebSocket(server.url);
    const queued: string[] = [];
    upstream.on('open', () => {
      for (const m of queued.splice(0)) upstream.send(m);
    });
    client.on('message', (data) => {
      const text = data.toString();
      if (closeOnSync !== undefined && text.includes('"type":"sync:R"')) {
        client.close(closeOnSync, 'closed instead of answering');
        return;
      }
      if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
      else queued.push(text);
    });
    upstream.on('message', (data) => {
      const text = data.toString();
      // The server's answers to sync:R never reach the client.
      if (!text.includes('"type":"sync:A"')) client.send(text);
    });
    client.on('close', () => upstream.close());
    upstream.on('close', () => client.close());
  });
});

afterAll(async () => {
  for (const c of proxy.clients) c.terminate();
  await new Promise((resolve) => proxy.close(resolve));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const CASE = (faults: string) => `id: page-unanswered
title: bob pages his history; the answer never comes
covers: [RID-1]
severity: MUST
users:
  alice: phone
  bob: phone
client:
  requestTimeout: 2500ms
${faults}steps:
  - connect: [alice, bob]
  - send: { from: alice, to: bob, count: 3 }
  - waitFor: { condition: settled, timeout: 5s }
  - page: { bot: bob/phone, direction: backward, limit: 10 }
`;

async function run(text: string, target = proxyUrl) {
  const file = join(dir, 'case.yaml');
  writeFileSync(file, text);
  const result = await runSuites({
    paths: [file],
    target,
    hmacSecret: SECRET,
    reports: [],
    seed: 3,
  });
  return result.cases[0]!;
}

/** The case's verdict, with its reason and findings shown when it is another. */
function expectVerdict(c: Awaited<ReturnType<typeof run>>, verdict: 'FAIL' | 'ERROR'): void {
  const shown = `${c.reason}\n${JSON.stringify(c.findings.map((f) => [f.requirement, f.kind, f.actual]))}`;
  expect(c.verdict, shown).toBe(verdict);
}

describe('a step stopped by a request the server never answered', () => {
  it('FAILs on RID-1 naming the request, and says the case stopped early there', async () => {
    const c = await run(CASE(''));
    expectVerdict(c, 'FAIL');
    expect(c.reason).toMatch(/the case stopped early, in step 4 \(page, line \d+\): no answer to sync:R/);
    expect(c.findings.some((f) => f.requirement === 'RID-1' && f.kind === 'unanswered-request')).toBe(true);
  }, 30_000);

  it("stays the kit's ERROR when its own fault proxy dropped the answer (the checker excuses it)", async () => {
    // Straight to the server, which answers: only the kit's proxy drops the sync:A.
    const c = await run(CASE('faults:\n  - { match: { op: sync, kind: A }, action: drop }\n'), server.url);
    expectVerdict(c, 'ERROR');
    expect(c.reason).toMatch(/no answer to sync:R/);
    expect(c.findings.filter((f) => f.level === 'MUST')).toEqual([]);
  }, 30_000);
});

describe('a step stopped by the server closing the connection instead of answering', () => {
  beforeAll(() => {
    closeOnSync = 4999;
  });
  afterAll(() => {
    closeOnSync = undefined;
  });

  it('FAILs on RID-1 naming the request and the close, and says the case stopped early there', async () => {
    const c = await run(CASE(''));
    expectVerdict(c, 'FAIL');
    expect(c.reason).toMatch(
      /the case stopped early, in step 4 \(page, line \d+\): the connection closed \(server, with code 4999/,
    );
    const rid1 = c.findings.find((f) => f.requirement === 'RID-1' && f.kind === 'unanswered-request');
    expect(rid1?.actual).toContain('the server closed the connection with code 4999 instead');
    // Its evidence is the request and the close, marked in the case's wire-log excerpt.
    expect(rid1!.evidence).toHaveLength(2);
    const marked = c.wireLog.filter((line) => line.startsWith('>'));
    expect(marked.some((line) => line.includes('→ sync:R'))).toBe(true);
    expect(marked.some((line) => line.includes('close by server code=4999'))).toBe(true);
  }, 30_000);

  it("stays the kit's ERROR when its own fault proxy cut the connection (the checker excuses it)", async () => {
    // Straight to the server, which answers: only the kit's proxy closes, with the same code.
    const cut = '  - { match: { op: sync, kind: R }, action: { type: cut, code: 4999, forward: false } }\n';
    const c = await run(CASE(`faults:\n${cut}`), server.url);
    expectVerdict(c, 'ERROR');
    expect(c.reason).toMatch(/the connection closed \(server, with code 4999/);
    expect(c.findings.filter((f) => f.level === 'MUST')).toEqual([]);
  }, 30_000);
});

describe('a step stopped by a close with 4409 (replaced) when no newer session replaced it', () => {
  beforeAll(() => {
    closeOnSync = 4409;
  });
  afterAll(() => {
    closeOnSync = undefined;
  });

  it('FAILs on RID-1: the code claims a replacement that never happened', async () => {
    const c = await run(CASE(''));
    expectVerdict(c, 'FAIL');
    const rid1 = c.findings.find((f) => f.requirement === 'RID-1' && f.kind === 'unanswered-request');
    expect(rid1?.actual).toContain('the server closed the connection with code 4409 instead');
  }, 30_000);
});
