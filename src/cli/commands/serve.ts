/**
 * `imspec serve`: the RAN/1 reference server. Thin: parses options, calls startServer, waits for
 * SIGTERM/SIGINT and shuts down gracefully (SHUT-1), then exits 0.
 *
 * Contract the kit's runner relies on: once listening, the FIRST line on stdout is exactly
 * `imspec serve: listening on ws://HOST:PORT` with the actual port.
 *
 * It imports the server module directly rather than src/index.ts so that starting a server —
 * which the kit's kill matrix does over and over — loads only what the server needs.
 */

import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../../errors.js';
import {
  DEFAULT_LIMITS,
  describeServerFaults,
  isServerFaultName,
  LIMIT_RANGES,
  limitProblem,
  SERVER_DEFAULTS,
  SERVER_FAULT_NAMES,
  type ServerFaultName,
  type ServerOptions,
  startServer,
} from '../../server/index.js';
import { isEmbeddedDataDir, parentGone } from '../parent.js';

interface ServeFlags {
  host?: string;
  port?: number;
  db?: string;
  token?: Record<string, string>;
  tokensFile?: string;
  hmacSecret?: string;
  groupCommit: boolean;
  fault?: ServerFaultName[];
  quiet?: boolean;
  maxFrameBytes?: number;
  maxBodyBytes?: number;
  syncLimitMax?: number;
  pushWindow?: number;
  repushMs?: number;
  dedupWindowMs?: number;
  helloTimeoutMs?: number;
  idleMs?: number;
  embedded?: boolean;
}

function integer(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

function collectFault(value: string, previous: ServerFaultName[] | undefined): ServerFaultName[] {
  if (!isServerFaultName(value)) {
    throw new InvalidArgumentError(`unknown fault; known faults: ${SERVER_FAULT_NAMES.join(', ')}`);
  }
  return [...(previous ?? []), value];
}

function collectToken(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const colon = value.indexOf(':');
  if (colon < 1 || colon === value.length - 1) throw new InvalidArgumentError('expected USER:TOKEN');
  return { ...previous, [value.slice(0, colon)]: value.slice(colon + 1) };
}

function readTokensFile(file: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`--tokens-file ${file}: ${(cause as Error).message}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`--tokens-file ${file}: expected a JSON object {"user": "token", …}`);
  }
  for (const [user, token] of Object.entries(parsed)) {
    if (typeof token !== 'string') {
      throw new ConfigError(`--tokens-file ${file}: the token of ${JSON.stringify(user)} is not a string`);
    }
  }
  return parsed as Record<string, string>;
}

/** Resolves on the first SIGTERM or SIGINT; a second one gets Node's default (immediate exit). */
function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

const LIMIT_FLAGS: [flag: string, key: keyof typeof DEFAULT_LIMITS, what: string][] = [
  ['--max-frame-bytes', 'maxFrameBytes', 'larger WebSocket messages close the connection with 1009'],
  ['--max-body-bytes', 'maxBodyBytes', 'longer msg:R bodies are refused with too-large'],
  ['--sync-limit-max', 'syncLimitMax', 'most messages in one sync page'],
  ['--push-window', 'pushWindow', 'pending messages pushed after hello; above it the device pages'],
  ['--repush-ms', 'repushMs', 'an unacked push is sent again after this long'],
  ['--dedup-window-ms', 'dedupWindowMs', 'a repeated (sender, cmid) within this long is a duplicate'],
  ['--hello-timeout-ms', 'helloTimeoutMs', 'close with 4408 when no hello:R came by then'],
  ['--idle-ms', 'idleMs', 'close with 4408 after this long without a frame'],
];

export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .summary('run the RAN/1 reference server (durable, correct, breakable with --fault)')
    .description(
      'Run the RAN/1 reference server: durable (SQLite), correct, and breakable on purpose with --fault.',
    )
    .option('--host <host>', `interface to listen on (default: ${SERVER_DEFAULTS.host})`)
    .option('--port <port>', `TCP port, 0 for any free one (default: ${SERVER_DEFAULTS.port})`, integer)
    .option(
      '--db <file>',
      'SQLite database file, created when missing (default: a fresh file in the temp dir, removed at a clean stop)',
    )
    .option('--token <user:token>', 'accept this static token for this user (repeatable)', collectToken)
    .option('--tokens-file <file>', 'static tokens from a JSON file {"user": "token", …}')
    .option(
      '--hmac-secret <secret>',
      'accept token = hex(HMAC-SHA256(secret, user)); also from env IMSPEC_HMAC_SECRET ' +
        '(default: with no auth option, a random secret is generated and printed)',
    );
  for (const [flag, key, what] of LIMIT_FLAGS) {
    // Range-checked as the flag is read: a bad value is a usage error naming the flag, before the
    // server starts.
    const limit = (value: string): number => {
      const n = /^\d{1,16}$/.test(value) ? Number(value) : value;
      const problem = limitProblem(key, n);
      if (problem) throw new InvalidArgumentError(problem.replace(/, got .*$/, ''));
      return n as number;
    };
    const max = LIMIT_RANGES[key][1];
    const most = max < Number.MAX_SAFE_INTEGER ? `, at most ${max}` : '';
    cmd.option(`${flag} <n>`, `${what} (default: ${DEFAULT_LIMITS[key]}${most})`, limit);
  }
  cmd
    .option('--no-group-commit', 'commit each request in its own transaction (default: group commit on)')
    .option('--fault <name>', 'turn on a deliberate defect, see below (repeatable)', collectFault)
    .option('-q, --quiet', 'print only the listening line (and a generated secret)')
    // The kit's own (src/runner/embedded.ts): it opened an IPC channel to this server, which exits
    // when the channel closes (src/cli/parent.ts), and --db lies in a temp directory it made for
    // this server alone. The kit removes that after stopping the server; when the kit dies
    // first, the server does.
    .addOption(new Option('--embedded').hideHelp())
    .addHelpText(
      'after',
      `\nFaults (--fault NAME): each breaks one rule of docs/protocol.md, deterministically.\n${describeServerFaults()}\n\n` +
        'The first stdout line, once listening, is "imspec serve: listening on ws://HOST:PORT".\n' +
        'SIGTERM or SIGINT shuts down gracefully (pending commits answered, connections closed\n' +
        'with 1001) and exits 0; a second signal exits at once.',
    )
    .action(async (flags: ServeFlags) => {
      await serve(flags);
    });
}

async function serve(flags: ServeFlags): Promise<void> {
  const tokens = { ...(flags.tokensFile ? readTokensFile(flags.tokensFile) : {}), ...flags.token };
  const hmacSecret = flags.hmacSecret ?? (process.env['IMSPEC_HMAC_SECRET'] || undefined);
  const say = (line: string) => process.stdout.write(`imspec serve: ${line}\n`);
  const options: ServerOptions = {
    groupCommit: flags.groupCommit,
    faults: flags.fault ?? [],
    log: flags.quiet ? undefined : (line) => process.stderr.write(`imspec serve: ${line}\n`),
  };
  if (flags.host !== undefined) options.host = flags.host;
  if (flags.port !== undefined) options.port = flags.port;
  if (flags.db !== undefined) options.db = flags.db;
  if (Object.keys(tokens).length > 0) options.tokens = tokens;
  if (hmacSecret !== undefined) options.hmacSecret = hmacSecret;
  for (const [, key] of LIMIT_FLAGS) {
    const value = flags[key];
    if (value !== undefined) options[key] = value;
  }
  const stop = Promise.race([
    nextStopSignal(),
    ...(flags.embedded ? [parentGone().then(() => 'parent gone')] : []),
  ]);
  const server = await startServer(options);
  say(`listening on ${server.url}`);
  const { auth } = server.options;
  if (auth.hmacSecretGenerated)
    say(`hmac secret ${auth.hmacSecret} (generated: token = hex(HMAC-SHA256(secret, user)))`);
  if (!flags.quiet) {
    say(
      `database ${server.dbPath}${server.options.dbGenerated ? ' (fresh, removed at a clean stop; pass --db FILE to keep one)' : ''}`,
    );
    say(`group commit ${server.options.groupCommit ? 'on' : 'off'}`);
    if (server.options.faults.length > 0) say(`SERVER_FAULTS ON: ${server.options.faults.join(', ')}`);
  }
  const reason = await stop;
  if (reason === 'parent gone') {
    // Nobody is left to stop us or to remove the temp dir: close (bounded), clean up, go.
    const closed = server.close().catch(() => {});
    await Promise.race([closed, new Promise((r) => setTimeout(r, ORPHAN_CLOSE_MS))]);
    const dataDir = flags.db === undefined ? undefined : dirname(flags.db);
    if (dataDir !== undefined && isEmbeddedDataDir(dataDir))
      rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
  if (!flags.quiet) say(`${reason}: shutting down`);
  await server.close();
  if (!flags.quiet) say('stopped');
}

/** How long an orphaned server waits for its graceful close before it removes its files and exits. */
const ORPHAN_CLOSE_MS = 3_000;
