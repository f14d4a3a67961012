/**
 * The binary-im example server (examples/binary-im/server.js) as a child process on a free port
 * with a fresh SQLite file, for tests: what a user of the example runs, started the same way.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BINARY_IM_DIR = 'examples/binary-im';
export const BINARY_IM_DRIVER = `${BINARY_IM_DIR}/driver.js`;

export interface BinaryIm {
  url: string;
  port: number;
  dir: string;
  /** The shell command that starts this server again on the same port and data (`--target-cmd`). */
  command: string;
  stop(): Promise<void>;
}

/** The command line that runs the example server. */
export function binaryImCommand(port: number, db: string, secret: string): string {
  return `exec node ${BINARY_IM_DIR}/server.js --port ${port} --db ${db} --hmac-secret ${secret}`;
}

export async function startBinaryIm(secret: string): Promise<BinaryIm> {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-bim-'));
  const db = join(dir, 'bim.db');
  const child: ChildProcess = spawn(
    process.execPath,
    [`${BINARY_IM_DIR}/server.js`, '--port', '0', '--db', db, '--hmac-secret', secret],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /tcp:\/\/\S+/.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) =>
      reject(new Error(`binary-im server exited (${code}) before listening: ${out}`)),
    );
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    dir,
    command: binaryImCommand(port, db, secret),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
