/**
 * Certifies real servers with the kit (`npm run certify`): starts each one through its launch
 * script (scripts/targets/*.sh, the same `--target-cmd` a person would use), runs the core suite,
 * the servers suite and the fault suite when it is there through `runSuites` with the server's
 * expected-failures file, and writes docs/certifications/<server>.md: the kit's verdict for every
 * case with its reason, the exact command to reproduce, the server config used, and a reading of
 * each finding. The readings are written by people, in docs/certifications/readings.yaml (keyed by
 * server and case id), so regenerating keeps them; a finding without a reading is marked as such.
 *
 *   node dist/scripts/certify.js [--only mosquitto-2.0,prosody-0.12] [--seed N]
 *
 * Exit code: 0 when every certification run exits 0 (known deviations are XFAIL), else 1; the
 * documents are written either way, since a new deviation is exactly what they must show.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import type { History } from '../src/history/events.js';
import type { CaseResult, RunResult, Verdict } from '../src/report/types.js';
import { runSuites } from '../src/runner/run.js';

/** One server the kit certifies. */
export interface ServerSpec {
  /** Document and expected-failures name, e.g. `mosquitto-2.0`. */
  name: string;
  title: string;
  /** Debian package, for the version line. */
  pkg: string;
  driver: 'mqtt' | 'xmpp';
  /** Launch script, relative to the repository root. */
  script: string;
  /** Target URL for a port (everything the driver needs to know is in it). */
  url: (port: number) => string;
  /** Files the launch script writes into its data dir. */
  configFile: string;
  logFile: string;
  /** The pid file the launch script has the server write, to stop it if certify is interrupted. */
  pidFile: string;
  /** Log lines worth counting in the report: label → pattern. */
  logMarks: Record<string, RegExp>;
  /** Port shown in the reproduce command (any free port works). */
  docPort: number;
}

export const SERVERS: readonly ServerSpec[] = [
  {
    name: 'mosquitto-2.0',
    title: 'Mosquitto 2.0',
    pkg: 'mosquitto',
    driver: 'mqtt',
    script: 'scripts/targets/mosquitto.sh',
    url: (port) => `mqtt://127.0.0.1:${port}`,
    configFile: 'mosquitto.conf',
    logFile: 'mosquitto.log',
    pidFile: 'mosquitto.pid',
    logMarks: {
      '"Outgoing messages are being dropped" (queue full)': /Outgoing messages are being dropped/,
      'database snapshots saved': /Saving in-memory database/,
      'broker starts': /mosquitto version \S+ starting/,
    },
    docPort: 18830,
  },
  {
    name: 'prosody-0.12',
    title: 'Prosody 0.12',
    pkg: 'prosody',
    driver: 'xmpp',
    script: 'scripts/targets/prosody.sh',
    url: (port) => `xmpp://127.0.0.1:${port}?domain=localhost&register=1`,
    configFile: 'prosody.cfg.lua',
    logFile: 'prosody.log',
    pidFile: 'prosody.pid',
    logMarks: {
      'accounts created (XEP-0077, the kit registers each user at its first login)': /User account created/,
      'server starts': /Hello and welcome to Prosody/,
    },
    docPort: 15222,
  },
];

/** Seed of the published runs, so a reproduction replays the same choices. */
export const CERTIFY_SEED = 20261122;

const ROOT = new URL('../../', import.meta.url).pathname;
const DOCS = join(ROOT, 'docs/certifications');

/** The suites a certification runs: core and servers, and faults once that suite exists. */
export function certificationPaths(root = ROOT): string[] {
  return ['suites/core', 'suites/servers', 'suites/faults'].filter((p) => existsSync(join(root, p)));
}

/** Readings keyed by server name, then case id (markdown); `_summary` reads the whole run. */
export type Readings = Record<string, Record<string, string>>;

export function loadReadings(file = join(DOCS, 'readings.yaml')): Readings {
  return (parse(readFileSync(file, 'utf8')) ?? {}) as Readings;
}

/** The command a person runs to reproduce a certification, from the repository root. */
export function reproduceCommand(spec: ServerSpec, paths: readonly string[], dir: string): string {
  return [
    `IMSPEC_HMAC_SECRET=$(openssl rand -hex 16) node bin/imspec.js run ${paths.join(' ')} \\`,
    `  --driver ${spec.driver} --target '${spec.url(spec.docPort)}' \\`,
    `  --target-cmd 'exec ${spec.script} ${spec.docPort} ${dir}' \\`,
    `  --expect-failures suites/expected/${spec.name}.json --seed ${CERTIFY_SEED}`,
  ].join('\n');
}

const NOT_FOUND: ReadonlySet<Verdict> = new Set(['PASS', 'UNSUPPORTED']);

/** The runner's per-case user prefix (`<run id>-<case>-<repetition>-`) says nothing to a reader. */
const USER_PREFIX = /\d{14}-[0-9a-f]{6}-\d+-\d+-/g;

function cell(text: string): string {
  return text
    .replace(USER_PREFIX, '')
    .replace(/</g, '&lt;')
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ');
}

/** What a case's history shows beyond the checker's ledger: pushes the broker flagged DUP, bounces. */
export interface Evidence {
  /** MQTT PUBLISHes to a receiver with the DUP flag set (a redelivery). */
  dupFlagged: number;
  /** XMPP messages bounced back to their sender (`<message type="error">`). */
  bounced: number;
}

export function evidenceOf(history: History): Evidence {
  let dupFlagged = 0;
  let bounced = 0;
  for (const e of history.events) {
    if (e.kind !== 'frame' || e.dir !== 'in') continue;
    if (e.type === 'msg:N' && e.fields['dup'] === true) dupFlagged++;
    if (e.fields['bounce'] !== undefined) bounced++;
  }
  return { dupFlagged, bounced };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The stats of a case as one short line. */
function statLine(c: CaseResult, evidence: Evidence | undefined): string {
  const s = c.stats;
  if (!s || s.sent === 0) return '';
  const parts = [
    `sent ${s.sent}`,
    `accepted ${s.accepted}`,
    `delivered ${s.delivered}`,
    `lost ${s.lost}`,
    `wire duplicates ${s.wireDuplicates}`,
    `retransmits ${s.retransmits}`,
  ];
  if (evidence?.dupFlagged) parts.push(`pushes flagged DUP ${evidence.dupFlagged}`);
  if (evidence?.bounced) parts.push(`bounced to the sender ${evidence.bounced}`);
  return parts.join(', ');
}

/** The first finding of each requirement, as the checker stated it. */
function findingLines(c: CaseResult): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of c.findings) {
    if (seen.has(f.requirement)) continue;
    seen.add(f.requirement);
    out.push(
      `- ${f.requirement} (${f.level}) ${f.kind}: expected ${cell(f.expected)}; actual ${cell(f.actual)}`,
    );
  }
  return out;
}

/** Distinct requirement ids among a case's findings, with their counts. */
function findingIds(c: CaseResult): string {
  const counts = new Map<string, number>();
  for (const f of c.findings)
    counts.set(`${f.requirement} ${f.kind}`, (counts.get(`${f.requirement} ${f.kind}`) ?? 0) + 1);
  return [...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ');
}

export interface RenderInput {
  spec: ServerSpec;
  version: string;
  run: RunResult;
  paths: readonly string[];
  config: string;
  logCounts: Record<string, number>;
  readings: Record<string, string>;
  /** Per `suite/case id`, from its history. */
  evidence: ReadonlyMap<string, Evidence>;
}

/** Pure: the certification document for one server run. */
export function renderCertification(input: RenderInput): string {
  const { spec, run, readings } = input;
  const counts = new Map<Verdict, number>();
  for (const c of run.cases) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
  const tally = [...counts].map(([v, n]) => `${n} ${v}`).join(', ');
  const ran = run.cases.filter((c) => c.verdict !== 'UNSUPPORTED');
  const unsupported = run.cases.filter((c) => c.verdict === 'UNSUPPORTED');
  const lines: string[] = [
    `# Certification: ${spec.title} (Debian ${input.version})`,
    '',
    '<!-- Generated by scripts/certify.ts (npm run certify); edit docs/certifications/readings.yaml, not this file. -->',
    '',
    `imspec ${input.paths.join(' + ')} against ${spec.title} through the \`${spec.driver}\` driver ` +
      `(docs/drivers.md), with the expected failures of \`suites/expected/${spec.name}.json\`. ` +
      `Run ${run.runId}, seed ${run.seed}, ${(run.durationMs / 1000).toFixed(0)} s: ${tally}; ` +
      `exit code ${run.exitCode}${run.staleExemptions.length ? `, stale exemptions: ${run.staleExemptions.join(', ')}` : ''}.`,
    '',
  ];
  if (readings['_summary']) lines.push(readings['_summary'].trim(), '');
  lines.push(
    '## Reproduce',
    '',
    'From the repository root, after `npm run build`, as root (the launch script runs the server as its',
    'own user) or as that user; any free port and an empty directory will do:',
    '',
    '```sh',
    reproduceCommand(spec, input.paths, `/tmp/imspec-${spec.name}`),
    '```',
    '',
    '`npm run certify` runs every certification on free ports and regenerates these documents.',
    '',
    '## Verdicts of the cases that ran',
    '',
    '| case | suite | severity | verdict | findings | reason |',
    '| ---- | ----- | -------- | ------- | -------- | ------ |',
  );
  for (const c of ran) {
    lines.push(
      `| [${c.id}](#${c.id}) | ${c.suite} | ${c.severity} | ${c.verdict} | ${cell(findingIds(c))} | ${cell(cut(c.reason ?? '', 300))} |`,
    );
  }
  lines.push('', '## Readings', '');
  for (const c of ran) {
    const reading = readings[c.id];
    if (!reading && NOT_FOUND.has(c.verdict)) continue;
    lines.push(`### ${c.id}`, '', `**${c.verdict}** — ${c.title}.`);
    const stats = statLine(c, input.evidence.get(`${c.suite}/${c.id}`));
    if (stats) lines.push(`Measured: ${stats}.`);
    const findings = findingLines(c);
    if (findings.length) lines.push('', ...findings);
    lines.push(
      '',
      reading?.trim() ?? '_No reading yet: a deviation nobody has explained. Add one to readings.yaml._',
      '',
    );
  }
  lines.push(
    '## Not run: capabilities the driver does not claim',
    '',
    `The \`${spec.driver}\` driver claims only what the protocol gives (docs/drivers.md), so these cases are`,
    'UNSUPPORTED rather than FAILED:',
    '',
    '| case | why |',
    '| ---- | --- |',
    ...unsupported.map((c) => `| ${c.id} | ${cell(c.reason ?? '')} |`),
    '',
    '## Server config used',
    '',
    `Written by \`${spec.script}\` (the port and directory of this run are replaced by the reproduce command's):`,
    '',
    '```',
    input.config.trim(),
    '```',
    '',
    '## Server log, counted',
    '',
    '| log line | count |',
    '| -------- | ----- |',
    ...Object.entries(input.logCounts).map(([label, n]) => `| ${label} | ${n} |`),
    '',
  );
  return lines.join('\n');
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from listen(0)');
  return address.port;
}

function packageVersion(pkg: string): string {
  try {
    // dpkg-query's own field syntax, not a template string.
    const format = '-f=$' + '{Version}';
    return execFileSync('dpkg-query', ['-W', format, pkg], { encoding: 'utf8' }).trim();
  } catch {
    return 'version unknown';
  }
}

function countLog(text: string, marks: Record<string, RegExp>): Record<string, number> {
  const out: Record<string, number> = {};
  const lines = text.split('\n');
  for (const [label, re] of Object.entries(marks)) out[label] = lines.filter((l) => re.test(l)).length;
  return out;
}

async function certify(
  spec: ServerSpec,
  seed: number,
  readings: Readings,
): Promise<{ doc: string; run: RunResult }> {
  const paths = certificationPaths();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `imspec-${spec.name}-`));
  const script = join(ROOT, spec.script);
  process.stderr.write(`certify ${spec.name}: ${paths.join(' ')} on port ${port}, data in ${dir}\n`);
  // The runner starts the server in a process group of its own, so an interrupted certify would
  // leave it running: stop it by its pid file on the way out.
  const interrupted = (signal: NodeJS.Signals): void => {
    stopServer(join(dir, spec.pidFile));
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const histories = new Map<string, History>();
    const run = await runSuites(
      {
        paths: paths.map((p) => join(ROOT, p)),
        driver: spec.driver,
        target: spec.url(port),
        targetCmd: `exec ${script} ${port} ${dir}`,
        expectFailures: join(ROOT, 'suites/expected', `${spec.name}.json`),
        hmacSecret: process.env['IMSPEC_HMAC_SECRET'] ?? randomBytes(16).toString('hex'),
        seed,
        reports: [],
      },
      {
        onHistory: (history, scenario) => histories.set(`${scenario.suite}/${scenario.id}`, history),
        reporters: [
          {
            onCaseResult: (c) =>
              process.stderr.write(
                `  ${c.verdict.padEnd(11)} ${c.id} ${(c.durationMs / 1000).toFixed(1)} s\n`,
              ),
          },
        ],
      },
    );
    const evidence = new Map<string, Evidence>();
    for (const [id, history] of histories) evidence.set(id, evidenceOf(history));
    const config = readFileSync(join(dir, spec.configFile), 'utf8')
      .replaceAll(dir, `/tmp/imspec-${spec.name}`)
      .replaceAll(String(port), String(spec.docPort));
    const log = existsSync(join(dir, spec.logFile)) ? readFileSync(join(dir, spec.logFile), 'utf8') : '';
    const doc = renderCertification({
      spec,
      version: packageVersion(spec.pkg),
      run,
      paths,
      config,
      logCounts: countLog(log, spec.logMarks),
      readings: readings[spec.name] ?? {},
      evidence,
    });
    return { doc, run };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    rmSync(dir, { recursive: true, force: true });
  }
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

/** SIGKILL the server whose pid is in `file`, if that process still runs on this run's dir. */
function stopServer(file: string): void {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dirname(file))) process.kill(pid, 'SIGKILL');
  } catch {
    // No pid file, or the server is gone already.
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      seed: { type: 'string', default: String(CERTIFY_SEED) },
    },
  });
  const names = values.only?.split(',') ?? SERVERS.map((s) => s.name);
  const unknown = names.filter((n) => !SERVERS.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(
      `unknown server ${unknown.join(', ')}; known: ${SERVERS.map((s) => s.name).join(', ')}\n`,
    );
    process.exit(2);
  }
  const readings = loadReadings();
  let failed = false;
  for (const spec of SERVERS.filter((s) => names.includes(s.name))) {
    const { doc, run } = await certify(spec, Number(values.seed), readings);
    const file = join(DOCS, `${spec.name}.md`);
    if (run.exitCode !== 0) failed = true;
    writeFileSync(file, doc);
    formatMarkdown(file);
    process.stderr.write(`wrote ${relative(ROOT, file)} (exit code ${run.exitCode})\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) await main();
