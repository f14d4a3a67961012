#!/usr/bin/env node
// @ts-check
/**
 * A TCP tap that records a capture for `imspec check`: it relays every connection from
 * `--listen` to `--upstream` untouched and writes each chunk of bytes, each way, as a capture
 * line `{t, conn, dir, bytes}` (base64), and each end of a connection as a close line. Put it
 * in front of a gateway (or run the same few lines inside one); judge the file with the
 * protocol's codec, which cuts the chunks into frames:
 *
 *   node examples/tap/tcp-tap.js --listen 7600 --upstream 127.0.0.1:7500 --out traffic.jsonl
 *   imspec check --codec ./examples/binary-im/driver.js traffic.jsonl
 *
 * docs/capture.md explains the format and other ways to record it.
 */

import { createWriteStream } from 'node:fs';
import { connect, createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * Starts a tap. Resolves with its port and a close() that ends the capture file.
 * @param {{ listen?: number, upstream: { host: string, port: number }, out: string }} options
 */
export async function startTap(options) {
  const out = createWriteStream(options.out);
  /** @param {object} line */
  const write = (line) => out.write(`${JSON.stringify(line)}\n`);
  write({
    kind: 'capture',
    version: 1,
    source: `tcp-tap in front of ${options.upstream.host}:${options.upstream.port}`,
  });
  const t0 = performance.now();
  const now = () => Math.round((performance.now() - t0) * 1000) / 1000;
  const sockets = new Set();
  let n = 0;
  const server = createServer((client) => {
    const conn = `${client.remoteAddress}:${client.remotePort}#${++n}`;
    const upstream = connect(options.upstream);
    sockets.add(client).add(upstream);
    let closed = false;
    /** @param {'client' | 'server' | 'network'} by */
    const end = (by) => {
      if (closed) return;
      closed = true;
      write({ kind: 'close', t: now(), conn, by });
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (b) => {
      write({ t: now(), conn, dir: 'to-server', bytes: b.toString('base64') });
      upstream.write(b);
    });
    upstream.on('data', (b) => {
      write({ t: now(), conn, dir: 'to-client', bytes: b.toString('base64') });
      client.write(b);
    });
    client.on('end', () => end('client'));
    upstream.on('end', () => end('server'));
    client.on('error', () => end('network'));
    upstream.on('error', () => end('network'));
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise((resolve) => server.listen(options.listen ?? 0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    port,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve(undefined)));
      await new Promise((resolve) => out.end(() => resolve(undefined)));
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string', default: '7600' },
      upstream: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const m = /^(.+):(\d+)$/.exec(values.upstream ?? '');
  if (!m || !values.out) {
    process.stderr.write('usage: tcp-tap.js --upstream HOST:PORT --out FILE.jsonl [--listen 7600]\n');
    process.exit(2);
  }
  const tap = await startTap({
    listen: Number(values.listen),
    upstream: { host: m[1] ?? '', port: Number(m[2]) },
    out: values.out,
  });
  process.stdout.write(`tcp-tap: 127.0.0.1:${tap.port} → ${values.upstream}, writing ${values.out}\n`);
  const stop = () => tap.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
