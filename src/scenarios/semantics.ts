/**
 * The rules a JSON Schema cannot state: requirement ids that exist, caps that covered
 * requirements need, bot refs that name declared users and devices, and options that only make
 * sense together. Runs on the parsed document even when the schema check failed, looking only at
 * the parts that have the right shape, so one pass reports every mistake of a file.
 */

import { parseDurationText } from '../faults/duration.js';
import { type Level, REQUIREMENTS, requirement } from '../protocol/requirements.js';
import { DEFAULT_CLIENT_OPTIONS } from './defaults.js';
import { formatDuration, parseDuration } from './duration.js';
import { closest, didYouMean } from './hints.js';
import { isRecord, orList, where } from './schema-check.js';
import { USER_REF } from './user-ref.js';
import type { Path, PathIssue } from './yaml-source.js';

// The same forms as schemas/scenario.schema.json: values that fail them are the schema check's to report.
const BOT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(?:\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63})?$/;
const REQUIREMENT_ID = /^[A-Z]+-[0-9]+$/;

const MISBEHAVIOURS = [
  'crashBeforeCommit',
  'crashInSync',
  'withholdAcks',
  'delayAcks',
  'loseState',
  'noRetransmit',
  'loseAccepts',
  'loseReceipts',
  'losePushes',
];

interface Context {
  issues: PathIssue[];
  /** user → devices (null when that user's devices are malformed), when `users` is a mapping. */
  users: Map<string, string[] | null> | undefined;
  /** Covered requirement ids as written (valid or not), when `covers` is a list. */
  covers: string[] | undefined;
  /** Capture names of the probes so far: a later "$name" expectation must name one. */
  captured: Set<string>;
}

export function semanticIssues(data: unknown): PathIssue[] {
  if (!isRecord(data)) return [];
  const ctx: Context = {
    issues: [],
    users: usersOf(data.users),
    covers: stringList(data.covers),
    captured: new Set(),
  };
  checkCovers(ctx);
  checkDurations(data, ctx);
  if (Array.isArray(data.steps)) {
    for (const [i, step] of data.steps.entries()) checkStep(step, ['steps', i], ctx);
  }
  return ctx.issues;
}

/**
 * The strongest level among the covered requirements: what `severity` defaults to.
 * Unknown ids are ignored (they are reported on their own).
 */
export function strongestLevel(ids: readonly string[]): Level {
  const levels = ids.map((id) => requirement(id)?.level);
  if (levels.includes('MUST')) return 'MUST';
  if (levels.includes('SHOULD')) return 'SHOULD';
  return levels.includes('MAY') ? 'MAY' : 'MUST';
}

/**
 * Covered ids must exist. Nothing ties a covered `[cap: …]` requirement to `requires`: the
 * checker drops findings against requirements whose cap the target does not claim, so a case may
 * cover such a requirement on the side without becoming UNSUPPORTED as a whole.
 */
function checkCovers(ctx: Context): void {
  for (const [i, id] of (ctx.covers ?? []).entries()) {
    if (!REQUIREMENT_ID.test(id) || requirement(id)) continue;
    const path = ['covers', i];
    const hint = didYouMean(
      id,
      REQUIREMENTS.map((r) => r.id),
    );
    ctx.issues.push({
      path,
      message: `${where(path)}unknown requirement id "${id}"${hint} (ids are defined in docs/protocol.md)`,
    });
  }
}

function checkDurations(data: Record<string, unknown>, ctx: Context): void {
  positive(data.timeout, ['timeout'], ctx);
  const client = isRecord(data.client) ? data.client : {};
  positive(client.retransmit, ['client', 'retransmit'], ctx);
  positive(client.maxRetransmit, ['client', 'maxRetransmit'], ctx);
  positive(client.requestTimeout, ['client', 'requestTimeout'], ctx);
  const retransmit = durationOf(client.retransmit) ?? DEFAULT_CLIENT_OPTIONS.retransmitMs;
  const maxRetransmit = durationOf(client.maxRetransmit) ?? DEFAULT_CLIENT_OPTIONS.maxRetransmitMs;
  if (maxRetransmit < retransmit && maxRetransmit > 0) {
    const path = client.maxRetransmit !== undefined ? ['client', 'maxRetransmit'] : ['client', 'retransmit'];
    ctx.issues.push({
      path,
      message: `${where(path)}client.maxRetransmit (${formatDuration(maxRetransmit)}) is below client.retransmit (${formatDuration(retransmit)}); raise maxRetransmit or lower retransmit`,
    });
  }
}

function checkStep(step: unknown, path: Path, ctx: Context): void {
  if (!isRecord(step)) return;
  const keys = Object.keys(step);
  if (keys.length !== 1) return;
  const op = keys[0]!;
  const value = step[op];
  const at: Path = [...path, op];
  switch (op) {
    case 'connect':
    case 'disconnect':
      if (isRecord(value)) checkBots(value.bots, [...at, 'bots'], ctx);
      else checkBots(value, at, ctx);
      return;
    case 'crash':
    case 'behave':
      checkBots(value, at, ctx);
      return;
    case 'misbehave':
      if (!isRecord(value)) return;
      checkBots(value.bots, [...at, 'bots'], ctx);
      if (!MISBEHAVIOURS.some((key) => key in value)) {
        ctx.issues.push({
          path: at,
          message: `${where(at)}says no misbehaviour: add one of ${orList(MISBEHAVIOURS)}`,
        });
      }
      return;
    case 'send':
      if (!isRecord(value)) return;
      checkBot(value.from, [...at, 'from'], ctx, true);
      checkReceiver(value.to, [...at, 'to'], ctx);
      return;
    case 'page':
      if (isRecord(value)) checkBot(value.bot, [...at, 'bot'], ctx, true);
      return;
    case 'waitFor':
      if (!isRecord(value)) return;
      positive(value.timeout, [...at, 'timeout'], ctx);
      return;
    case 'target':
      if (isRecord(value) && value.restart !== undefined && typeof value.action === 'string') {
        if (value.action !== 'kill' && value.action !== 'term') {
          ctx.issues.push({
            path: [...at, 'restart'],
            atKey: true,
            message: `${where(at)}restart applies only to actions kill and term, not ${value.action}; remove it`,
          });
        }
      }
      return;
    case 'raw':
      if (!isRecord(value)) return;
      checkBot(value.bot, [...at, 'bot'], ctx, true);
      checkStepRequirement(value.requirement, at, ctx);
      checkAnswer(value.expect, [...at, 'expect'], ctx);
      return;
    case 'probe':
      if (!isRecord(value)) return;
      checkStepRequirement(value.requirement, at, ctx);
      if (typeof value.user === 'string' && value.user.includes('/') && value.device !== undefined) {
        ctx.issues.push({
          path: [...at, 'device'],
          atKey: true,
          message: `${where(at)}the device is named twice (user: ${value.user} and device: ${String(value.device)}); keep one`,
        });
      }
      if (Array.isArray(value.exchange)) {
        for (const [i, exchange] of value.exchange.entries())
          checkExchange(exchange, [...at, 'exchange', i], ctx);
      }
      return;
    case 'expectSession':
      if (!isRecord(value)) return;
      checkBot(value.bot, [...at, 'bot'], ctx, true);
      checkStepRequirement(value.requirement, at, ctx);
      if (value.pending === undefined && value.maxSeq === undefined) {
        ctx.issues.push({ path: at, message: `${where(at)}checks nothing: add pending, maxSeq or both` });
      }
      return;
    case 'expectClosed':
      if (!isRecord(value)) return;
      checkBot(value.bot, [...at, 'bot'], ctx, true);
      checkStepRequirement(value.requirement, at, ctx);
      return;
  }
}

function checkBots(value: unknown, path: Path, ctx: Context): void {
  if (Array.isArray(value)) {
    for (const [i, ref] of value.entries()) checkBot(ref, [...path, i], ctx, false);
  } else {
    checkBot(value, path, ctx, false);
  }
}

/**
 * `alice` (every device of alice) or `alice/phone`. Steps that act as one bot (send.from, page,
 * raw, expectSession) need one device: a bare user name is fine only when it has one device.
 */
function checkBot(ref: unknown, path: Path, ctx: Context, single: boolean): void {
  if (typeof ref !== 'string' || !BOT.test(ref) || !ctx.users) return;
  const [user, device] = ref.split('/') as [string, string | undefined];
  const devices = ctx.users.get(user);
  if (devices === null) return;
  if (devices === undefined) {
    const hint = didYouMean(ref, allRefs(ctx.users));
    const declared = [...ctx.users.keys()].join(', ');
    ctx.issues.push({
      path,
      message: `${where(path)}unknown bot "${ref}": users declares ${declared}${hint}`,
    });
  } else if (device !== undefined && !devices.includes(device)) {
    const hint = didYouMean(ref, allRefs(ctx.users));
    ctx.issues.push({
      path,
      message: `${where(path)}unknown bot "${ref}": ${user} has devices ${devices.join(', ')}${hint}`,
    });
  } else if (single && device === undefined && devices.length > 1) {
    ctx.issues.push({
      path,
      message: `${where(path)}"${ref}" has ${devices.length} devices (${devices.join(', ')}) and this step acts as one: write ${user}/${devices[0]}`,
    });
  }
}

/** send.to names a user: the message goes to every device of that user. */
function checkReceiver(ref: unknown, path: Path, ctx: Context): void {
  if (typeof ref !== 'string' || !BOT.test(ref) || !ctx.users) return;
  const user = ref.split('/')[0]!;
  if (ref.includes('/')) {
    ctx.issues.push({
      path,
      message: `${where(path)}a message goes to a user, not a device: write ${user}`,
    });
  } else if (!ctx.users.has(user)) {
    const declared = [...ctx.users.keys()].join(', ');
    ctx.issues.push({
      path,
      message: `${where(path)}unknown user "${ref}": users declares ${declared}${didYouMean(ref, ctx.users.keys())}`,
    });
  }
}

function checkExchange(exchange: unknown, path: Path, ctx: Context): void {
  if (!isRecord(exchange)) return;
  if (exchange.send === undefined && exchange.expect === undefined) {
    ctx.issues.push({ path, message: `${where(path)}does nothing: add send, expect or both` });
  }
  if (exchange.binary === true && exchange.send === undefined) {
    ctx.issues.push({
      path: [...path, 'binary'],
      atKey: true,
      message: `${where(path)}binary needs send: there is nothing to send as binary`,
    });
  }
  if (exchange.requirement !== undefined)
    checkRequirementRef(exchange.requirement, [...path, 'requirement'], ctx);
  positive(exchange.timeout, [...path, 'timeout'], ctx);
  checkAnswer(exchange.expect, [...path, 'expect'], ctx);
  // A capture is taken from this exchange's answer, so only later expectations may use it.
  if (isRecord(exchange.capture)) for (const name of Object.keys(exchange.capture)) ctx.captured.add(name);
}

/** An expected answer: closeCode only with type close; "$name" values need an earlier capture. */
function checkAnswer(expect: unknown, path: Path, ctx: Context): void {
  if (!isRecord(expect)) return;
  if (expect.closeCode !== undefined && expect.type !== 'close') {
    ctx.issues.push({
      path: [...path, 'closeCode'],
      atKey: true,
      message: `${where(path)}closeCode needs type: close (got type ${JSON.stringify(expect.type)})`,
    });
  }
  for (const [key, value] of Object.entries(expect)) {
    if (key === 'type' || key === 'closeCode' || typeof value !== 'string' || !value.startsWith('$'))
      continue;
    const user = USER_REF.exec(value)?.[1];
    if (user !== undefined) {
      checkUserRef(user, [...path, key], ctx);
      continue;
    }
    const name = value.slice(1);
    if (ctx.captured.has(name)) continue;
    const near = closest(name, ctx.captured);
    const fix =
      near === undefined
        ? `capture it first, e.g. capture: { ${name}: <path in the answer> }`
        : `did you mean "$${near}"?`;
    ctx.issues.push({
      path: [...path, key],
      message: `${where([...path, key])}"${value}" names no capture of an earlier exchange; ${fix}`,
    });
  }
}

/** `"$user:NAME"` in an expectation: NAME must be a user the scenario declares. */
function checkUserRef(user: string, path: Path, ctx: Context): void {
  if (!ctx.users || ctx.users.has(user)) return;
  const declared = [...ctx.users.keys()];
  ctx.issues.push({
    path,
    message: `${where(path)}"$user:${user}" names no user of this scenario: users declares ${declared.join(', ')}${didYouMean(user, declared)}`,
  });
}

/** raw, probe and expectSession name the requirement a mismatch violates; one of the case's own. */
function checkStepRequirement(id: unknown, at: Path, ctx: Context): void {
  if (!ctx.covers) return;
  if (id === undefined) {
    if (ctx.covers.length !== 1) {
      ctx.issues.push({
        path: at,
        message: `${where(at)}missing required key "requirement" (it may be left out only when covers lists one id)`,
      });
    }
    return;
  }
  checkRequirementRef(id, [...at, 'requirement'], ctx);
}

/**
 * A step's requirement must exist. It need not be in `covers`: a step may label a side check
 * (a raw probe that provokes error:A for FRAME-4 is labelled FRAME-2).
 */
function checkRequirementRef(id: unknown, path: Path, ctx: Context): void {
  if (typeof id !== 'string' || !REQUIREMENT_ID.test(id) || requirement(id)) return;
  const hint = didYouMean(
    id,
    REQUIREMENTS.map((r) => r.id),
  );
  ctx.issues.push({
    path,
    message: `${where(path)}unknown requirement id "${id}"${hint} (ids are defined in docs/protocol.md)`,
  });
}

function positive(value: unknown, path: Path, ctx: Context): void {
  if (durationOf(value) === 0) {
    ctx.issues.push({
      path,
      message: `${where(path)}expected a duration above 0, got ${JSON.stringify(value)}`,
    });
  }
}

function durationOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && parseDurationText(value) !== undefined) {
    try {
      return parseDuration(value);
    } catch {
      return undefined; // too long: the schema's format check says so at this node
    }
  }
  return undefined;
}

function usersOf(value: unknown): Map<string, string[] | null> | undefined {
  if (!isRecord(value)) return undefined;
  const users = new Map<string, string[] | null>();
  for (const [user, devices] of Object.entries(value)) {
    const list = typeof devices === 'string' ? [devices] : stringList(devices);
    users.set(user, list ?? null);
  }
  return users;
}

function allRefs(users: Map<string, string[] | null>): string[] {
  return [...users].flatMap(([user, devices]) => [user, ...(devices ?? []).map((d) => `${user}/${d}`)]);
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
}
