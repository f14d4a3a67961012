/**
 * Runs the built CLI (`node bin/imspec.js serve …`) as a child process, for the tests that need
 * a real process: kill -9, SIGTERM, exit codes. Needs `npm run build` first (npm test does it).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${root}bin/imspec.js`;

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  /** Every stdout line so far (the first is the listening line). */
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function assertBuilt(): void {
  if (!existsSync(`${root}dist/src/cli/main.js`)) {
    throw new Error('dist/ is missing: run `npm run build` before the process tests');
  }
}

/** Runs the CLI with `args` to completion; resolves with exit code and output. */
export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `imspec serve` with `args` and resolves once its first stdout line says where it listens. */
export function startServe(args: string[]): Promise<ServeProcess> {
  assertBuilt();
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(...d.split('\n').filter(Boolean)));
  return new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        stdout.push(line);
        if (stdout.length === 1) {
          const m = /^imspec serve: listening on (ws:\/\/\S+)$/.exec(line);
          if (m) resolve({ child, url: m[1]!, stdout, stderr, exited });
          else reject(new Error(`unexpected first line: ${line}`));
        }
      }
    });
    exited.then(({ code, signal }) =>
      reject(new Error(`imspec serve exited (${code ?? signal}) before listening: ${stderr.join('\n')}`)),
    );
  });
}
