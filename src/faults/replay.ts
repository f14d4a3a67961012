/**
 * Exact replay of a fault run. A recorded fault event carries its coordinates (the actor, the
 * direction and type of the frame, and which occurrence of that it was; for the TCP proxy, the
 * connection number) and its resolved parameters, so each event turns into a rule "act like this
 * on the k-th frame matching Y" with no randomness left. `toYaml` renders such rules as a
 * ready-to-run `faults:` section — the output of `minimize` (ddmin.ts) becomes a reproducer.
 */

import { stringify } from 'yaml';
import type { Kind, Op } from '../protocol/frames.js';
import { formatDuration } from './duration.js';
import type {
  Bound,
  FaultRecord,
  FaultRule,
  FrameAction,
  FrameRule,
  StreamAction,
  StreamRule,
} from './types.js';

/**
 * One rule per primary event (consequences, with a `cause`, are reproduced by their cause).
 * Rule ids are `<original rule>.<event id>`, so a report still says which rule a fault came from.
 *
 * Limits: a frame event without an actor (a frame before hello:R) replays on the k-th such frame
 * of *any* connection; stream jitter and latency draws are re-drawn from the replay run's seed.
 */
export function replayRules(events: readonly FaultRecord[]): FaultRule[] {
  const rules: FaultRule[] = [];
  for (const e of events) {
    if (e.cause !== undefined) continue;
    const id = `${e.rule.slice(0, 50)}.${e.id}`;
    const base = {
      id,
      every: undefined,
      times: undefined,
      probability: 1,
      window: {},
      loc: undefined,
    };
    if (e.layer === 'frame') {
      const match: {
        op?: Op[];
        kind?: Kind[];
        direction?: FaultRecord['direction'];
        user?: string[];
        undecodable?: boolean;
      } = {};
      if (e.type) {
        const [op, kind] = e.type.split(':') as [Op, Kind];
        match.op = [op];
        match.kind = [kind];
      } else {
        match.undecodable = true;
      }
      if (e.direction) match.direction = e.direction;
      if (e.actor) match.user = [e.actor];
      const rule: FrameRule = {
        ...base,
        layer: 'frame',
        match,
        nth: e.occurrence ?? 1,
        action: frameAction(e),
      };
      rules.push(rule);
    } else {
      const rule: StreamRule = {
        ...base,
        layer: 'stream',
        match: e.direction ? { direction: e.direction } : {},
        nth: e.conn,
        action: streamAction(e),
      };
      rules.push(rule);
    }
  }
  return rules;
}

function num(params: Readonly<Record<string, unknown>>, key: string, dflt: number): number {
  const v = params[key];
  return typeof v === 'number' ? v : dflt;
}

function frameAction(e: FaultRecord): FrameAction {
  const p = e.params;
  switch (e.action) {
    case 'drop':
      return { type: 'drop' };
    case 'duplicate':
      return { type: 'duplicate', copies: num(p, 'copies', 1) };
    case 'delay':
      return { type: 'delay', ms: num(p, 'ms', 0), jitterMs: 0 };
    case 'reorder':
      return { type: 'reorder', after: num(p, 'after', 1), maxHoldMs: num(p, 'maxHoldMs', 1000) };
    case 'corrupt': {
      const mode = p.mode === 'schema' ? 'schema' : 'json';
      return typeof p.field === 'string'
        ? { type: 'corrupt', mode, field: p.field }
        : { type: 'corrupt', mode };
    }
    case 'cut':
      return {
        type: 'cut',
        mode: p.mode === 'reset' ? 'reset' : 'close',
        code: num(p, 'code', 1000),
        forward: p.forward !== false,
      };
    case 'stall':
      return { type: 'stall', ms: typeof p.ms === 'number' ? p.ms : undefined };
    default:
      throw new Error(`fault event ${e.id} has unknown frame action "${e.action}"`);
  }
}

function streamAction(e: FaultRecord): StreamAction {
  const p = e.params;
  switch (e.action) {
    case 'latency':
      return { type: 'latency', ms: num(p, 'ms', 0), jitterMs: num(p, 'jitterMs', 0) };
    case 'bandwidth':
      return { type: 'bandwidth', bytesPerSecond: num(p, 'bytesPerSecond', 1) };
    case 'reset':
      return { type: 'reset', afterBytes: num(p, 'afterBytes', 0) };
    case 'blackhole':
      return { type: 'blackhole', ms: typeof p.ms === 'number' ? p.ms : undefined };
    case 'slice':
      return { type: 'slice', bytes: num(p, 'bytes', 1), delayMs: num(p, 'delayMs', 0) };
    default:
      throw new Error(`fault event ${e.id} has unknown stream action "${e.action}"`);
  }
}

/** The YAML form of a resolved rule (the inverse of resolveFaultRules, defaults left out). */
export function ruleToYaml(rule: FaultRule): Record<string, unknown> {
  const out: Record<string, unknown> = { id: rule.id };
  const match: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rule.match)) {
    if (v === undefined) continue;
    match[k] = Array.isArray(v) && v.length === 1 ? v[0] : v;
  }
  if (Object.keys(match).length > 0) out.match = match;
  if (rule.nth !== undefined) out.nth = rule.nth;
  if (rule.every !== undefined) out.every = rule.every;
  if (rule.times !== undefined) out.times = rule.times;
  if (rule.probability !== 1) out.probability = rule.probability;
  if (rule.window.from) out.from = boundToYaml(rule.window.from);
  if (rule.window.until) out.until = boundToYaml(rule.window.until);
  out.action = actionToYaml(rule.action);
  return out;
}

function boundToYaml(b: Bound): number | string {
  return 'step' in b ? b.step : formatDuration(b.ms);
}

function actionToYaml(a: FrameAction | StreamAction): string | Record<string, unknown> {
  switch (a.type) {
    case 'drop':
      return 'drop';
    case 'duplicate':
      return a.copies === 1 ? 'duplicate' : { type: a.type, copies: a.copies };
    case 'delay':
    case 'latency':
      return a.jitterMs === 0
        ? { type: a.type, by: formatDuration(a.ms) }
        : { type: a.type, by: formatDuration(a.ms), jitter: formatDuration(a.jitterMs) };
    case 'reorder':
      return a.after === 1 && a.maxHoldMs === 1000
        ? 'reorder'
        : { type: a.type, after: a.after, maxHold: formatDuration(a.maxHoldMs) };
    case 'corrupt':
      if (a.mode === 'json') return 'corrupt';
      return a.field === undefined
        ? { type: a.type, mode: a.mode }
        : { type: a.type, mode: a.mode, field: a.field };
    case 'cut':
      return a.mode === 'close' && a.code === 1000 && a.forward
        ? 'cut'
        : { type: a.type, mode: a.mode, code: a.code, forward: a.forward };
    case 'stall':
    case 'blackhole':
      return a.ms === undefined ? a.type : { type: a.type, for: formatDuration(a.ms) };
    case 'bandwidth':
      return { type: a.type, bytesPerSecond: a.bytesPerSecond };
    case 'reset':
      return a.afterBytes === 0 ? 'reset' : { type: a.type, afterBytes: a.afterBytes };
    case 'slice':
      return a.delayMs === 0
        ? { type: a.type, bytes: a.bytes }
        : { type: a.type, bytes: a.bytes, gap: formatDuration(a.delayMs) };
  }
}

export interface ToYamlOptions {
  /** Comment lines put above `faults:` (e.g. the case, the seed, how the set was found). @default none */
  comment?: string;
}

/** Renders fault events as a ready-to-run `faults:` section that injects exactly those faults. */
export function toYaml(events: readonly FaultRecord[], options: ToYamlOptions = {}): string {
  return rulesToYaml(replayRules(events), options);
}

/** Renders resolved rules as a `faults:` section. */
export function rulesToYaml(rules: readonly FaultRule[], options: ToYamlOptions = {}): string {
  const body = stringify({ faults: rules.map(ruleToYaml) }, { lineWidth: 0, flowCollectionPadding: false });
  if (!options.comment) return body;
  const comment = options.comment
    .split('\n')
    .map((l) => `# ${l}`.trimEnd())
    .join('\n');
  return `${comment}\n${body}`;
}
