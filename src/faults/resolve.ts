/**
 * Fault rules: YAML value in, frozen resolved rules out (src/faults/types.ts). The scenario loader
 * calls `resolveFaultRules` on a scenario's `faults:` list; it can be used alone too (a replay
 * file, a test). Checks are done by hand so each message says what is wrong, where, and what to
 * write instead; schemas/faults.schema.json is the same contract in machine form, and
 * test/faults/schema-agreement.test.ts keeps the two in step.
 */

import { ScenarioError } from '../errors.js';
import type { Kind, Op } from '../protocol/frames.js';
import { MAX_DURATION_MS, parseDuration, parseDurationText, tooLongMessage } from './duration.js';
import {
  deepFreeze,
  type FaultPath,
  fail,
  hint,
  isPlainObject,
  oneOrMany,
  optionalInt,
  type ResolveOptions,
  refuseUnknown,
} from './resolve-checks.js';
import type {
  Bound,
  Direction,
  FaultRule,
  FaultWindow,
  FrameAction,
  FrameMatch,
  FrameRule,
  StreamAction,
  StreamMatch,
  StreamRule,
} from './types.js';

export type { FaultPath, ResolveOptions } from './resolve-checks.js';

const RULE_KEYS = [
  'id',
  'description',
  'match',
  'nth',
  'every',
  'times',
  'probability',
  'from',
  'until',
  'action',
] as const;
const MATCH_KEYS = ['op', 'kind', 'direction', 'user', 'undecodable'] as const;
const OPS: readonly Op[] = ['hello', 'msg', 'ack', 'sync', 'ping', 'error'];
const KINDS: readonly Kind[] = ['R', 'A', 'N'];
const DIRECTIONS: readonly Direction[] = ['to-server', 'to-client'];
export const FRAME_ACTIONS = ['drop', 'duplicate', 'delay', 'reorder', 'corrupt', 'cut', 'stall'] as const;
export const STREAM_ACTIONS = ['latency', 'bandwidth', 'reset', 'blackhole', 'slice'] as const;
/** Action parameters by type; the first list is what each action accepts besides `type`. */
const ACTION_KEYS: Record<string, readonly string[]> = {
  drop: [],
  duplicate: ['copies'],
  delay: ['by', 'jitter'],
  reorder: ['after', 'maxHold'],
  corrupt: ['mode', 'field'],
  cut: ['mode', 'code', 'forward'],
  stall: ['for'],
  latency: ['by', 'jitter'],
  bandwidth: ['bytesPerSecond'],
  reset: ['afterBytes'],
  blackhole: ['for'],
  slice: ['bytes', 'gap'],
};
/** Actions that need a parameter, with an example for the error message. */
const NEEDS_PARAMS: Record<string, string> = {
  delay: '{type: delay, by: 200ms, jitter: 50ms}',
  latency: '{type: latency, by: 100ms}',
  bandwidth: '{type: bandwidth, bytesPerSecond: 10000}',
  slice: '{type: slice, bytes: 16}',
};
const ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ACTOR = /^[^/]{1,64}(\/[^/]{1,64})?$/;

/** Resolves a scenario's `faults:` list. Throws ScenarioError on the first problem. */
export function resolveFaultRules(
  raw: readonly unknown[],
  options: ResolveOptions = {},
): readonly FaultRule[] {
  if (!Array.isArray(raw)) throw new ScenarioError('faults: must be a list of fault rules');
  const rules = raw.map((item, i) => resolveOne(item, i, options));
  const seen = new Map<string, number>();
  rules.forEach((rule, i) => {
    const before = seen.get(rule.id);
    if (before !== undefined) {
      fail(
        options,
        [i, 'id'],
        `id "${rule.id}" is already used by faults[${before}]; give each rule its own id`,
      );
    }
    seen.set(rule.id, i);
  });
  return Object.freeze(rules);
}

function resolveOne(item: unknown, i: number, options: ResolveOptions): FaultRule {
  const at = (...rest: (string | number)[]): FaultPath => [i, ...rest];
  if (!isPlainObject(item)) {
    fail(
      options,
      at(),
      'a fault rule is a mapping with at least `action`, e.g. {match: {op: msg}, action: drop}',
    );
  }
  refuseUnknown(options, item, RULE_KEYS, at());
  if (item.description !== undefined && typeof item.description !== 'string') {
    fail(options, at('description'), 'description must be text');
  }
  let id = `fault-${i + 1}`;
  if (item.id !== undefined) {
    if (typeof item.id !== 'string' || !ID.test(item.id)) {
      fail(
        options,
        at('id'),
        'id must be 1-64 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
      );
    }
    id = item.id;
  }
  if (item.action === undefined) {
    fail(options, at(), 'missing `action`: one of ' + [...FRAME_ACTIONS, ...STREAM_ACTIONS].join(', '));
  }
  const action = resolveAction(options, item.action, at('action'));
  const nth = optionalInt(options, item.nth, at('nth'), 1);
  const every = optionalInt(options, item.every, at('every'), 1);
  if (nth !== undefined && every !== undefined) {
    fail(
      options,
      at('every'),
      '`nth` (one match) and `every` (each n-th match) exclude each other; keep one',
    );
  }
  const times = optionalInt(options, item.times, at('times'), 1);
  let probability = 1;
  if (item.probability !== undefined) {
    if (typeof item.probability !== 'number' || !(item.probability >= 0 && item.probability <= 1)) {
      fail(options, at('probability'), 'probability must be a number from 0 to 1, e.g. 0.05 for 5%');
    }
    probability = item.probability;
  }
  const window = resolveWindow(options, item.from, item.until, at());
  const loc = options.locate?.(at());
  const base = { id, nth, every, times, probability, window, loc };
  if (isFrameAction(action)) {
    const match = resolveFrameMatch(options, item.match, at('match'));
    const rule: FrameRule = { ...base, layer: 'frame', match, action };
    return deepFreeze(rule);
  }
  const match = resolveStreamMatch(options, item.match, at('match'), action.type);
  const rule: StreamRule = { ...base, layer: 'stream', match, action };
  return deepFreeze(rule);
}

function isFrameAction(action: FrameAction | StreamAction): action is FrameAction {
  return (FRAME_ACTIONS as readonly string[]).includes(action.type);
}

function resolveAction(options: ResolveOptions, raw: unknown, path: FaultPath): FrameAction | StreamAction {
  let obj: Record<string, unknown>;
  if (typeof raw === 'string') obj = { type: raw };
  else if (isPlainObject(raw)) obj = raw;
  else
    fail(
      options,
      path,
      'action must be a name (e.g. drop) or a mapping with `type` (e.g. {type: delay, by: 200ms})',
    );
  const type = obj.type;
  const known = ACTION_KEYS[String(type)];
  if (typeof type !== 'string' || known === undefined) {
    fail(
      options,
      typeof raw === 'string' ? path : [...path, 'type'],
      `unknown action ${JSON.stringify(type)}${hint(String(type), Object.keys(ACTION_KEYS))}; frame actions: ${FRAME_ACTIONS.join(', ')}; stream actions: ${STREAM_ACTIONS.join(', ')}`,
    );
  }
  if (typeof raw === 'string' && NEEDS_PARAMS[type]) {
    fail(options, path, `action ${type} needs parameters, e.g. ${NEEDS_PARAMS[type]}`);
  }
  refuseUnknown(options, obj, ['type', ...known], path);
  const duration = (key: string, dflt: number | undefined, required = false): number | undefined => {
    const v = obj[key];
    if (v === undefined) {
      if (required) fail(options, path, `action ${type} needs \`${key}\`, e.g. ${NEEDS_PARAMS[type]}`);
      return dflt;
    }
    const ms = parseDuration(v);
    if (ms === undefined) {
      fail(
        options,
        [...path, key],
        `${key} must be milliseconds (an integer) or a duration such as "250ms", "1.5s"`,
      );
    }
    if (ms !== undefined && ms > MAX_DURATION_MS)
      fail(options, [...path, key], `${key}: ${tooLongMessage(v)}`);
    return ms;
  };
  const int = (key: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number =>
    optionalInt(options, obj[key], [...path, key], min, max) ?? dflt;
  const choice = <T extends string>(key: string, allowed: readonly T[], dflt: T): T => {
    const v = obj[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      fail(options, [...path, key], `${key} must be one of ${allowed.join(', ')}`);
    }
    return v as T;
  };
  switch (type) {
    case 'drop':
      return { type };
    case 'duplicate':
      return { type, copies: int('copies', 1, 1, 1000) };
    case 'delay':
    case 'latency':
      return { type, ms: duration('by', 0, true)!, jitterMs: duration('jitter', 0)! };
    case 'reorder':
      return { type, after: int('after', 1, 1, 10_000), maxHoldMs: duration('maxHold', 1000)! };
    case 'corrupt': {
      const mode = choice('mode', ['json', 'schema'] as const, 'json');
      const field = obj.field;
      if (field !== undefined && (typeof field !== 'string' || field.length < 1 || field.length > 64)) {
        fail(options, [...path, 'field'], 'field must name a frame member, e.g. cmid');
      }
      if (field !== undefined && mode !== 'schema') {
        fail(
          options,
          [...path, 'field'],
          '`field` applies to mode: schema only; add mode: schema or drop field',
        );
      }
      return field === undefined ? { type, mode } : { type, mode, field };
    }
    case 'cut': {
      const forward = obj.forward;
      if (forward !== undefined && typeof forward !== 'boolean') {
        fail(options, [...path, 'forward'], 'forward must be true or false');
      }
      return {
        type,
        mode: choice('mode', ['close', 'reset'] as const, 'close'),
        code: int('code', 1000, 1000, 4999),
        forward: forward ?? true,
      };
    }
    case 'stall':
    case 'blackhole':
      return { type, ms: duration('for', undefined) };
    case 'bandwidth':
      if (obj.bytesPerSecond === undefined) {
        fail(options, path, `action bandwidth needs \`bytesPerSecond\`, e.g. ${NEEDS_PARAMS.bandwidth}`);
      }
      return { type, bytesPerSecond: int('bytesPerSecond', 1, 1) };
    case 'reset':
      return { type, afterBytes: int('afterBytes', 0, 0) };
    case 'slice':
      if (obj.bytes === undefined)
        fail(options, path, `action slice needs \`bytes\`, e.g. ${NEEDS_PARAMS.slice}`);
      return { type, bytes: int('bytes', 1, 1), delayMs: duration('gap', 0)! };
    default:
      throw new Error(`unreachable action ${type}`);
  }
}

function resolveFrameMatch(options: ResolveOptions, raw: unknown, path: FaultPath): FrameMatch {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) fail(options, path, 'match must be a mapping, e.g. {op: msg, kind: A}');
  refuseUnknown(options, raw, MATCH_KEYS, path);
  const match: {
    op?: Op[];
    kind?: Kind[];
    direction?: Direction;
    user?: string[];
    undecodable?: boolean;
  } = {};
  if (raw.op !== undefined)
    match.op = oneOrMany(options, raw.op, [...path, 'op'], (v) => OPS.includes(v as Op), OPS);
  if (raw.kind !== undefined) {
    match.kind = oneOrMany(options, raw.kind, [...path, 'kind'], (v) => KINDS.includes(v as Kind), KINDS);
  }
  if (raw.direction !== undefined) {
    if (!DIRECTIONS.includes(raw.direction as Direction)) {
      fail(options, [...path, 'direction'], `direction must be one of ${DIRECTIONS.join(', ')}`);
    }
    match.direction = raw.direction as Direction;
  }
  if (raw.user !== undefined) {
    match.user = oneOrMany(
      options,
      raw.user,
      [...path, 'user'],
      (v) => typeof v === 'string' && ACTOR.test(v),
      ['a user such as alice', 'an actor such as alice/phone'],
    );
  }
  if (raw.undecodable !== undefined) {
    if (typeof raw.undecodable !== 'boolean')
      fail(options, [...path, 'undecodable'], 'undecodable must be true or false');
    match.undecodable = raw.undecodable;
  }
  return match;
}

function resolveStreamMatch(
  options: ResolveOptions,
  raw: unknown,
  path: FaultPath,
  action: string,
): StreamMatch {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) fail(options, path, 'match must be a mapping, e.g. {direction: to-client}');
  for (const key of Object.keys(raw)) {
    if (key === 'direction') continue;
    if ((MATCH_KEYS as readonly string[]).includes(key)) {
      fail(
        options,
        [...path, key],
        `\`${key}\` selects RAN/1 frames, but ${action} is a stream action that acts on bytes; use a frame action (${FRAME_ACTIONS.join(', ')}) or select by direction only`,
      );
    }
  }
  refuseUnknown(options, raw, MATCH_KEYS, path);
  if (raw.direction === undefined) return {};
  if (!DIRECTIONS.includes(raw.direction as Direction)) {
    fail(options, [...path, 'direction'], `direction must be one of ${DIRECTIONS.join(', ')}`);
  }
  return { direction: raw.direction as Direction };
}

function resolveWindow(options: ResolveOptions, from: unknown, until: unknown, path: FaultPath): FaultWindow {
  const window: { from?: Bound; until?: Bound } = {};
  if (from !== undefined) window.from = resolveBound(options, from, [...path, 'from']);
  if (until !== undefined) window.until = resolveBound(options, until, [...path, 'until']);
  const f = window.from;
  const u = window.until;
  if (f && u) {
    const fv = 'step' in f ? f.step : f.ms;
    const uv = 'step' in u ? u.step : u.ms;
    if ('step' in f === 'step' in u && uv <= fv) {
      fail(
        options,
        [...path, 'until'],
        `until (${uv}) must be after from (${fv}): the window is [from, until)`,
      );
    }
  }
  return window;
}

function resolveBound(options: ResolveOptions, raw: unknown, path: FaultPath): Bound {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return { step: raw };
  if (typeof raw === 'string') {
    const ms = parseDurationText(raw);
    if (ms !== undefined) return { ms };
  }
  return fail(
    options,
    path,
    'a window bound is a step index (an integer, e.g. 2) or a time since the run began with a unit (e.g. "1500ms", "2s")',
  );
}
