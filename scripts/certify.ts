/**
 * Regenerates the published certifications (`npm run certify`): each is one `imspec certify`
 * invocation, parsed by the command's own option definition and run through the same API, on a
 * free port and a fresh directory; the documents show the port and directory of the reproduce
 * command instead, and are laid out by the repository's formatter so `npm run lint` accepts them.
 *
 *   node dist/scripts/certify.js [--only mosquitto-2.0,rabbitmq-3.10] [--seed N]
 *
 * Exit code: 0 when every certification run exits 0 (known deviations are XFAIL), else 1; the
 * documents are written either way, since a new deviation is exactly what they must show.
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { certify } from '../src/certify/index.js';
import { certifyInput, defineCertifyOptions } from '../src/cli/commands/certify.js';
import { createReporters } from '../src/report/index.js';
import { scriptArgs } from './args.js';
import { freePort } from './free-port.js';

/**
 * One published certification: `imspec certify` arguments, where `{port}` is a free port and
 * `{dir}` a fresh directory for this run, shown in the document as `port` and `dir`.
 */
export interface Invocation {
  /** The document's name (docs/certifications/<name>.md), also --only's. */
  name: string;
  args: readonly string[];
  port: number;
  dir: string;
}

const PUBLISHED = ['--out', 'docs/certifications', '--readings', 'docs/certifications/readings.yaml'];
const version = (pkg: string) => ['--version-cmd', `dpkg-query -W -f='Debian \${Version}' ${pkg}`];

export const INVOCATIONS: readonly Invocation[] = [
  {
    name: 'mosquitto-2.0',
    args: [
      ...['--name', 'Mosquitto 2.0', '--driver', 'mqtt', '--target', 'mqtt://127.0.0.1:{port}'],
      ...['--target-cmd', 'exec scripts/targets/mosquitto.sh {port} {dir}'],
      ...version('mosquitto'),
      ...['--config', '{dir}/mosquitto.conf', '--log', '{dir}/mosquitto.log'],
      ...[
        '--log-count',
        '"Outgoing messages are being dropped" (queue full)=Outgoing messages are being dropped',
      ],
      ...['--log-count', 'database snapshots saved=Saving in-memory database'],
      ...['--log-count', 'broker starts=mosquitto version \\S+ starting'],
      ...['--expect-failures', 'suites/expected/mosquitto-2.0.json', ...PUBLISHED],
    ],
    port: 18830,
    dir: '/tmp/imspec-mosquitto-2.0',
  },
  {
    name: 'prosody-0.12',
    args: [
      ...['--name', 'Prosody 0.12', '--driver', 'xmpp'],
      ...['--target', 'xmpp://127.0.0.1:{port}?domain=localhost&register=1'],
      ...['--target-cmd', 'exec scripts/targets/prosody.sh {port} {dir}'],
      ...version('prosody'),
      ...['--config', '{dir}/prosody.cfg.lua', '--log', '{dir}/prosody.log'],
      ...['--log-count', 'accounts created (XEP-0077, before each case)=User account created'],
      ...['--log-count', 'server starts=Hello and welcome to Prosody'],
      ...['--expect-failures', 'suites/expected/prosody-0.12.json', ...PUBLISHED],
    ],
    port: 15222,
    dir: '/tmp/imspec-prosody-0.12',
  },
  {
    name: 'rabbitmq-3.10',
    args: [
      ...['--name', 'RabbitMQ 3.10', '--driver', 'mqtt'],
      // The MQTT plugin of 3.10 speaks 3.1.1 only, and checks every presented credential.
      ...['--target', 'mqtt://127.0.0.1:{port}?version=3.1.1&anonymous=1'],
      ...['--target-cmd', 'exec scripts/targets/rabbitmq.sh {port} {dir}', '--start-timeout', '2m'],
      ...version('rabbitmq-server'),
      ...['--config', '{dir}/rabbitmq.conf', '--config', '{dir}/enabled_plugins'],
      ...['--log', '{dir}/log/rabbitmq.log'],
      ...['--log-count', 'node starts=Server startup complete'],
      ...['--log-count', 'MQTT connections accepted=accepting MQTT connection'],
      ...['--expect-failures', 'suites/expected/rabbitmq-3.10.json', ...PUBLISHED],
    ],
    port: 18840,
    dir: '/tmp/imspec-rabbitmq-3.10',
  },
];

/** Seed of the published runs, so a reproduction replays the same choices. */
export const CERTIFY_SEED = 20261122;

const ROOT = new URL('../../', import.meta.url).pathname;

/** The invocation's arguments for a run on `port` and `dir`. */
export function argvOf(invocation: Invocation, port: number, dir: string, seed: number): string[] {
  const fill = (arg: string) => arg.replaceAll('{port}', String(port)).replaceAll('{dir}', dir);
  return [...invocation.args.map(fill), '--seed', String(seed)];
}

/** The repository's formatter lays out the tables, so `npm run lint` accepts the document as written. */
function formatMarkdown(file: string): void {
  const biome = join(ROOT, 'node_modules/.bin/biome');
  if (!existsSync(biome)) {
    process.stderr.write(`${biome} is missing: ${relative(ROOT, file)} is left unformatted\n`);
    return;
  }
  execFileSync(biome, ['format', '--write', file], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  const values = scriptArgs(
    'certify',
    `node dist/scripts/certify.js [--only ${INVOCATIONS.map((i) => i.name).join(',')}] [--seed N]`,
    { only: { type: 'string' }, seed: { type: 'string', default: String(CERTIFY_SEED) } },
  );
  const names = values.only?.split(',') ?? INVOCATIONS.map((i) => i.name);
  const unknown = names.filter((n) => !INVOCATIONS.some((i) => i.name === n));
  if (unknown.length) {
    process.stderr.write(
      `unknown certification ${unknown.join(', ')}; known: ${INVOCATIONS.map((i) => i.name).join(', ')}\n`,
    );
    process.exit(2);
  }
  process.chdir(ROOT);
  let failed = false;
  for (const invocation of INVOCATIONS.filter((i) => names.includes(i.name))) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `imspec-${invocation.name}-`));
    const argv = argvOf(invocation, port, dir, Number(values.seed));
    process.stderr.write(`certify ${invocation.name} on port ${port}, data in ${dir}\n`);
    try {
      const command = defineCertifyOptions(new Command('certify')).exitOverride();
      command.parse(argv, { from: 'user' });
      const result = await certify(
        {
          ...certifyInput(command.opts()),
          display: { [String(port)]: String(invocation.port), [dir]: invocation.dir },
        },
        { reporters: createReporters(['console'], process.stderr) },
      );
      if (result.run.exitCode !== 0) failed = true;
      formatMarkdown(result.file);
      process.stderr.write(`wrote ${result.file} (exit code ${result.run.exitCode})\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
