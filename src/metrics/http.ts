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
  close(): Promise<void>;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  options: MetricsServerOptions,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (path === '/metrics') {
    const { contentType, body } = await renderMetrics(options.registry, negotiateFormat(req.headers.accept));
    res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
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
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
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
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
