import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, MetricsExportError } from '../../src/errors.js';
import { History } from '../../src/history/events.js';
import { attachHistoryMetrics } from '../../src/metrics/from-history.js';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/http.js';
import { groupUrl, pushToGateway } from '../../src/metrics/pushgateway.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { negotiateFormat } from '../../src/metrics/render.js';
import { replayDeliveries } from './fixtures.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function fedRegistry(): Registry {
  const registry = new Registry();
  const history = new History();
  attachHistoryMetrics(history, createMetrics(registry), { scenario: 's', driver: 'ran', suite: 'core' });
  replayDeliveries(history, { messages: 3, lossEvery: 2, t0: 0 });
  return registry;
}

describe('metrics HTTP endpoint', () => {
  it('serves the Prometheus text format by default on 127.0.0.1', async () => {
    server = await startMetricsServer({ registry: fedRegistry() });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await request(`${server.url}/metrics`);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const body = await res.body.text();
    expect(body).toMatch(/^imspec_retransmits_total\{.*reason="timeout"\} 1$/m);
  });

  it('negotiates OpenMetrics for Prometheus, and text scrapes afterwards still carry _total', async () => {
    server = await startMetricsServer({ registry: fedRegistry() });
    const om = await request(`${server.url}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const omBody = await om.body.text();
    expect(omBody).toMatch(/^# TYPE imspec_retransmits counter$/m);
    expect(omBody).toMatch(/^imspec_retransmits_total\{.*reason="timeout"\} 1$/m);
    expect(omBody.endsWith('# EOF\n')).toBe(true);
    // prom-client renames counters in place while rendering OpenMetrics; render.ts restores them.
    const text = await (await request(`${server.url}/metrics`)).body.text();
    expect(text).toMatch(/^# TYPE imspec_retransmits_total counter$/m);
  });

  it('answers /healthz from the health callback, and 404 elsewhere', async () => {
    let ok = true;
    server = await startMetricsServer({ registry: new Registry(), health: () => ({ ok, detail: 'probe' }) });
    const good = await request(`${server.url}/healthz`);
    expect([good.statusCode, await good.body.text()]).toEqual([200, 'ok: probe\n']);
    ok = false;
    const bad = await request(`${server.url}/healthz`);
    expect([bad.statusCode, await bad.body.text()]).toEqual([503, 'unhealthy: probe\n']);
    const missing = await request(`${server.url}/nope`);
    await missing.body.dump();
    expect(missing.statusCode).toBe(404);
  });

  it('refuses a port already in use with a ConfigError that says what to do', async () => {
    server = await startMetricsServer({ registry: new Registry() });
    await expect(startMetricsServer({ registry: new Registry(), port: server.port })).rejects.toThrow(
      /EADDRINUSE; pick another --metrics-port/,
    );
    await expect(startMetricsServer({ registry: new Registry(), port: 70000 })).rejects.toBeInstanceOf(
      ConfigError,
    );
  });

  it('picks OpenMetrics only when the Accept header asks for it with q > 0', () => {
    expect(negotiateFormat(PROMETHEUS_ACCEPT)).toBe('openmetrics');
    expect(negotiateFormat('text/plain')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text;q=0')).toBe('text');
    expect(negotiateFormat(undefined)).toBe('text');
  });
});

describe('Pushgateway client', () => {
  it('builds group URLs with base64 for values containing slashes', () => {
    expect(groupUrl('http://h:9091/', 'imspec', { run_id: 'abc', suite: 'core/x' })).toBe(
      `http://h:9091/metrics/job/imspec/run_id/abc/suite@base64/${Buffer.from('core/x').toString('base64url')}`,
    );
    expect(() => groupUrl('nope', 'j')).toThrow(ConfigError);
    expect(() => groupUrl('http://h', 'j', { 'bad-name': 'x' })).toThrow(ConfigError);
  });

  it('PUTs the text format to the group URL and reports a refusal as MetricsExportError', async () => {
    const seen: { method?: string; url?: string; type?: string; body: string }[] = [];
    const gateway = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
        res.writeHead(seen.length === 1 ? 200 : 400).end('bad push');
      });
    });
    await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      await pushToGateway({ url, registry: fedRegistry(), job: 'imspec', grouping: { run_id: 'r1' } });
      expect(seen[0]).toMatchObject({ method: 'PUT', url: '/metrics/job/imspec/run_id/r1' });
      expect(seen[0]!.type).toContain('version=0.0.4');
      expect(seen[0]!.body).toContain('imspec_messages_sent_total{');
      await expect(pushToGateway({ url, registry: fedRegistry(), job: 'imspec' })).rejects.toThrow(
        MetricsExportError,
      );
    } finally {
      await new Promise((r) => gateway.close(r));
    }
  });
});
