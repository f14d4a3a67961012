/**
 * Loading a load profile: YAML text in, frozen `LoadProfile` out, or every problem at its
 * file:line:col. The same machinery as scenarios: the YAML source with positions and the schema
 * explainer (did-you-mean hints) from src/scenarios, the fault-rule resolver from src/faults, and
 * the scenarios' client options and defaults.
 */

import { createHash } from 'node:crypto';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import faultsSchema from '../../../schemas/faults.schema.json' with { type: 'json' };
import loadSchema from '../../../schemas/load.schema.json' with { type: 'json' };
import scenarioSchema from '../../../schemas/scenario.schema.json' with { type: 'json' };
import { ProfileError, ScenarioError } from '../../errors.js';
import { resolveFaultRules } from '../../faults/resolve.js';
import type { FaultRule } from '../../faults/types.js';
import { addDurationFormat, parseDuration } from '../../scenarios/duration.js';
import type { RawClient } from '../../scenarios/raw-types.js';
import { resolveClient } from '../../scenarios/resolve.js';
import { explainErrors, isRecord, type SchemaRoot } from '../../scenarios/schema-explain.js';
import type { Loc } from '../../scenarios/types.js';
import { problemIssue, readYamlFile } from '../../scenarios/yaml-limits.js';
import { type Path, type PathIssue, parseYaml } from '../../scenarios/yaml-source.js';
import { connectionCount } from '../population.js';
import { isThresholdFigure, parseThreshold, unknownFigure } from '../thresholds.js';
import { LOAD_DEFAULTS } from './defaults.js';
import type { Executor, LoadProfile, Population, ProcessFault, Stage, Threshold } from './types.js';

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
addDurationFormat(ajv);
ajv.addSchema(faultsSchema);
// `client` is the scenarios' own definition ($ref scenario.schema.json#/$defs/client).
ajv.addSchema(scenarioSchema);
const validateProfile: ValidateFunction = ajv.compile(loadSchema);
const ROOT: SchemaRoot = { name: 'load profile', ajv, id: loadSchema.$id, schema: loadSchema };
const IN_FAULT_RULE = /^\/faults\/\d+(?:\/|$)/;
/**
 * Connections one profile may make, across all its shards: 20 machines of about 50,000 bots
 * each. Every shard plans the whole population (about 400 MB of plan for a million connections),
 * so a bigger one ran out of heap before a bot connected.
 */
export const MAX_PROFILE_CONNECTIONS = 1_000_000;

/** One problem in a profile file, 1-based position (absent when the file could not be read). */
export interface ProfileIssue {
  file: string;
  line?: number;
  col?: number;
  message: string;
}

export interface ProfileCheck {
  file: string;
  profile?: LoadProfile;
  issues: ProfileIssue[];
}

/** Raw shapes after the schema check (only what resolving reads). */
type Duration = string | number;
interface RawProfile {
  name: string;
  description?: string;
  population: {
    senders: number;
    pairing?: Population['pairing'];
    fanout?: number;
    groupSize?: number;
    devices?: number;
    connectRate?: number;
    offline?: { share: number; every: Duration; for: Duration };
  };
  executor:
    | { type: 'constant-arrival-rate'; rate: number; duration: Duration }
    | { type: 'ramping-arrival-rate'; startRate?: number; stages: { target: number; duration: Duration }[] };
  message?: { size?: number };
  client?: RawClient;
  window?: number;
  faults?: unknown[];
  process?: {
    at: Duration;
    action: ProcessFault['action'];
    restart?: boolean;
    after?: Duration;
    for?: Duration;
  }[];
  thresholds?: Record<string, (string | { threshold: string; abortOnFail?: boolean })[]>;
  drain?: Duration;
}

/** Checks a profile given as text; never throws for a bad profile. */
export function checkProfileText(text: string, file: string): ProfileCheck {
  const source = parseYaml(text, file);
  if (source.syntaxErrors.length > 0) {
    return { file, issues: source.syntaxErrors.map(({ loc, message }) => ({ ...loc, message })) };
  }
  const data = source.data;
  const at = (issue: PathIssue): ProfileIssue => ({
    ...source.locate(issue.path, issue.atKey),
    message: issue.message,
  });
  // A scenario given to imspec load would get a line for each of its keys; one line says it all.
  if (isRecord(data) && 'steps' in data && !('executor' in data)) {
    return {
      file,
      issues: [
        {
          ...source.locate(['steps'], true),
          message:
            'this is a scenario (it has steps:), not a load profile: run it with imspec run; imspec load takes a load profile (profiles/, docs/load.md)',
        },
      ],
    };
  }
  const valid = validateProfile(data);
  const schema = valid
    ? []
    : explainErrors(
        ROOT,
        (validateProfile.errors ?? []).filter((e) => !IN_FAULT_RULE.test(e.instancePath)),
        data,
      );
  const raw = data as RawProfile;
  // Fault rules are worded by their own resolver (as in scenarios), whatever else is wrong.
  const issues: ProfileIssue[] = [];
  const faults = resolveFaults(raw, (p) => source.locate(p), issues);
  if (schema.length > 0 || !valid) return { file, issues: sortIssues([...issues, ...schema.map(at)]) };
  const semantic: PathIssue[] = [];
  const thresholds = resolveThresholds(raw.thresholds ?? {}, semantic);
  const profile = resolveProfile(raw, { file, text, faults, thresholds }, semantic);
  issues.push(...semantic.map(at));
  if (issues.length > 0) return { file, issues: sortIssues(issues) };
  return { file, profile, issues: [] };
}

export function checkProfileFile(path: string): ProfileCheck {
  let read: ReturnType<typeof readYamlFile>;
  try {
    read = readYamlFile(path);
  } catch (error) {
    return {
      file: path,
      issues: [{ file: path, message: `cannot read the file: ${(error as Error).message}` }],
    };
  }
  if ('problem' in read) return { file: path, issues: [problemIssue(path, read.problem)] };
  return checkProfileText(read.text, path);
}

/** @throws ProfileError holding every issue of the file. */
export function loadProfileFile(path: string): LoadProfile {
  return profileOf(checkProfileFile(path));
}

/** @throws ProfileError holding every issue of the text. */
export function loadProfileText(text: string, file: string): LoadProfile {
  return profileOf(checkProfileText(text, file));
}

export function formatProfileIssue(issue: ProfileIssue): string {
  return issue.line === undefined
    ? `${issue.file}: ${issue.message}`
    : `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
}

function profileOf(check: ProfileCheck): LoadProfile {
  const [first, ...rest] = check.issues;
  if (!first) return check.profile!;
  const tail = rest.map((i) => `\n${formatProfileIssue(i)}`).join('');
  if (first.line === undefined) throw new ProfileError(`${formatProfileIssue(first)}${tail}`);
  throw new ProfileError(`${first.message}${tail}`, { file: first.file, line: first.line, col: first.col! });
}

function resolveFaults(raw: RawProfile, locate: (path: Path) => Loc, issues: ProfileIssue[]): FaultRule[] {
  if (!isRecord(raw) || !Array.isArray(raw.faults)) return [];
  const rules: FaultRule[] = [];
  for (const [i, item] of raw.faults.entries()) {
    const one: unknown[] = [];
    one[i] = item;
    try {
      const [rule] = resolveFaultRules(one, { locate: (p) => locate(['faults', ...p]) }).filter(Boolean);
      if (!rule) continue;
      for (const bound of ['from', 'until'] as const) {
        const b = rule.window[bound];
        if (b && 'step' in b) {
          issues.push({
            ...locate(['faults', i, bound]),
            message: `faults[${i}].${bound}: a load profile has no steps; write a time since the run began, e.g. ${bound}: 10s`,
          });
        }
      }
      if (rule.layer === 'frame' && rule.match.user) {
        issues.push({
          ...locate(['faults', i, 'match', 'user']),
          message: `faults[${i}].match.user: load users are generated, so a rule cannot name one; select by op, kind, direction and probability`,
        });
      }
      rules.push(rule);
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      const pos = error.position ?? locate(['faults', i]);
      const prefix = error.position ? `${pos.file}:${pos.line}:${pos.col}: ` : '';
      const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
      issues.push({ file: pos.file, line: pos.line, col: pos.col, message });
    }
  }
  const ids = new Map<string, number>();
  for (const [i, rule] of rules.entries()) {
    const first = ids.get(rule.id);
    if (first !== undefined) {
      issues.push({
        ...locate(['faults', i, 'id']),
        message: `faults[${i}]: id "${rule.id}" is already used by faults[${first}]; ids must be unique`,
      });
    } else ids.set(rule.id, i);
  }
  return rules;
}

function resolveThresholds(raw: NonNullable<RawProfile['thresholds']>, issues: PathIssue[]): Threshold[] {
  const out: Threshold[] = [];
  for (const [figure, list] of Object.entries(raw)) {
    if (!isThresholdFigure(figure)) {
      issues.push({
        path: ['thresholds', figure],
        atKey: true,
        message: `thresholds: ${unknownFigure(figure)}`,
      });
      continue;
    }
    for (const [i, item] of list.entries()) {
      const source = typeof item === 'string' ? item : item.threshold;
      const abort =
        typeof item === 'string'
          ? LOAD_DEFAULTS.abortOnFail
          : (item.abortOnFail ?? LOAD_DEFAULTS.abortOnFail);
      try {
        out.push(parseThreshold(figure, source, abort));
      } catch (error) {
        const path =
          typeof item === 'string' ? ['thresholds', figure, i] : ['thresholds', figure, i, 'threshold'];
        issues.push({ path, message: `thresholds.${figure}[${i}]: ${(error as Error).message}` });
      }
    }
  }
  return out;
}

interface Resolved {
  file: string;
  text: string;
  faults: FaultRule[];
  thresholds: Threshold[];
}

function resolveProfile(raw: RawProfile, r: Resolved, issues: PathIssue[]): LoadProfile {
  const positive = (value: Duration, path: Path): number => {
    const ms = parseDuration(value);
    if (ms <= 0) issues.push({ path, message: `${path.join('.')}: must be longer than 0` });
    return ms;
  };
  const p = raw.population;
  const population: Population = {
    senders: p.senders,
    pairing: p.pairing ?? LOAD_DEFAULTS.pairing,
    fanout: p.fanout ?? LOAD_DEFAULTS.fanout,
    groupSize: p.groupSize ?? LOAD_DEFAULTS.groupSize,
    devices: p.devices ?? LOAD_DEFAULTS.devices,
    connectRate: p.connectRate ?? LOAD_DEFAULTS.connectRate,
    offline: p.offline
      ? {
          share: p.offline.share,
          everyMs: positive(p.offline.every, ['population', 'offline', 'every']),
          forMs: positive(p.offline.for, ['population', 'offline', 'for']),
        }
      : undefined,
  };
  const connections = connectionCount(population);
  if (connections > MAX_PROFILE_CONNECTIONS) {
    issues.push({
      path: ['population', 'senders'],
      message: `population.senders: this population makes ${connections.toLocaleString('en-US')} connections; a profile takes at most ${MAX_PROFILE_CONNECTIONS.toLocaleString('en-US')}. One machine holds about 50,000 bots (several worker processes, loopback source addresses); more is a sharded run over several machines (--shard i/N, docs/load.md "Running on Kubernetes"), and each shard plans the whole population in memory`,
    });
  }
  if (population.offline && population.offline.forMs >= population.offline.everyMs) {
    issues.push({
      path: ['population', 'offline', 'for'],
      message:
        'population.offline.for: must be shorter than `every` (a device must come back before it goes again)',
    });
  }
  if (population.pairing === 'random' && p.senders % population.groupSize !== 0) {
    issues.push({
      path: ['population', 'senders'],
      message: `population.senders: with pairing random every user sends, in groups of ${population.groupSize}; make senders a multiple of groupSize`,
    });
  }
  const e = raw.executor;
  let executor: Executor;
  let durationMs: number;
  if (e.type === 'constant-arrival-rate') {
    durationMs = positive(e.duration, ['executor', 'duration']);
    executor = { type: e.type, rate: e.rate, durationMs };
  } else {
    const stages: Stage[] = e.stages.map((s, i) => ({
      target: s.target,
      durationMs: positive(s.duration, ['executor', 'stages', i, 'duration']),
    }));
    durationMs = stages.reduce((sum, s) => sum + s.durationMs, 0);
    executor = { type: e.type, startRate: e.startRate ?? 0, stages };
  }
  const process: ProcessFault[] = (raw.process ?? []).map((f, i) => {
    const atMs = parseDuration(f.at);
    if (f.action === 'pause' && f.for === undefined) {
      issues.push({
        path: ['process', i],
        message: `process[${i}]: pause needs \`for\` (how long the target stays stopped)`,
      });
    }
    if (f.action !== 'pause' && f.for !== undefined) {
      issues.push({
        path: ['process', i, 'for'],
        atKey: true,
        message: `process[${i}].for: only pause takes \`for\``,
      });
    }
    if (atMs > durationMs) {
      issues.push({
        path: ['process', i, 'at'],
        message: `process[${i}].at: ${atMs} ms is after the last scheduled send (${durationMs} ms)`,
      });
    }
    return {
      atMs,
      action: f.action,
      restart: f.restart ?? LOAD_DEFAULTS.processRestart,
      afterMs: f.after === undefined ? LOAD_DEFAULTS.processAfterMs : parseDuration(f.after),
      forMs: f.for === undefined ? 0 : parseDuration(f.for),
    };
  });
  const profile: LoadProfile = {
    name: raw.name,
    description: raw.description ?? '',
    population,
    executor,
    durationMs,
    messageSize: raw.message?.size ?? LOAD_DEFAULTS.messageSize,
    client: Object.freeze(resolveClient(raw.client ?? {})),
    window: raw.window ?? LOAD_DEFAULTS.window,
    faults: r.faults,
    process: [...process].sort((a, b) => a.atMs - b.atMs),
    thresholds: r.thresholds,
    drainMs: raw.drain === undefined ? LOAD_DEFAULTS.drainMs : parseDuration(raw.drain),
    file: r.file,
    hash: createHash('sha256').update(r.text).digest('hex').slice(0, 16),
  };
  return deepFreeze(profile);
}

function sortIssues(issues: ProfileIssue[]): ProfileIssue[] {
  const seen = new Set<string>();
  return issues
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0))
    .filter((i) => {
      const key = formatProfileIssue(i);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
