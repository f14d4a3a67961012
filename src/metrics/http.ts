/**
 * The /metrics endpoint: `imspec run --metrics-port` and `imspec monitor` serve the registry
 * here while they run. Loopback by default — metrics name the target and scenario, which is
 * nobody else's business unless the operator says so with `--metrics-host`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError } from '../errors.js';
import { negotiateFormat, renderMetrics } from './render.js';

export interface HealthStatus {
  ok: boolean;
  /** One line shown in the /healthz body. */
  detail?: string;
}

export interface MetricsServerOptions {
  registry: Registry;
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** Port; 0 picks a free one (read it back from the result). @default 0 */
  port?: number;
  /**
   * Answers /healthz: 200 when `ok`, else 503. Without it /healthz answers 200 while the
   * process serves. @default () => ({ ok: true })
   */
  health?: () => HealthStatus;
}

export interface MetricsServer {
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
  readonly port: number;
  /** /metrics bodies served so far. */
  readonly scrapes: number;
  /**
   * Resolves once /metrics has been served after this call (`'scraped'`) or `maxMs` passed
   * (`'timeout'`), whichever comes first. A run calls it before closing, so the scrape after its
   * last case reads the final values instead of finding the endpoint gone. An aborted `signal`
   * ends the wait at once (`'timeout'`), leaving no timer behind.
   */
  nextScrape(maxMs: number, signal?: AbortSignal): Promise<'scraped' | 'timeout'>;
  close(): Promise<void>;
}

/**
 * How long a run waits for a scrape before its first case and after its last (`--metrics-linger`):
 * a default Prometheus scrape interval, so both are seen at the default settings; a scrape that
 * comes sooner ends the wait.
 */
export const METRICS_LINGER_DEFAULT_MS = 15_000;

/**
 * Waits until /metrics has been scraped once more or `maxMs` passed. A run does it twice with
 * `--metrics-linger`: before its first case, so the series it just created at zero are seen at
 * zero (increase() then counts from the first message), and after its last, so the final values
 * are seen. `say` reports the wait (the CLI writes it to stderr).
 */
export async function awaitScrape(
  server: MetricsServer,
  maxMs: number,
  moment: 'first' | 'final',
  say: (line: string) => void = () => undefined,
  signal?: AbortSignal,
): Promise<'scraped' | 'timeout'> {
  if (maxMs <= 0 || signal?.aborted) return 'timeout';
  say(
    `metrics: waiting up to ${maxMs / 1000} s for ${moment === 'first' ? 'a first' : 'a final'} scrape of ${server.url}/metrics (--metrics-linger)`,
  );
  const outcome = await server.nextScrape(maxMs, signal);
  say(
    outcome === 'scraped'
      ? `metrics: ${moment === 'first' ? 'zero values' : 'final values'} scraped`
      : `metrics: no scrape came; ${moment === 'first' ? 'starting' : 'closing'}`,
  );
  return outcome;
}

/** Keeps /metrics up after a run until it is scraped once more or `lingerMs` passes, then closes it. */
export async function lingerAndClose(
  server: MetricsServer,
  lingerMs: number,
  say: (line: string) => void = () => undefined,
): Promise<void> {
  await awaitScrape(server, lingerMs, 'final', say);
  await server.close();
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: MetricsServerOptions,
  onScrape: () => void,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (path === '/metrics') {
    const { contentType, body } = await renderMetrics(options.registry, negotiateFormat(req.headers.accept));
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body, () => {
      if (req.method === 'GET') onScrape();
    });
    return;
  }
  if (path === '/healthz') {
    const status = options.health?.() ?? { ok: true };
    res.writeHead(status.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${status.ok ? 'ok' : 'unhealthy'}${status.detail ? `: ${status.detail}` : ''}\n`);
    return;
  }
  res
    .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    .end('not found: try /metrics or /healthz\n');
}

/** Starts serving /metrics and /healthz; resolves once listening. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`metrics port ${port} is not a port number: use 0..65535 (0 picks a free one)`);
  }
  let scrapes = 0;
  const waiters = new Set<() => void>();
  const onScrape = (): void => {
    scrapes++;
    for (const w of [...waiters]) w();
  };
  const server = createServer((req, res) => {
    handle(req, res, options, onScrape).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`error: ${(err as Error)?.message ?? String(err)}\n`);
    });
  });
  // Scrapers keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new ConfigError(
          `cannot serve metrics on ${host}:${port}: ${err.code ?? err.message}; pick another --metrics-port or --metrics-host`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${bound}`,
    port: bound,
    get scrapes() {
      return scrapes;
    },
    nextScrape: (maxMs, signal) =>
      new Promise((resolve) => {
        const aborted = (): void => done('timeout');
        const done = (outcome: 'scraped' | 'timeout'): void => {
          waiters.delete(scraped);
          clearTimeout(timer);
          signal?.removeEventListener('abort', aborted);
          resolve(outcome);
        };
        const scraped = (): void => done('scraped');
        const timer = setTimeout(() => done('timeout'), signal?.aborted ? 0 : maxMs);
        waiters.add(scraped);
        signal?.addEventListener('abort', aborted, { once: true });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
