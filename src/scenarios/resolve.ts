/**
 * Turns a checked scenario document into the resolved model of types.ts: durations in
 * milliseconds, every default applied (defaults.ts), bot lists normalized, raw frames rendered,
 * every step given its position, and the whole frozen.
 */

import {
  DEFAULT_CLIENT_OPTIONS,
  DEFAULT_EXPECTATIONS,
  DEFAULT_TIMEOUT_MS,
  STEP_DEFAULTS,
} from './defaults.js';
import { parseDuration } from './duration.js';
import { resolveScenarioFaults } from './faults-check.js';
import type {
  RawBots,
  RawClient,
  RawExchange,
  RawExpect,
  RawScenario,
  RawStep as RawStepForm,
  RawStepForms,
} from './raw-types.js';
import { strongestLevel } from './semantics.js';
import type {
  ClientOptions,
  Expectations,
  Loc,
  Precondition,
  ProbeExchange,
  RawStep,
  Scenario,
  Step,
  WaitableLimit,
} from './types.js';
import { USER_NAME } from './user-ref.js';
import type { Path } from './yaml-source.js';

export interface ResolveContext {
  file: string;
  suite: string;
  locate(path: Path): Loc;
}

/** Only for documents that passed schemaIssues and semanticIssues: anything else is a bug here. */
export function resolveScenario(raw: RawScenario, ctx: ResolveContext): Scenario {
  const client = resolveClient(raw.client ?? {});
  const steps = raw.steps.map((step, i) => resolveStep(step, { ...ctx.locate(['steps', i]) }, raw, client));
  const scenario: Scenario = {
    id: raw.id,
    title: raw.title,
    description: raw.description ?? '',
    covers: [...raw.covers],
    severity: raw.severity ?? strongestLevel(raw.covers),
    requires: [...(raw.requires ?? [])],
    needsTargetControl: steps.some((step) => step.op === 'target'),
    timeoutMs: raw.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(raw.timeout),
    users: Object.fromEntries(
      Object.entries(raw.users).map(([user, devices]) => [
        user,
        typeof devices === 'string' ? [devices] : [...devices],
      ]),
    ),
    client,
    steps,
    expect: resolveExpect(raw.expect ?? {}),
    preconditions: resolvePreconditions(raw),
    faults: resolveScenarioFaults(raw.faults, ctx.locate),
    file: ctx.file,
    suite: ctx.suite,
  };
  return deepFreeze(scenario);
}

/** A checked `client:` mapping → ClientOptions, every default from defaults.ts (load profiles share it). */
export function resolveClient(raw: RawClient): ClientOptions {
  const ms = (value: RawClient[keyof RawClient], fallback: number) =>
    value === undefined ? fallback : parseDuration(value as string | number);
  const d = DEFAULT_CLIENT_OPTIONS;
  return {
    retransmitMs: ms(raw.retransmit, d.retransmitMs),
    backoff: raw.backoff ?? d.backoff,
    maxRetransmitMs: ms(raw.maxRetransmit, d.maxRetransmitMs),
    maxAttempts: raw.maxAttempts ?? d.maxAttempts,
    ackDelayMs: ms(raw.ackDelay, d.ackDelayMs),
    pageSize: raw.pageSize ?? d.pageSize,
    requestTimeoutMs: ms(raw.requestTimeout, d.requestTimeoutMs),
    storedStopsRetransmit: raw.storedStopsRetransmit ?? d.storedStopsRetransmit,
    reconnectDelayMs: ms(raw.reconnectDelay, d.reconnectDelayMs),
  };
}

/**
 * The preconditions written, then the ones the case's own expectations imply: a case that expects
 * every send accepted (`allAccepted`, the default) needs them accepted, and one that bounds how
 * soon a stand-in receipt comes (`standinWithin`) needs a message stored for an offline receiver,
 * or it tested nothing of RCPT-1.
 */
function resolvePreconditions(raw: RawScenario): Precondition[] {
  const out: Precondition[] = (raw.preconditions ?? []).map((p) =>
    'accepted' in p
      ? { kind: 'accepted', atLeast: p.accepted, from: 'preconditions' }
      : { kind: 'acceptedOffline', atLeast: p.acceptedOffline, from: 'preconditions' },
  );
  // allAccepted: a send the server left unanswered is its finding (RID-1); one the network or a
  // kill -9 swallowed whole leaves the case short of what it says it did.
  const allAccepted = raw.expect?.allAccepted ?? DEFAULT_EXPECTATIONS.allAccepted;
  if (allAccepted && !out.some((p) => p.kind === 'accepted')) {
    out.push({ kind: 'accepted', atLeast: 'all', from: 'expect.allAccepted' });
  }
  if (raw.expect?.standinWithin !== undefined && !out.some((p) => p.kind === 'acceptedOffline')) {
    out.push({ kind: 'acceptedOffline', atLeast: 1, from: 'expect.standinWithin' });
  }
  return out;
}

function resolveExpect(raw: RawExpect): Expectations {
  const out: Expectations = {
    exactlyOnce: raw.exactlyOnce ?? DEFAULT_EXPECTATIONS.exactlyOnce,
    allAccepted: raw.allAccepted ?? DEFAULT_EXPECTATIONS.allAccepted,
    receipt: raw.receipt ?? DEFAULT_EXPECTATIONS.receipt,
  };
  if (raw.standinWithin !== undefined) out.standinWithinMs = parseDuration(raw.standinWithin);
  if (raw.ackLatencyP99 !== undefined) out.ackLatencyP99Ms = parseDuration(raw.ackLatencyP99);
  if (raw.deliveryLatencyP99 !== undefined) out.deliveryLatencyP99Ms = parseDuration(raw.deliveryLatencyP99);
  if (raw.maxRetransmitRatio !== undefined) out.maxRetransmitRatio = raw.maxRetransmitRatio;
  if (raw.maxWireDuplicates !== undefined) out.maxWireDuplicates = raw.maxWireDuplicates;
  return out;
}

function resolveStep(step: RawStepForm, loc: Loc, scenario: RawScenario, client: ClientOptions): Step {
  const op = Object.keys(step)[0] as keyof RawStepForms;
  const forms = step as Partial<RawStepForms>;
  switch (op) {
    case 'connect': {
      const v = forms.connect!;
      if (isBots(v)) return { op, loc, bots: bots(v), state: STEP_DEFAULTS.connect.state };
      return { op, loc, bots: bots(v.bots), state: v.state ?? STEP_DEFAULTS.connect.state };
    }
    case 'disconnect': {
      const v = forms.disconnect!;
      if (isBots(v)) return { op, loc, bots: bots(v), mode: STEP_DEFAULTS.disconnect.mode };
      return { op, loc, bots: bots(v.bots), mode: v.mode ?? STEP_DEFAULTS.disconnect.mode };
    }
    case 'crash':
      return { op: 'disconnect', loc, bots: bots(forms.crash!), mode: 'crash' };
    case 'send': {
      const v = forms.send!;
      const d = STEP_DEFAULTS.send;
      return {
        op,
        loc,
        from: v.from,
        to: v.to,
        count: v.count ?? d.count,
        rate: v.rate ?? d.rate,
        size: v.size ?? d.size,
        text: v.text ?? d.text,
        ...(v.cmids === undefined ? {} : { cmids: v.cmids }),
        await: v.await ?? d.await,
      };
    }
    case 'wait': {
      const limit = parseLimitDuration(forms.wait!);
      if (limit) return { op, loc, ms: limit.plusMs, limit: limit.limit };
      return { op, loc, ms: parseDuration(forms.wait!) };
    }
    case 'waitFor': {
      const v = forms.waitFor!;
      const d = STEP_DEFAULTS.waitFor;
      if (typeof v === 'string') return { op, loc, condition: v, timeoutMs: d.timeoutMs, quietMs: d.quietMs };
      return {
        op,
        loc,
        condition: v.condition,
        timeoutMs: v.timeout === undefined ? d.timeoutMs : parseDuration(v.timeout),
        quietMs: v.quiet === undefined ? d.quietMs : parseDuration(v.quiet),
      };
    }
    case 'target': {
      const v = forms.target!;
      const action = typeof v === 'string' ? v : v.action;
      const restart = typeof v === 'string' ? undefined : v.restart;
      return { op, loc, action, restart: restart ?? STEP_DEFAULTS.targetRestart[action] };
    }
    case 'misbehave': {
      const v = forms.misbehave!;
      const out: Step = { op, loc, bots: bots(v.bots) };
      if (v.crashBeforeCommit !== undefined) out.crashBeforeCommit = v.crashBeforeCommit;
      if (v.crashInSync !== undefined) out.crashInSync = v.crashInSync;
      if (v.withholdAcks !== undefined) out.withholdAcks = v.withholdAcks;
      if (v.delayAcks !== undefined) out.delayAcksMs = parseDuration(v.delayAcks);
      if (v.loseState !== undefined) out.loseState = v.loseState;
      if (v.noRetransmit !== undefined) out.noRetransmit = v.noRetransmit;
      if (v.loseAccepts !== undefined) out.loseAccepts = v.loseAccepts;
      if (v.loseReceipts !== undefined) out.loseReceipts = v.loseReceipts;
      if (v.losePushes !== undefined) out.losePushes = v.losePushes;
      return out;
    }
    case 'behave':
      return { op, loc, bots: bots(forms.behave!) };
    case 'page': {
      const v = forms.page!;
      return {
        op,
        loc,
        bot: v.bot,
        direction: v.direction ?? STEP_DEFAULTS.page.direction,
        pages: v.pages ?? STEP_DEFAULTS.page.pages,
        limit: v.limit ?? client.pageSize,
      };
    }
    case 'raw': {
      const v = forms.raw!;
      const { type, closeCode, ...fields } = v.expect;
      const expect: RawStep['expect'] = { type };
      if (Object.keys(fields).length > 0) expect.fields = fields;
      if (closeCode !== undefined) expect.closeCode = closeCode;
      const { text, rid } = renderRaw(v.send);
      return {
        op,
        loc,
        bot: v.bot,
        text,
        rid,
        beforeHello: v.beforeHello ?? STEP_DEFAULTS.raw.beforeHello,
        expect,
        requirement: v.requirement ?? scenario.covers[0]!,
      };
    }
    case 'probe': {
      const v = forms.probe!;
      const [user, device] = v.user.split('/') as [string, string | undefined];
      return {
        op,
        loc,
        user,
        device: device ?? v.device ?? STEP_DEFAULTS.probe.device,
        login: v.login ?? STEP_DEFAULTS.probe.login,
        exchange: v.exchange.map(resolveExchange),
        requirement: v.requirement ?? scenario.covers[0]!,
      };
    }
    case 'expectSession': {
      const v = forms.expectSession!;
      const out: Step = { op, loc, bot: v.bot, requirement: v.requirement ?? scenario.covers[0]! };
      if (v.maxSeq !== undefined) out.maxSeq = v.maxSeq;
      if (v.pending !== undefined) out.pending = v.pending;
      return out;
    }
    case 'expectClosed': {
      const v = forms.expectClosed!;
      return { op, loc, bot: v.bot, code: v.code, requirement: v.requirement ?? scenario.covers[0]! };
    }
  }
}

/**
 * `limits.NAME` or `limits.NAME + DURATION` (the schema checked the form and the name): the limit
 * and what is added to it; undefined for a plain duration.
 */
function parseLimitDuration(value: string | number): { limit: WaitableLimit; plusMs: number } | undefined {
  if (typeof value !== 'string') return undefined;
  const m = LIMIT_DURATION.exec(value);
  if (!m) return undefined;
  return { limit: m[1] as WaitableLimit, plusMs: m[2] === undefined ? 0 : parseDuration(m[2]) };
}

const LIMIT_DURATION = /^limits\.(\w+)(?: \+ (.+))?$/;

function resolveExchange(raw: RawExchange): ProbeExchange {
  const out: ProbeExchange = {
    binary: raw.binary ?? STEP_DEFAULTS.probe.binary,
    capture: { ...(raw.capture ?? {}) },
  };
  if (raw.send !== undefined) out.send = renderRaw(raw.send).text;
  if (raw.expect !== undefined) {
    const { type, closeCode, ...fields } = raw.expect;
    out.expect = { type, fields };
    if (closeCode !== undefined) out.expect.closeCode = closeCode;
  }
  if (raw.requirement !== undefined) out.requirement = raw.requirement;
  if (raw.timeout !== undefined) {
    const limit = typeof raw.timeout === 'string' ? /^limits\.(\w+)$/.exec(raw.timeout)?.[1] : undefined;
    out.timeout = limit ? { limit: limit as WaitableLimit } : { ms: parseDuration(raw.timeout) };
  }
  return out;
}

/**
 * The exact text a raw step sends, and the rid its answer will carry. An object is JSON-encoded;
 * a string goes verbatim, and its rid is read only when it is a JSON object with a string rid
 * (FRAME-2/FRAME-3: the server can answer with the rid only when it could read one).
 *
 * In an object, the members that name a user — `to` of a msg:R, `user` of a hello:R — become
 * `"$user:NAME"`, which the runner expands to the user's name on the target: on a shared target
 * users carry the run's prefix, and a probe must address the same inbox as the bots.
 */
export function renderRaw(send: string | Record<string, unknown>): { text: string; rid: string | null } {
  if (typeof send !== 'string') {
    const member = USER_MEMBER[String(send.type)];
    const name = member === undefined ? undefined : send[member];
    // Only a well-formed name: a probe of a malformed `to` must send exactly what it says.
    const named = typeof name === 'string' && USER_NAME.test(name);
    const frame = named ? { ...send, [member!]: `$user:${name}` } : send;
    return { text: JSON.stringify(frame), rid: typeof send.rid === 'string' ? send.rid : null };
  }
  try {
    const parsed: unknown = JSON.parse(send);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const rid = (parsed as { rid?: unknown }).rid;
      return { text: send, rid: typeof rid === 'string' ? rid : null };
    }
  } catch {
    // Not JSON: that is the point of many raw probes.
  }
  return { text: send, rid: null };
}

/** The member of a client frame that names a user, by frame type. */
const USER_MEMBER: Readonly<Record<string, string>> = { 'msg:R': 'to', 'hello:R': 'user' };

function isBots(value: unknown): value is RawBots {
  return typeof value === 'string' || Array.isArray(value);
}

function bots(value: RawBots): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
