/**
 * Fault injection for one case run: the scenario's `faults:` rules become a frame-aware proxy
 * (frame rules: a WebSocket proxy, or a framed TCP proxy, reading frames with the driver's codec)
 * and/or a TCP proxy (stream rules, any driver) between the bots and the target, seeded by the case seed and recording into the case's history. And, when a
 * case whose rules draw on `probability` fails, the search for the fewest recorded fault events
 * that still fail it (delta debugging over exact replays), written out as a runnable scenario.
 * docs/faults.md is the guide.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import type { Driver } from '../drivers/driver.js';
import type { LoadedDriver } from '../drivers/load.js';
import { UsageError } from '../errors.js';
import { minimize } from '../faults/ddmin.js';
import { type FrameProxy, startFrameProxy } from '../faults/frame-proxy.js';
import { createRng } from '../faults/random.js';
import { replayRules, ruleToYaml } from '../faults/replay.js';
import { startTcpProxy, type TcpProxy } from '../faults/tcp-proxy.js';
import { type FaultRecord, type FaultRule, type FrameRule, isFaultRecord } from '../faults/types.js';
import { startWsProxy, type WsProxy } from '../faults/ws-proxy.js';
import type { History, HistoryEvent } from '../history/events.js';
import { optionWords, writeOutputFile } from '../output-paths.js';
import type { Scenario } from '../scenarios/types.js';

/** The fault options of `imspec run`, beside RunOptions (options.ts). */
export interface FaultRunOptions {
  /**
   * Use this seed for the case instead of deriving it from the run seed, so one run of one case
   * (a failing seed of `--repeat`) replays exactly. Needs `only` to select exactly one case.
   * @default derived: caseSeed(seed, id, repetition)
   */
  caseSeed?: number;
  /** Minimise a failing case whose fault rules use `probability`. @default true */
  minimize: boolean;
  /** Where minimised scenarios are written. @default 'reports/minimized' */
  minimizeDir: string;
  /** Case runs one minimisation may spend. @default 24 */
  minimizeRuns: number;
  /** Wall-clock budget of one minimisation, in ms; no replay starts after it. @default 60000 */
  minimizeMs: number;
}

export const FAULT_RUN_DEFAULTS = {
  minimize: true,
  minimizeDir: 'reports/minimized',
  minimizeRuns: 24,
  minimizeMs: 60_000,
} as const;

export function resolveFaultRunOptions(input: Partial<FaultRunOptions>): Readonly<FaultRunOptions> {
  const options: FaultRunOptions = {
    minimize: input.minimize ?? FAULT_RUN_DEFAULTS.minimize,
    minimizeDir: input.minimizeDir ?? FAULT_RUN_DEFAULTS.minimizeDir,
    minimizeRuns: input.minimizeRuns ?? FAULT_RUN_DEFAULTS.minimizeRuns,
    minimizeMs: input.minimizeMs ?? FAULT_RUN_DEFAULTS.minimizeMs,
  };
  if (input.caseSeed !== undefined) {
    if (!Number.isInteger(input.caseSeed) || input.caseSeed < 0 || input.caseSeed > 2 ** 32 - 1) {
      throw new UsageError(`--case-seed must be an integer from 0 to 4294967295, got ${input.caseSeed}`);
    }
    options.caseSeed = input.caseSeed;
  }
  if (!Number.isInteger(options.minimizeRuns) || options.minimizeRuns < 1) {
    throw new UsageError(`minimizeRuns must be a positive integer, got ${options.minimizeRuns}`);
  }
  return Object.freeze(options);
}

/** Why a case's rules cannot run with this driver, or undefined when they can. */
export function faultsUnsupported(rules: readonly FaultRule[], driver: LoadedDriver): string | undefined {
  const frame = rules.find((r) => r.layer === 'frame');
  if (!frame) return undefined;
  if (!driver.codec) {
    return `frame fault rules (${frame.id}: ${frame.action.type}) need a frame codec; the ${driver.name} driver has none and takes stream rules only`;
  }
  const corrupt = rules.find((r) => r.action.type === 'corrupt');
  if (corrupt && typeof driver.codec.corrupt !== 'function') {
    return `fault rule ${corrupt.id} corrupts frames, but the ${driver.codec.name} codec cannot (it has no corrupt())`;
  }
  return undefined;
}

/** The proxies of one case run. */
export interface CaseFaults {
  /** The driver the bots use: it reaches the target through the proxies. */
  readonly driver: Driver;
  /** The timeline step now running; step windows follow it. */
  setStep(index: number): void;
  /** Every fault injected so far, both proxies, in time order. */
  events(): FaultRecord[];
  close(): Promise<void>;
}

export interface CaseFaultsOptions {
  rules: readonly FaultRule[];
  /** The case's driver: its codec reads frames for frame rules; bots get one aimed at the proxy. */
  driver: LoadedDriver;
  /** The target URL as the driver takes it (ws://…, mqtt://…, xmpp://…). */
  target: string;
  /** The case seed: every random choice of the proxies derives from it. */
  seed: number;
  /** The case's history: fault events land there, timed on its clock. */
  history: History;
  /** User-name prefix on a shared target; `user` selectors name scenario users. @default '' */
  prefix?: string;
}

/**
 * Starts the proxies a case's rules need, or returns undefined when it has none. Stream rules go
 * to a TCP proxy in front of the target; frame rules to a WebSocket proxy in front of that (or of
 * the target). Each proxy opens its own upstream connection per client connection, so a target
 * killed and restarted on the same port is simply reached again when a bot reconnects.
 */
export async function startCaseFaults(options: CaseFaultsOptions): Promise<CaseFaults | undefined> {
  const rules = withPrefix(options.rules, options.prefix ?? '');
  if (rules.length === 0) return undefined;
  const reason = faultsUnsupported(rules, options.driver);
  if (reason) throw new UsageError(reason);
  const codec = options.driver.codec;
  const frameRules = rules.filter((r) => r.layer === 'frame');
  const streamRules = rules.filter((r) => r.layer === 'stream');
  const rng = createRng(options.seed);
  const { history } = options;
  const target = new URL(options.target);
  let tcp: TcpProxy | undefined;
  let ws: WsProxy | FrameProxy | undefined;
  let url = options.target;
  try {
    if (streamRules.length > 0) {
      if (!target.port) {
        throw new UsageError(`stream fault rules need the target's port in its URL (${options.target})`);
      }
      tcp = await startTcpProxy({
        upstream: { host: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port) },
        rules: streamRules,
        rng: rng.fork('stream'),
        history,
      });
      url = throughProxy(target, tcp.port, options.driver.name);
    }
    if (frameRules.length > 0 && codec) {
      const frameOptions = {
        rules: frameRules,
        rng: rng.fork('frame'),
        userPrefix: options.prefix ?? '',
        history,
        codec,
      };
      if (codec.transport === 'websocket') {
        ws = await startWsProxy({ ...frameOptions, upstream: url });
      } else {
        const next = new URL(url);
        if (!next.port) {
          throw new UsageError(`frame fault rules over TCP need the target's port in its URL (${url})`);
        }
        ws = await startFrameProxy({
          ...frameOptions,
          upstream: { host: next.hostname.replace(/^\[|\]$/g, ''), port: Number(next.port) },
        });
      }
      url = throughProxy(new URL(url), ws.port, options.driver.name);
    }
  } catch (error) {
    await Promise.allSettled([ws?.close(), tcp?.close()]);
    throw error;
  }
  history.append({
    kind: 'target',
    t: history.now(),
    action: 'start',
    detail: `fault proxy ${url} in front of ${options.target}: ${frameRules.length} frame and ${streamRules.length} stream rules, seed ${options.seed}`,
  });
  return {
    // Setup connections (accounts, session wipes) go straight to the server: not the case's to fault.
    driver: options.driver.create({ target: url, setupTarget: options.target }),
    setStep(index) {
      ws?.setStep(index);
      tcp?.setStep(index);
    },
    events: () => [...(tcp?.events ?? []), ...(ws?.events ?? [])].sort((a, b) => a.t - b.t),
    async close() {
      await Promise.allSettled([ws?.close(), tcp?.close()]);
    },
  };
}

/** The target URL with its host and port replaced by a proxy's, everything else kept. */
function throughProxy(target: URL, port: number, driverName: string): string {
  const url = new URL(target.href);
  // xmpp derives the domain from a host name; a proxy address must not change it.
  if (driverName === 'xmpp' && !/^[\d.]+$|^\[/.test(url.hostname) && !url.searchParams.has('domain')) {
    url.searchParams.set('domain', url.hostname);
  }
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.href;
}

/** On a shared target users are `<prefix><name>`: `user` selectors follow. */
function withPrefix(rules: readonly FaultRule[], prefix: string): readonly FaultRule[] {
  if (prefix === '') return rules;
  return rules.map((rule) => {
    if (rule.layer !== 'frame' || !rule.match.user) return rule;
    const match = { ...rule.match, user: rule.match.user.map((u) => `${prefix}${u}`) };
    return { ...rule, match } satisfies FrameRule;
  });
}

/** The fault events the proxies recorded in a case's history. */
export function faultRecords(events: readonly HistoryEvent[]): FaultRecord[] {
  return events.filter(isFaultRecord);
}

/** True when some rule draws on the seeded generator to decide (what minimisation is for). */
export function usesProbability(rules: readonly FaultRule[]): boolean {
  return rules.some((r) => r.probability < 1);
}

/** Where a minimisation ended: the runnable scenario and how it was found. */
export interface MinimizedFaults {
  /** The scenario file written, with only the minimal `faults:`. */
  file: string;
  /** Fault events in it, out of the events of the failing run. */
  events: number;
  of: number;
  /** Case runs spent. */
  runs: number;
  /** The budget ran out first: smallest failing set found, not proved 1-minimal. */
  exhausted: boolean;
}

export interface MinimizeCaseArgs {
  scenario: Scenario;
  seed: number;
  /** The failing run's fault events. */
  records: readonly FaultRecord[];
  /** The user-name prefix of the failing run (stripped, so the rules name scenario users). */
  prefix: string;
  options: Readonly<FaultRunOptions>;
  /** Runs the case with these rules instead of its own; true when it fails as before. */
  stillFails: (rules: readonly FaultRule[]) => Promise<boolean>;
}

/**
 * Delta debugging over the failing run's fault events, each subset replayed exactly
 * (`replayRules`: "act like this on the k-th frame matching Y", nothing left to chance), within
 * the run and time budget; the smallest failing set is written as the scenario with only those
 * faults, next to the reports.
 */
export async function minimizeCase(args: MinimizeCaseArgs): Promise<MinimizedFaults> {
  const { scenario, options } = args;
  const records = args.records.map((e) => unprefixed(e, args.prefix));
  const deadline = performance.now() + options.minimizeMs;
  let late = false;
  const result = await minimize(
    records,
    async (subset) => {
      if (performance.now() > deadline) {
        late = true;
        return false;
      }
      return args.stillFails(replayRules(subset));
    },
    { maxRuns: options.minimizeRuns },
  );
  const primary = records.filter((e) => e.cause === undefined).length;
  const exhausted = result.exhausted || late;
  const comment = [
    `Minimised by imspec from ${scenario.file} (case ${scenario.id}, seed ${args.seed}):`,
    `${result.events.length} of ${primary} fault events still fail it (${result.runs} replays${exhausted ? ', budget spent: smallest found, not proved minimal' : ''}).`,
  ].join('\n');
  const file = join(options.minimizeDir, `${scenario.id}-seed-${args.seed}.yaml`);
  const text = scenarioWithFaults(scenario.file, replayRules(result.events), comment);
  await writeOutputFile(optionWords('--minimize-dir', options.minimizeDir), file, text);
  return { file, events: result.events.length, of: primary, runs: result.runs, exhausted };
}

function unprefixed(e: FaultRecord, prefix: string): FaultRecord {
  if (prefix === '' || e.actor === undefined || !e.actor.startsWith(prefix)) return e;
  return { ...e, actor: e.actor.slice(prefix.length) };
}

/**
 * The scenario file's own text with `faults:` replaced: comments, order and every other key
 * stay as the author wrote them, so the reproducer reads like the case it came from.
 */
export function scenarioWithFaults(file: string, rules: readonly FaultRule[], comment: string): string {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const list = doc.createNode(rules.map(ruleToYaml));
  // One line per selector and action, as docs/faults.md writes rules.
  for (const item of list.items) {
    if (!isMap(item)) continue;
    for (const key of ['match', 'action']) {
      const node = item.get(key, true);
      if (isMap(node)) node.flow = true;
    }
  }
  doc.set('faults', list);
  const own = doc.commentBefore ? `\n${doc.commentBefore}` : '';
  doc.commentBefore = ` ${comment.split('\n').join('\n ')}${own}`;
  return doc.toString({ lineWidth: 0 });
}
