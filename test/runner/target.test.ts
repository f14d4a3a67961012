import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type EmbeddedTarget, startEmbedded } from '../../src/runner/embedded.js';
import { canConnect, ProcessTarget } from '../../src/runner/target.js';

let target: EmbeddedTarget | undefined;
afterEach(async () => {
  await target?.stop();
  target = undefined;
});

function ping(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'ran.1');
    ws.once('open', () => ws.send(JSON.stringify({ type: 'ping:R', rid: 'p' })));
    ws.once('message', (data) => {
      ws.terminate();
      resolve(String(data));
    });
    ws.once('error', reject);
  });
}

describe('the embedded target', () => {
  it('serves on a port of its own, and kill -9 + restart comes back on the same url and data dir', async () => {
    target = await startEmbedded({ secret: 's', faults: [] });
    const { url, dataDir } = target;
    expect(await ping(url)).toContain('"ping:A"');
    await target.act('kill', true);
    expect(target.url).toBe(url);
    expect(target.dataDir).toBe(dataDir);
    expect(await ping(url)).toContain('"ping:A"');
  });

  it('kill without restart leaves nothing listening; restart brings it back', async () => {
    target = await startEmbedded({ secret: 's', faults: [] });
    const { hostname, port } = new URL(target.url);
    await target.act('kill', false);
    expect(await canConnect(hostname, Number(port))).toBe(false);
    await target.act('restart', true);
    expect(await canConnect(hostname, Number(port))).toBe(true);
  });

  it('pause stops answering and resume answers again', async () => {
    target = await startEmbedded({ secret: 's', faults: [] });
    await target.act('pause', false);
    const answered = await Promise.race([
      ping(target.url).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 300)),
    ]);
    expect(answered).toBe(false);
    await target.act('resume', false);
    expect(await ping(target.url)).toContain('"ping:A"');
  });

  it('reports an exit it did not cause (a crash of the server under test)', async () => {
    target = await startEmbedded({ secret: 's', faults: [] });
    const exited = new Promise<string | null>((resolve) =>
      target!.onUnexpectedExit((_code, signal) => resolve(signal)),
    );
    // Someone else kills it: not the kit's own act().
    process.kill(target.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
  });
});

describe('a --target-cmd target', () => {
  it('restarts cleanly on its fixed port even when the shell does not exec the server', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(`${tmpdir()}/imspec-cmd-`);
    const cli = new URL('../../bin/imspec.js', import.meta.url).pathname;
    // No `exec`: the shell is the process the kit signals; the server is its child.
    const command = `"${process.execPath}" "${cli}" serve --port ${port} --db "${dir}/t.db" --hmac-secret s --quiet; true`;
    const cmdTarget = await ProcessTarget.start({
      command,
      args: [],
      shell: true,
      url: { fixed: `ws://127.0.0.1:${port}` },
    });
    try {
      expect(await ping(cmdTarget.url)).toContain('"ping:A"');
      await cmdTarget.act('term', true);
      expect(await ping(cmdTarget.url)).toContain('"ping:A"');
      await cmdTarget.act('kill', true);
      expect(await ping(cmdTarget.url)).toContain('"ping:A"');
    } finally {
      await cmdTarget.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
