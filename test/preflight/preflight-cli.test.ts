import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { TargetUnreachableError } from '../../src/errors.js';
import { defaultLedger } from '../../src/load/default-ledger.js';
import { runLoad } from '../../src/load/run-load.js';
import { runCli, type ServeProcess, startServe } from '../server/spawn.js';

// A misconfigured target is said once, fast, with exit 2 — never 26 ERRORs nor a FAIL charged
// to a server the kit never reached. Real sockets: a closed port, a TCP server that answers
// garbage, a WebSocket server that speaks something other than RAN/1, a server with another secret.

let garbage: Server;
let garbagePort = 0;
let closedPort = 0;
let wss: WebSocketServer;
let serve: ServeProcess;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

beforeAll(async () => {
  garbage = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('data', () => socket.write('220 smtp.example ESMTP ready\r\n\r\n'));
  });
  garbagePort = await listen(garbage);
  const closed = createServer();
  closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (ws) => ws.on('message', () => ws.send('<stream:stream> not json')));
  serve = await startServe(['--port', '0', '--hmac-secret', 'right-secret', '--quiet']);
});

afterAll(async () => {
  garbage?.close();
  wss?.close();
  serve?.child.kill('SIGTERM');
  await serve?.exited;
});

const wsPort = () => (wss.address() as { port: number }).port;

async function run(...args: string[]) {
  const r = await runCli(['run', 'suites/core', ...args]);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('preflight of imspec run', () => {
  it.each([
    ['not a url', /is not a URL/],
    ['ws://127.0.0.1:99999', /is not a URL \(a port must be 1–65535\)/],
    ['', /--target is empty.*leave --target out/],
    ['http://127.0.0.1:80', /ran driver does not speak http/],
  ])('refuses --target %j as a usage error before any case', async (target, message) => {
    const r = await run('--target', target);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.out).not.toMatch(/ERROR|FAIL/);
  });

  // The embedded server speaks RAN/1 only; each built-in driver names the schemes it takes.
  it.each([
    [['run', '--driver', 'mqtt'], /--driver mqtt needs --target \(e\.g\. mqtt:\/\/.*RAN\/1 only/],
    [['run', '--driver', 'xmpp', '--target', 'ws://127.0.0.1:7400'], /xmpp driver does not speak ws/],
    [['explore', '--driver', 'xmpp'], /--driver xmpp needs --target \(e\.g\. xmpp:\/\//],
    [['explore', '--driver', 'mqtt', '--target', 'xmpp://127.0.0.1:5222'], /mqtt driver does not speak xmpp/],
    [
      [
        'certify',
        '--name',
        'x',
        '--driver',
        'xmpp',
        '--target',
        'ws://127.0.0.1:1',
        '--target-cmd',
        'sleep 60',
      ],
      /xmpp driver does not speak ws/,
    ],
    [
      ['driver-test', 'xmpp', '--target', 'ws://127.0.0.1:1', '--hmac-secret', 's'],
      /xmpp driver does not speak ws/,
    ],
  ])(
    '%j: the driver and the target do not go together: a usage error before anything starts',
    async (args, message) => {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stdout).toBe('');
    },
  );

  it('refuses an unknown --server-fault with a did-you-mean, before any server starts', async () => {
    const r = await runCli(['run', '--server-fault', 'no-dedupe']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--server-fault no-dedupe is not a fault.*did you mean "no-dedup"/);
    expect(r.stdout).toBe('');
  });

  it('says once that the embedded server did not start, when its arguments are wrong', async () => {
    const r = await runCli(['run', '--server-arg=--bogus']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.match(/did not start/g)).toHaveLength(1);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stdout).not.toMatch(/ERROR/);
  });

  it('names a closed port as refused, with the address it tried', async () => {
    const r = await run('--target', `ws://127.0.0.1:${closedPort}`);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain(`connection refused`);
    expect(r.err).toContain(`tried a TCP connection to 127.0.0.1:${closedPort}`);
    expect(r.err.match(/imspec:/g)).toHaveLength(1);
  });

  it('says a TCP server speaking another protocol is not a RAN/1 server', async () => {
    const r = await run('--target', `ws://127.0.0.1:${garbagePort}`);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/is this a RAN\/1 \(WebSocket\) server\?/);
  });

  it('names non-JSON frames from a WebSocket server as such', async () => {
    const r = await run('--target', `ws://127.0.0.1:${wsPort()}`);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/sent frames the ran driver cannot read/);
    expect(r.err).toContain('<stream:stream> not json');
  });

  it('says a refused login is the secret, not the server', async () => {
    const r = await run('--target', serve.url, '--hmac-secret', 'wrong-secret');
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/refused the login.*Check --hmac-secret/);
  });

  it('lets a reachable server with the right secret through to the cases', async () => {
    const r = await run('--target', serve.url, '--hmac-secret', 'right-secret', '--only', 'happy-six-frames');
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/PASS\s+happy-six-frames/);
  });
});

describe('preflight of the other commands that reach a target', () => {
  it('imspec load refuses an unreachable target before any bot connects', async () => {
    // Programmatic, to see the error's type (the CLI prints its message and exits 2).
    const error = await runLoad({
      profile: 'profiles/steady.yaml',
      ledger: defaultLedger(),
      reports: [],
      target: `ws://127.0.0.1:${closedPort}`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetUnreachableError);
    expect((error as Error).message).toContain('connection refused');
  });

  it('imspec load refuses a target URL the driver does not speak', async () => {
    const r = await runCli(['load', 'profiles/steady.yaml', '--target', 'mqtt://127.0.0.1:1883']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/ran driver does not speak mqtt/);
  });

  it('imspec driver-test refuses an unreachable target before the contract runs', async () => {
    const r = await runCli([
      'driver-test',
      'ran',
      '--target',
      `ws://127.0.0.1:${closedPort}`,
      '--hmac-secret',
      's',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`tried a TCP connection to 127.0.0.1:${closedPort}`);
    expect(r.stdout).not.toMatch(/ERROR/);
  });
});
