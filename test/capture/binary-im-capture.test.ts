/**
 * Passive checks of a protocol imspec does not speak: binary-im traffic recorded as raw bytes by
 * a TCP tap (examples/tap/tcp-tap.js) in front of the server, cut into frames and read by the
 * driver's codec (`imspec check --codec`). A clean exchange gives no finding; a hand-made
 * recording of a server that stores a retransmission twice gives the dedup findings.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCapture } from '../../src/capture/check.js';
import { type LoadedDriver, loadDriver } from '../../src/drivers/load.js';
import { runSuites } from '../../src/runner/run.js';
import { BINARY_IM_DIR, BINARY_IM_DRIVER, type BinaryIm, startBinaryIm } from '../helpers/binary-im.js';

const SECRET = 'capture-secret';
const dir = mkdtempSync(join(tmpdir(), 'imspec-bim-capture-'));
let server: BinaryIm;
let bim: LoadedDriver;
/** examples/binary-im/wire.js (plain JavaScript, loaded at run time). */
let wire: { encodeFrame(frame: Record<string, unknown>): Buffer };

beforeAll(async () => {
  const wirePath = `../../${BINARY_IM_DIR}/wire.js`;
  [server, bim, wire] = await Promise.all([
    startBinaryIm(SECRET),
    loadDriver(BINARY_IM_DRIVER),
    import(wirePath),
  ]);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startTap(out: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['examples/tap/tcp-tap.js', '--listen', '0', '--upstream', `127.0.0.1:${server.port}`, '--out', out],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      const m = /127\.0\.0\.1:(\d+)/.exec(b.toString('utf8'));
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`tcp-tap exited (${code})`)));
  });
  return { port, child };
}

describe('imspec check --codec on binary-im', () => {
  it('finds nothing in tapped traffic of a correct exchange, and sees every message delivered', async () => {
    const out = join(dir, 'tapped.jsonl');
    const tap = await startTap(out);
    const run = await runSuites({
      paths: ['suites/core'],
      only: ['happy-six-frames', 'reconnect-sync-250', 'per-sender-order'],
      driver: BINARY_IM_DRIVER,
      target: `tcp://127.0.0.1:${tap.port}`,
      hmacSecret: SECRET,
      seed: 5,
      reports: [],
    });
    const exited = once(tap.child, 'exit');
    tap.child.kill('SIGTERM');
    await exited;
    expect(run.cases.map((c) => c.verdict)).toEqual(['PASS', 'PASS', 'PASS']);
    const { result, summary } = await checkCapture(out, { codec: bim.codec! });
    expect(result.findings.map((f) => `${f.requirement}: ${f.actual}`)).toEqual([]);
    const delivered = run.cases.reduce((n, c) => n + c.stats!.delivered, 0);
    expect(result.stats!.delivered).toBe(delivered);
    expect(summary.caps).toContain('dedup');
    // Logins named every connection: no frame went to an unknown actor.
    expect(Object.keys(summary.users).length).toBeGreaterThanOrEqual(6);
    expect(result.wireLog.join('\n')).not.toContain('?/');
  });

  /** A recording of alice sending c1 twice (a retransmission) to bob, by a server with or without dedup. */
  function exchange(dedup: boolean): string {
    const lines: string[] = [];
    let t = 0;
    const frame = (conn: string, dir: 'to-server' | 'to-client', f: Record<string, unknown>) => {
      t += 5;
      lines.push(JSON.stringify({ t, conn, dir, bytes: wire.encodeFrame(f).toString('base64') }));
    };
    const features = ['dedup', 'contiguous-seq', 'cumulative-ack'];
    const content = Buffer.from('hello');
    const push = (msgId: number, seq: number) => ({
      push: { msgId, clientMsgId: 'c1', from: 'alice', to: 'bob', content, seq },
    });
    frame('a', 'to-server', { reqId: 1, login: { user: 'alice', device: 'phone', token: 't' } });
    frame('a', 'to-client', { reqId: 1, loginOk: { maxSeq: 0, pending: 0, features } });
    frame('b', 'to-server', {
      reqId: 1,
      login: { user: 'bob', device: 'phone', token: 't', hasLastSeq: true },
    });
    frame('b', 'to-client', { reqId: 1, loginOk: { maxSeq: 0, pending: 0, features } });
    frame('a', 'to-server', { reqId: 2, send: { clientMsgId: 'c1', to: 'bob', content } });
    frame('a', 'to-client', { reqId: 2, sendAck: { clientMsgId: 'c1', msgId: 41 } });
    frame('b', 'to-client', push(41, 1));
    frame('a', 'to-server', { reqId: 3, send: { clientMsgId: 'c1', to: 'bob', content } });
    if (dedup) {
      frame('a', 'to-client', { reqId: 3, sendAck: { clientMsgId: 'c1', msgId: 41, duplicate: true } });
    } else {
      // Stored again, with a new id and seq, and pushed as a new message.
      frame('a', 'to-client', { reqId: 3, sendAck: { clientMsgId: 'c1', msgId: 42 } });
      frame('b', 'to-client', push(42, 2));
    }
    const upToSeq = dedup ? 1 : 2;
    frame('b', 'to-server', { reqId: 2, ack: { upToSeq } });
    frame('b', 'to-client', { reqId: 2, ackOk: { upToSeq } });
    return `${lines.join('\n')}\n`;
  }

  it('finds a retransmission stored twice (DEDUP-1, DEDUP-2) in a recording of a server without dedup', async () => {
    const broken = join(dir, 'no-dedup.jsonl');
    writeFileSync(broken, exchange(false));
    const { result } = await checkCapture(broken, { codec: bim.codec! });
    expect(result.verdict).toBe('FAIL');
    expect(new Set(result.findings.map((f) => f.requirement))).toEqual(new Set(['DEDUP-1', 'DEDUP-2']));
    expect(result.findings[0]!.cmid).toBe('c1');
  });

  it('finds nothing in the same recording from a server that answers the retransmission as a duplicate', async () => {
    const good = join(dir, 'dedup.jsonl');
    writeFileSync(good, exchange(true));
    const { result } = await checkCapture(good, { codec: bim.codec! });
    expect(result.findings.map((f) => `${f.requirement}: ${f.actual}`)).toEqual([]);
    expect(result.stats!.delivered).toBe(1);
  });
});
