/**
 * Monitor parity across drivers: `imspec monitor` against a real Mosquitto (mqtt) and a real
 * Prosody (xmpp) yields the same figures, by the same rules, as against the RAN/1 reference
 * server — every canary sent is accepted and delivered once, none lost or duplicated, msg:A,
 * ack:N (where the protocol has receipts: not MQTT) and end-to-end latency observed once per
 * canary — and no schema violations: SUBACKs,
 * PINGRESPs, presence and stream management have no RAN/1 counterpart, which is not a violation
 * (the false ImspecSchemaViolations the issue measured on a healthy XMPP monitor). A broker and
 * an XMPP server that acknowledge a message and drop it make the monitor count it lost, as the
 * reference server's loss does.
 */

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveMonitorConfig } from '../../src/monitor/config.js';
import { type CycleResult, startMonitor } from '../../src/monitor/monitor.js';
import { hmacToken } from '../../src/protocol/auth.js';
import { startServer } from '../../src/server/server.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { startProsody } from '../helpers/prosody.js';

const CYCLES = 4;
const USERS = { 'probe-a': 'pw-a', 'probe-b': 'pw-b' };
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function value(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const histogram = /_count$/.test(name);
  const metric = registry.getSingleMetric(histogram ? name.replace(/_count$/, '') : name)!;
  const { values } = await metric.get();
  return (values as { metricName?: string; labels: Record<string, unknown>; value: number }[])
    .filter((v) => !histogram || v.metricName === name)
    .filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l))
    .reduce((sum, v) => sum + v.value, 0);
}

/** Runs CYCLES monitor cycles against `target` with `driver`; returns the figures it exported. */
async function probe(
  driver: string,
  target: string,
  tokens: Record<string, string>,
  { cycles: maxCycles = CYCLES, timeout = '10s' } = {},
) {
  const registry = new Registry();
  const config = resolveMonitorConfig(
    {
      target,
      driver,
      interval: '100ms',
      timeout,
      // Longer than any healthy answer here, so a retransmit would mean a lost frame.
      retransmit: '5s',
      accounts: Object.keys(USERS).map((user, i) => ({ user, device: 'monitor', tokenEnv: `TOKEN_${i}` })),
    },
    Object.fromEntries(Object.keys(USERS).map((user, i) => [`TOKEN_${i}`, tokens[user]!])),
  );
  const cycles: CycleResult[] = [];
  const monitor = await startMonitor(config, {
    registry,
    serve: false,
    maxCycles,
    onCycle: (r) => cycles.push(r),
  });
  await monitor.done;
  await monitor.stop();
  const v = (name: string, labels?: Record<string, string>) => value(registry, name, labels);
  return {
    cycles: cycles.map((c) => c.reason ?? 'ok'),
    directions: cycles.flatMap((c) => c.directions.map((d) => `${d.from}>${d.to}:${d.reason ?? 'ok'}`)),
    sent: await v('imspec_messages_sent_total'),
    accepted: await v('imspec_messages_accepted_total'),
    delivered: await v('imspec_messages_delivered_total'),
    lost: await v('imspec_messages_lost_total'),
    appDuplicates: await v('imspec_duplicates_total', { layer: 'app' }),
    retransmits: await v('imspec_retransmits_total'),
    schemaViolations: await v('imspec_schema_violations_total'),
    msgA: await v('imspec_ack_latency_seconds_count', { ack: 'msg_a' }),
    ackN: await v('imspec_ack_latency_seconds_count', { ack: 'ack_n' }),
    endToEnd: await v('imspec_delivery_latency_seconds_count'),
    probeSuccess: await v('imspec_probe_success'),
    // Frames seen that have no RAN/1 type: counted as frames, never as violations.
    unmapped: await v('imspec_frames_total', { op: 'unknown' }),
  };
}

/**
 * Two cycles against a server that acknowledges probe-a's message to probe-b and drops it: that
 * direction is lost (accepted, never delivered), the other is fine, and the probe fails.
 */
const LOST_TO_B = {
  cycles: ['lost', 'lost'],
  directions: ['probe-a>probe-b:lost', 'probe-b>probe-a:ok', 'probe-a>probe-b:lost', 'probe-b>probe-a:ok'],
  sent: 4,
  accepted: 4,
  delivered: 2,
  lost: 2,
  appDuplicates: 0,
  schemaViolations: 0,
  probeSuccess: 0,
};

/** What every driver must report for CYCLES clean cycles between two accounts. */
const CLEAN = {
  cycles: Array(CYCLES).fill('ok'),
  sent: 2 * CYCLES,
  accepted: 2 * CYCLES,
  delivered: 2 * CYCLES,
  lost: 0,
  appDuplicates: 0,
  retransmits: 0,
  schemaViolations: 0,
  msgA: 2 * CYCLES,
  ackN: 2 * CYCLES,
  endToEnd: 2 * CYCLES,
  probeSuccess: 1,
};

describe('imspec monitor parity: ran, mqtt (Mosquitto), xmpp (Prosody)', () => {
  it('the reference server: the baseline figures', async () => {
    const server = await startServer({ port: 0, hmacSecret: 'parity' });
    cleanups.push(() => server.close());
    const tokens = Object.fromEntries(Object.keys(USERS).map((u) => [u, hmacToken('parity', u)]));
    const figures = await probe('ran', server.url, tokens);
    expect(figures).toMatchObject(CLEAN);
  }, 30_000);

  it('Mosquitto: the same figures, no schema violations for MQTT packets without a RAN/1 frame', async () => {
    const broker = await startMosquitto({ users: USERS });
    cleanups.push(() => broker.dispose());
    const figures = await probe('mqtt', broker.url, USERS);
    // MQTT has no receipts (no ack:N): a canary is done at msg:A (PUBACK) and the commit.
    expect(figures).toMatchObject({ ...CLEAN, ackN: 0 });
  }, 30_000);

  it('Prosody: the same figures, no schema violations for presence and stream management', async () => {
    const prosody = await startProsody({ users: USERS });
    cleanups.push(() => prosody.dispose());
    const figures = await probe('xmpp', prosody.url, USERS);
    expect(figures).toMatchObject(CLEAN);
    // Prosody speaks more than RAN/1 maps; it is seen, counted as frames, and not a violation.
    expect(figures.unmapped).toBeGreaterThan(0);
  }, 30_000);

  it('Mosquitto: a publish the broker acknowledges and drops (3.1.1, ACL) is lost, as on the reference server', async () => {
    // probe-a may not write to probe-b's inbox. MQTT 3.1.1 has no way to say so: the broker
    // sends PUBACK (msg:A) and drops the message — accepted, never delivered, i.e. lost.
    const dir = mkdtempSync(join(tmpdir(), 'imspec-parity-acl-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755); // the broker runs as its own service account
    const acl = join(dir, 'acl');
    writeFileSync(
      acl,
      'user probe-a\ntopic read imspec/inbox/probe-a\nuser probe-b\ntopic readwrite imspec/inbox/#\n',
      { mode: 0o644 },
    );
    const broker = await startMosquitto({ users: USERS, extraConfig: [`acl_file ${acl}`] });
    cleanups.push(() => broker.dispose());
    const figures = await probe('mqtt', `${broker.url}?version=3.1.1`, USERS, {
      cycles: 2,
      timeout: '1500ms',
    });
    expect(figures).toMatchObject(LOST_TO_B);
  }, 30_000);

  it('Prosody: a chat message the server acknowledges and drops (stream management <a h>, then nothing) is lost', async () => {
    // A deliberately faulty XMPP server: a module that swallows every chat message to probe-b
    // after Prosody took it in, so XEP-0198 acknowledges it (msg:A) and nobody receives it.
    // Receipts (to full JIDs) and everything for probe-a pass. No archive, so no late copy.
    const prosody = await startProsody({
      users: USERS,
      mam: false,
      plugins: {
        imspec_drop_to_probe_b: [
          'local jid_split = require "util.jid".split;',
          'module:hook("message/bare", function (event)',
          '  local node = jid_split(event.stanza.attr.to);',
          '  if node == "probe-b" and event.stanza:get_child("body") then return true; end',
          'end, 1000);',
          '',
        ].join('\n'),
      },
    });
    cleanups.push(() => prosody.dispose());
    const figures = await probe('xmpp', prosody.url, USERS, { cycles: 2, timeout: '1500ms' });
    expect(figures).toMatchObject(LOST_TO_B);
  }, 30_000);
});
