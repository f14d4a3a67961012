/**
 * Test fixture: real servers on port 0 with SQLite files in a temp dir, clients that are closed
 * and servers that are shut down after each test. Every client's frames must validate against
 * the schema (FRAME-4) unless the test says otherwise.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';
import { TEST_SECRET, TestClient } from './client.js';

export interface Fixture {
  /** A fresh temp dir, removed after the test. */
  dir(): string;
  start(options?: ServerOptions): Promise<RunningServer>;
  client(server: RunningServer, options?: { allowInvalid?: boolean }): Promise<TestClient>;
  /** Connects and says hello; returns the client and its hello:A. */
  login(
    server: RunningServer,
    user: string,
    device: string,
    extra?: { lastSeq?: number },
  ): Promise<TestClient & { helloA: Awaited<ReturnType<TestClient['hello']>> }>;
}

export function useFixture(): Fixture {
  let dirs: string[] = [];
  let servers: RunningServer[] = [];
  let clients: { c: TestClient; allowInvalid: boolean }[] = [];

  afterEach(async () => {
    const checked = clients;
    for (const { c } of clients) c.terminate();
    for (const s of servers) await s.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
    servers = [];
    clients = [];
    // FRAME-4: every frame the server sent validates against schemas/frame.schema.json.
    for (const { c, allowInvalid } of checked) if (!allowInvalid) expect(c.invalid).toEqual([]);
  });

  const fixture: Fixture = {
    dir() {
      const d = mkdtempSync(join(tmpdir(), 'imspec-server-test-'));
      dirs.push(d);
      return d;
    },
    async start(options = {}) {
      const server = await startServer({
        port: 0,
        hmacSecret: TEST_SECRET,
        db: join(fixture.dir(), 'server.db'),
        ...options,
      });
      servers.push(server);
      return server;
    },
    async client(server, options = {}) {
      const c = await TestClient.connect(server.url);
      clients.push({ c, allowInvalid: options.allowInvalid ?? false });
      return c;
    },
    async login(server, user, device, extra = {}) {
      const c = await fixture.client(server);
      const helloA = await c.hello(user, device, extra);
      return Object.assign(c, { helloA });
    },
  };
  return fixture;
}

/** Sends msg:R and resolves with its msg:A (throws on anything else). */
export async function sendMsg(c: TestClient, to: string, cmid: string, body = `body of ${cmid}`) {
  const answer = await c.request({ type: 'msg:R', cmid, to, body });
  if (answer.type !== 'msg:A') throw new Error(`msg:R ${cmid} answered ${JSON.stringify(answer)}`);
  return answer;
}
