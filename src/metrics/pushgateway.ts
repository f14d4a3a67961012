/**
 * Pushes a registry's final values to a Prometheus Pushgateway, for runs too short to be
 * scraped (a CI job that ends before the next scrape). One group per run: grouping labels
 * job, run id and suite, so a later run replaces nothing of an earlier one.
 */

import type { Registry } from 'prom-client';
import { request } from 'undici';
import { ConfigError, MetricsExportError } from '../errors.js';
import { renderMetrics } from './render.js';

export interface PushOptions {
  /** Pushgateway base URL, e.g. `http://127.0.0.1:9091`. */
  url: string;
  registry: Registry;
  /** The `job` grouping label. */
  job: string;
  /**
   * More grouping labels, e.g. `{ run_id: '…', suite: 'core' }`. The Pushgateway stamps them on
   * every pushed series, overwriting a same-named label (measured with Pushgateway 1.5): pass
   * `suite` only when every case of the run belongs to that suite. @default {}
   */
  grouping?: Record<string, string>;
  /**
   * `put` replaces every metric of the group (the final values of a run); `post` replaces
   * only metrics with the same names. @default 'put'
   */
  method?: 'put' | 'post';
  /** Give up after this long. @default 10000 */
  timeoutMs?: number;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * One path segment pair. Values with `/` (or empty ones) use the Pushgateway's base64 form
 * (`/label@base64/…`, URL-safe alphabet), since a `/` cannot be escaped in the path.
 */
function segment(name: string, value: string): string {
  if (!LABEL_NAME.test(name)) {
    throw new ConfigError(`pushgateway grouping label "${name}" is not a Prometheus label name`);
  }
  if (value === '' || value.includes('/')) {
    return `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
  }
  return `${name}/${encodeURIComponent(value)}`;
}

/**
 * A Pushgateway base URL, checked: an http(s) URL. Commands call it when they read
 * `--pushgateway`, so a typo is said before the run, not after it. Throws ConfigError (exit 2).
 */
export function checkPushgatewayUrl(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch (err) {
    throw new ConfigError(`--pushgateway "${url}" is not a URL: use e.g. http://127.0.0.1:9091`, {
      cause: err,
    });
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ConfigError(`--pushgateway "${url}" must be an http(s) URL, e.g. http://127.0.0.1:9091`);
  }
  return base;
}

/** The group's URL: `<url>/metrics/job/<job>/<label>/<value>…`. */
export function groupUrl(url: string, job: string, grouping: Record<string, string> = {}): string {
  const base = checkPushgatewayUrl(url);
  const path = [segment('job', job), ...Object.entries(grouping).map(([k, v]) => segment(k, v))].join('/');
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}/metrics/${path}`;
}

async function send(
  method: 'PUT' | 'POST' | 'DELETE',
  target: string,
  body: string | undefined,
  timeoutMs: number,
) {
  try {
    const res = await request(target, {
      method,
      body,
      headers: body === undefined ? {} : { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      throw new MetricsExportError(
        `pushgateway ${method} ${target} answered ${res.statusCode}: ${text.trim().slice(0, 300)}`,
      );
    }
  } catch (err) {
    if (err instanceof MetricsExportError) throw err;
    throw new MetricsExportError(
      `pushgateway ${method} ${target} failed: ${(err as Error)?.message ?? String(err)}; is the Pushgateway running there?`,
      { cause: err },
    );
  }
}

/** Pushes the registry (Prometheus text format) to the group; throws MetricsExportError on failure. */
export async function pushToGateway(options: PushOptions): Promise<{ url: string }> {
  const target = groupUrl(options.url, options.job, options.grouping);
  const { body } = await renderMetrics(options.registry, 'text');
  await send(options.method === 'post' ? 'POST' : 'PUT', target, body, options.timeoutMs ?? 10_000);
  return { url: target };
}

/**
 * The exit code of a command that judged something and then pushed its metrics (run, check).
 * The verdict's code wins: a CI job that failed conformance still exits 1 when the push fails
 * too, and the push failure is printed (`say`) rather than hiding the verdict. Only when the
 * verdict passed (0) does a failed push make the command exit with the push error's code (2):
 * the metrics the user asked for were not delivered.
 */
export async function pushAfterVerdict(
  verdictCode: number,
  push: () => Promise<{ url: string }>,
  say: (line: string) => void,
): Promise<number> {
  try {
    const { url } = await push();
    say(`metrics pushed to ${url}`);
    return verdictCode;
  } catch (error) {
    if (!(error instanceof MetricsExportError)) throw error;
    say(
      `${error.message} [${error.code}]${verdictCode === 0 ? '' : ` (exit ${verdictCode}: the verdict's)`}`,
    );
    return verdictCode === 0 ? error.exitCode : verdictCode;
  }
}

/** Deletes the group (e.g. after a test). */
export async function deleteFromGateway(options: Omit<PushOptions, 'registry' | 'method'>): Promise<void> {
  await send(
    'DELETE',
    groupUrl(options.url, options.job, options.grouping),
    undefined,
    options.timeoutMs ?? 10_000,
  );
}
