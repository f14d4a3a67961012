/**
 * Real Prometheus and Pushgateway (Debian's binaries) for integration tests: started as child
 * processes on 127.0.0.1 with temp configs and data dirs, stopped by pid. Never the system
 * services. Readiness is awaited on /-/ready, data by polling the HTTP API — no fixed sleeps.
 *
 * Debian's prometheus 2.42 does not accept `--web.listen-address=127.0.0.1:0`, so a free port is
 * found by binding port 0 first, then passed; a start that loses the race for it is retried.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { freePort } from './ports.js';

export interface RunningBinary {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Output so far (for failure messages). */
  log(): string;
  stop(): Promise<void>;
}

export interface ScrapeJob {
  job: string;
  /** host:port targets. */
  targets: string[];
  /** Keep the pushed job/instance labels (for the Pushgateway). @default false */
  honorLabels?: boolean;
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    // Polling interval of an external process's HTTP API, not synchronisation on our own code.
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function ready(url: string): Promise<true | undefined> {
  const res = await request(`${url}/-/ready`);
  await res.body.dump();
  return res.statusCode === 200 ? true : undefined;
}

async function startBinary(
  command: string,
  args: (port: number) => string[],
  cleanup: () => void,
): Promise<RunningBinary> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(command, args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (c) => (output += c));
    child.stderr?.on('data', (c) => (output += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const url = `http://127.0.0.1:${port}`;
    const outcome = await Promise.race([
      waitFor(`${command} ready on ${url}`, () => ready(url), { timeoutMs: 30_000 }).then(
        () => 'ready' as const,
      ),
      exited.then(() => 'exited' as const),
      spawnError.then((err) => {
        throw new Error(
          `cannot start ${command}: ${err.message} (apt-get install prometheus prometheus-pushgateway)`,
        );
      }),
    ]);
    if (outcome === 'ready') {
      return {
        url,
        port,
        pid: child.pid!,
        log: () => output,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
          cleanup();
        },
      };
    }
    // Lost the race for the port to another process: try another one.
    if (/address already in use/i.test(output) && attempt < 5) continue;
    cleanup();
    throw new Error(`${command} exited before it was ready:\n${output}`);
  }
}

/**
 * Starts Prometheus scraping `jobs` every `scrapeIntervalS` seconds (rules are evaluated as
 * often), loading the rule files `ruleFiles` (absolute paths), with `features` turned on
 * (`--enable-feature`, e.g. `exemplar-storage`).
 */
export async function startPrometheus(
  jobs: ScrapeJob[],
  { scrapeIntervalS = 1, ruleFiles = [] as string[], features = [] as string[] } = {},
): Promise<RunningBinary> {
  const dir = mkdtempSync(join(tmpdir(), 'imspec-prometheus-'));
  const config = [
    'global:',
    `  scrape_interval: ${scrapeIntervalS}s`,
    `  scrape_timeout: ${scrapeIntervalS}s`,
    `  evaluation_interval: ${scrapeIntervalS}s`,
    ...(ruleFiles.length ? ['rule_files:', ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    'scrape_configs:',
    ...jobs.flatMap((j) => [
      `  - job_name: ${JSON.stringify(j.job)}`,
      `    honor_labels: ${j.honorLabels ? 'true' : 'false'}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(j.targets)}`,
    ]),
  ].join('\n');
  writeFileSync(join(dir, 'prometheus.yml'), `${config}\n`);
  return startBinary(
    'prometheus',
    (port) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
      ...(features.length ? [`--enable-feature=${features.join(',')}`] : []),
    ],
    () => rmSync(dir, { recursive: true, force: true }),
  );
}

export async function startPushgateway(): Promise<RunningBinary> {
  return startBinary(
    'prometheus-pushgateway',
    // In memory only: Debian's default --persistence.file (/var/lib/prometheus/pushgateway.data)
    // is one file for every Pushgateway started here, so each test saw every earlier test's groups.
    (port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'],
    () => undefined,
  );
}

/**
 * Grafana's template variables as the dashboards' tests substitute them for an instant query on
 * job `job`, every other variable All; a 20 s rate window covers ≥ 15 scrapes at 1 s.
 */
export function grafanaVars(job: string): Record<string, string> {
  return {
    job,
    target: '.*',
    driver: '.*',
    run_id: '.*',
    scenario: '.*',
    __rate_interval: '20s',
    __range: '5m',
    __interval: '1s',
  };
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Instant query through the HTTP API; throws on a PromQL error. */
export async function query(prometheusUrl: string, expr: string): Promise<Sample[]> {
  const res = await request(`${prometheusUrl}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }).toString(),
  });
  const body = (await res.body.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: Sample[] | [number, string] };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${body.error} — ${expr}`);
  const { resultType, result } = body.data!;
  // A scalar result (e.g. `vector(0)` folded) is data too.
  if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
  return result as Sample[];
}

export interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: { labels: Record<string, string>; value: string; timestamp: number }[];
}

/**
 * Exemplars of the series an expression selects between `start` and `end` (unix seconds), as
 * Grafana asks for them (GET /api/v1/query_exemplars; needs `exemplar-storage`).
 */
export async function queryExemplars(
  prometheusUrl: string,
  expr: string,
  start: number,
  end: number,
): Promise<ExemplarSeries[]> {
  const params = new URLSearchParams({ query: expr, start: String(start), end: String(end) });
  const res = await request(`${prometheusUrl}/api/v1/query_exemplars?${params}`);
  const body = (await res.body.json()) as { status: string; error?: string; data?: ExemplarSeries[] };
  if (body.status !== 'success') throw new Error(`query_exemplars failed: ${body.error} — ${expr}`);
  return body.data ?? [];
}

export interface ActiveAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  /** When the alert's expression became true (RFC 3339): pending since, firing after `for`. */
  activeAt: string;
}

/** The alerts Prometheus holds now, pending or firing (GET /api/v1/alerts). */
export async function alerts(prometheusUrl: string): Promise<ActiveAlert[]> {
  const res = await request(`${prometheusUrl}/api/v1/alerts`);
  const body = (await res.body.json()) as { data: { alerts: ActiveAlert[] } };
  return body.data.alerts;
}
