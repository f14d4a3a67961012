import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { hmacToken } from '../../src/protocol/auth.js';
import { type RunningServer, startServer } from '../../src/server/server.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/imspec.js', import.meta.url));
const SECRET = 'cli-monitor';

let server: RunningServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = undefined;
  dir = undefined;
});

function configFile(target: string): string {
  dir = mkdtempSync(join(tmpdir(), 'imspec-monitor-cli-'));
  const path = join(dir, 'monitor.yaml');
  writeFileSync(
    path,
    `target: ${target}\ninterval: 50ms\ntimeout: 2s\naccounts:\n` +
      '  - { user: cli-a, tokenEnv: CLI_A_TOKEN }\n  - { user: cli-b, tokenEnv: CLI_B_TOKEN }\n',
  );
  return path;
}

describe('imspec monitor (CLI, built)', () => {
  it('probes for --cycles cycles with tokens from the environment and exits 0', async () => {
    server = await startServer({ port: 0, hmacSecret: SECRET });
    const env = {
      ...process.env,
      CLI_A_TOKEN: hmacToken(SECRET, 'cli-a'),
      CLI_B_TOKEN: hmacToken(SECRET, 'cli-b'),
    };
    const { stdout } = await run(
      'node',
      [bin, 'monitor', '-c', configFile(server.url), '--metrics-port', '0', '--cycles', '3'],
      {
        env,
      },
    );
    expect(stdout).toMatch(
      /probing ws:\/\/127\.0\.0\.1:\d+ with 2 accounts every 50 ms; metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/,
    );
    expect(stdout).toContain('stopped after 3 cycle(s); last succeeded');
  });

  it('exits 2 with the config error when a token variable is missing', async () => {
    const path = configFile('ws://127.0.0.1:9');
    const env: NodeJS.ProcessEnv = { ...process.env, CLI_A_TOKEN: 'x' };
    delete env['CLI_B_TOKEN'];
    const failed = await run('node', [bin, 'monitor', '-c', path], { env }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(
      /environment variable CLI_B_TOKEN \(token of cli-b\) is not set \[IMSPEC_ERR_CONFIG\]/,
    );
  });

  it('exits 2 before probing when the driver does not speak the target URL', async () => {
    const path = configFile('ws://127.0.0.1:9');
    const env = { ...process.env, CLI_A_TOKEN: 'x', CLI_B_TOKEN: 'y' };
    const failed = await run('node', [bin, 'monitor', '-c', path, '--driver', 'xmpp', '--cycles', '1'], {
      env,
    }).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(
      /the config target ws:\/\/127\.0\.0\.1:9: the xmpp driver does not speak ws/,
    );
    expect(failed.stdout).toBe('');
  });

  it('refuses --cycles 0 (leaving it out runs until interrupted) and documents its exit codes', async () => {
    const failed = await run('node', [bin, 'monitor', '-c', 'none.yaml', '--cycles', '0']).catch((e) => e);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/--cycles must be a positive integer, got "0"/);
    const help = await run('node', [bin, 'monitor', '--help']);
    expect(help.stdout).toMatch(/Exit codes[^:]*: 0 .*\n.*1 the last cycle failed.*2 usage/s);
  });

  it('refuses a --metrics-port that is not a decimal port before reading the config (the rule of run and load)', async () => {
    const failed = await run('node', [bin, 'monitor', '-c', 'none.yaml', '--metrics-port', '0x10']).catch(
      (e) => e,
    );
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(
      /--metrics-port must be a port from 0 to 65535 \(0: any free port\), got "0x10"/,
    );
  });
});
