/**
 * Probes: scripted frames on a socket of their own, each answer compared with what the scenario
 * expects. `raw` steps are one-exchange probes; `probe` steps script several exchanges and can
 * capture values (a smid, a cursor) to expect later as "$name". Probes speak as a separate device
 * by default, so they never replace (AUTH-6) the session of a bot.
 */

import type { Driver, RawFrame, RawSocket } from '../drivers/driver.js';
import { UnsupportedError } from '../errors.js';
import type { History } from '../history/events.js';
import type { Limits } from '../protocol/frames.js';
import type { ProbeExchange, ProbeStep, RawStep } from '../scenarios/types.js';
import { USER_REF, USER_REF_IN_TEXT } from '../scenarios/user-ref.js';

export interface ProbeOutcome {
  requirement: string;
  ok: boolean;
  expected: string;
  actual: string;
  /** No answer came before the probe stopped waiting (not: the server closed, or answered wrong). */
  timedOut?: boolean;
  /** Set when the case deadline shortened the wait: what the probe meant to wait for. */
  cut?: string;
}

export interface ProbeEnv {
  driver: Driver;
  history: History;
  tokenFor(user: string): string;
  /** Scenario user name → name on the target, for `"$user:NAME"` in frames and expectations. */
  userName(user: string): string;
  /** Captured values, shared by the probes of one case. */
  captures: Map<string, unknown>;
  /** The limits the target advertises (hello:A), for exchanges with `timeout: limits.NAME`. */
  limits: Readonly<Limits> | undefined;
  /** Milliseconds left before the case deadline: no wait goes past it. */
  remainingMs(): number;
}

/** How long a probe waits for an answer unless its exchange says otherwise. */
export const PROBE_ANSWER_MS = 5_000;
/**
 * Added to an advertised limit an exchange waits on (`timeout: limits.helloTimeoutMs`): the server
 * starts its timer a little after the socket opens, and its close takes a round trip to arrive.
 */
export const LIMIT_MARGIN_MS = 2_000;

/** What one wait of a probe is: how long, capped by the case deadline, and why that long. */
interface Wait {
  ms: number;
  /** Set when the case deadline shortened it. */
  cut?: string;
}

function waitFor(exchange: Pick<ProbeExchange, 'timeout'> | undefined, env: ProbeEnv): Wait {
  const t = exchange?.timeout;
  let want = PROBE_ANSWER_MS;
  let why = `${PROBE_ANSWER_MS} ms`;
  if (t !== undefined && 'ms' in t) {
    want = t.ms;
    why = `${t.ms} ms`;
  } else if (t !== undefined) {
    // A server that advertises no limits (FRAME-4 judges that) gets the default wait.
    const advertised = env.limits?.[t.limit];
    if (typeof advertised === 'number' && advertised > 0) {
      want = advertised + LIMIT_MARGIN_MS;
      why = `${want} ms: limits.${t.limit} ${advertised} + ${LIMIT_MARGIN_MS} ms margin`;
    }
  }
  const left = Math.floor(env.remainingMs());
  if (left >= want) return { ms: want };
  return { ms: left, cut: `meant to wait ${why}; raise the case timeout` };
}

/** A `raw` step is a probe with one exchange. */
export function rawAsProbe(step: RawStep, user: string, device: string): ProbeStep {
  const fields = { ...(step.expect.fields ?? {}) };
  const expect: NonNullable<ProbeExchange['expect']> = { type: step.expect.type, fields };
  if (step.expect.closeCode !== undefined) expect.closeCode = step.expect.closeCode;
  return {
    op: 'probe',
    loc: step.loc,
    user,
    device,
    login: step.beforeHello ? 'none' : 'valid',
    exchange: [{ send: step.text, binary: false, expect, capture: {} }],
    requirement: step.requirement,
  };
}

export async function runProbe(step: ProbeStep, env: ProbeEnv): Promise<ProbeOutcome[]> {
  if (!env.driver.openRaw) throw new UnsupportedError(`driver ${env.driver.name} cannot send raw frames`);
  // A probe is its own client: its actor must never be mistaken for a bot speaking as the same
  // device (AUTH-6 cases log a probe in as a bot's device).
  const open = waitFor(undefined, env);
  const socket = await env.driver.openRaw(`${step.user}/${step.device}~probe`, env.history, open.ms);
  const outcomes: ProbeOutcome[] = [];
  // "$token" in a probe stands for the probing user's own token (a hand-written hello:R).
  env.captures.set('token', env.tokenFor(step.user));
  try {
    if (step.login !== 'none') {
      const token =
        step.login === 'valid' ? env.tokenFor(step.user) : `wrong-${env.tokenFor(step.user).slice(0, 8)}`;
      socket.send(
        JSON.stringify({ type: 'hello:R', rid: 'probe-hello', user: step.user, device: step.device, token }),
      );
      if (step.login === 'valid') {
        const wait = waitFor(undefined, env);
        const hello = await next(socket, (f) => f.fields['rid'] === 'probe-hello', wait.ms);
        if (hello === TIMED_OUT) {
          const actual = `no answer in ${wait.ms} ms`;
          const outcome: ProbeOutcome = {
            requirement: step.requirement,
            ok: false,
            expected: 'hello:A',
            actual,
          };
          return [{ ...outcome, timedOut: true, ...(wait.cut ? { cut: wait.cut } : {}) }];
        }
        if (hello?.type !== 'hello:A') {
          return [{ requirement: step.requirement, ok: false, expected: 'hello:A', actual: describe(hello) }];
        }
      }
    }
    for (const exchange of step.exchange) {
      const outcome = await runExchange(socket, exchange, step.requirement, env);
      outcomes.push(outcome);
      // Later exchanges depend on earlier answers; after a mismatch they would only add noise.
      if (!outcome.ok) break;
    }
    return outcomes;
  } finally {
    socket.abort();
  }
}

async function runExchange(
  socket: RawSocket,
  exchange: ProbeExchange,
  requirement: string,
  env: ProbeEnv,
): Promise<ProbeOutcome> {
  const req = exchange.requirement ?? requirement;
  const text = exchange.send === undefined ? undefined : expand(exchange.send, env.captures, env.userName);
  if (text !== undefined) socket.send(exchange.binary ? new TextEncoder().encode(text) : text);
  const expect = exchange.expect;
  if (!expect) return { requirement: req, ok: true, expected: 'nothing', actual: 'sent' };
  const expected = describeExpectation(expect);
  const wait = waitFor(exchange, env);
  const timedOut = (actual: string): ProbeOutcome => ({
    requirement: req,
    ok: false,
    expected,
    actual,
    timedOut: true,
    ...(wait.cut ? { cut: wait.cut } : {}),
  });

  if (expect.type === 'close') {
    // Frames before the close are allowed (error:A auth-failed precedes close 4401).
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      socket.closed,
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), wait.ms);
      }),
    ]);
    clearTimeout(timer);
    if (!closed) return timedOut(`still open after ${wait.ms} ms`);
    const ok = expect.closeCode === undefined || closed.code === expect.closeCode;
    return {
      requirement: req,
      ok,
      expected,
      actual: `close ${closed.code ?? '(no code)'} ${closed.reason}`.trim(),
    };
  }

  const rid = text === undefined ? expectedRid(expect.fields, env) : readRid(text);
  const answer = await next(socket, (f) => answers(f, expect.type, rid), wait.ms);
  if (answer === TIMED_OUT) return timedOut(`no answer in ${wait.ms} ms`);
  if (!answer) return { requirement: req, ok: false, expected, actual: 'no answer: the connection closed' };
  const mismatches: string[] = [];
  if (answer.type !== expect.type) mismatches.push(`type ${answer.type ?? '(none)'}`);
  for (const [path, want] of Object.entries(expect.fields)) {
    const wanted = expected$(want, env);
    const got = at(answer.fields, path);
    if (!matches(got, wanted)) {
      mismatches.push(`${path} = ${JSON.stringify(got)} (expected ${JSON.stringify(wanted)})`);
    }
  }
  for (const [name, path] of Object.entries(exchange.capture))
    env.captures.set(name, at(answer.fields, path));
  const actual = mismatches.length ? `${mismatches.join('; ')} in ${describe(answer)}` : describe(answer);
  return { requirement: req, ok: mismatches.length === 0, expected, actual };
}

/**
 * Which inbound frame answers: an N frame of the expected type; otherwise the A frame with the
 * request's rid, or — for a request whose rid is unreadable — an error:A with rid null.
 */
function answers(frame: RawFrame, type: string, rid: string | null | undefined): boolean {
  if (type.endsWith(':N')) return frame.type === type;
  if (!frame.type?.endsWith(':A')) return false;
  if (rid === undefined) return frame.type === type;
  return frame.fields['rid'] === rid;
}

/**
 * The rid an exchange that sends nothing waits on: the one it expects (`rid: probe-hello` after a
 * wrong login), so any answer to that request is judged at once — a hello:A where error:A
 * auth-failed was due is a wrong answer, not a silence the probe waits out.
 */
function expectedRid(fields: Record<string, unknown>, env: ProbeEnv): string | undefined {
  const rid = expected$(fields['rid'], env);
  return typeof rid === 'string' ? rid : undefined;
}

function readRid(text: string): string | null {
  try {
    const value = JSON.parse(text) as { rid?: unknown };
    return typeof value?.rid === 'string' && value.rid.length >= 1 && value.rid.length <= 64
      ? value.rid
      : null;
  } catch {
    return null;
  }
}

/** An expected value: `"$user:NAME"` is a user's name on the target, `"$name"` a capture. */
function expected$(want: unknown, env: ProbeEnv): unknown {
  if (typeof want !== 'string' || !want.startsWith('$')) return want;
  const user = USER_REF.exec(want);
  if (user) return env.userName(user[1]!);
  return env.captures.get(want.slice(1));
}

const COMPARATORS: Record<string, (a: number, b: number) => boolean> = {
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
};

/** Exact JSON equality, or a comparison written as `{'>=': 86400000}`. */
export function matches(got: unknown, wanted: unknown): boolean {
  if (wanted !== null && typeof wanted === 'object' && !Array.isArray(wanted)) {
    const entries = Object.entries(wanted);
    const [op, bound] = entries[0] ?? [];
    if (entries.length === 1 && op !== undefined && op in COMPARATORS) {
      return typeof got === 'number' && typeof bound === 'number' && COMPARATORS[op]!(got, bound);
    }
  }
  return JSON.stringify(got) === JSON.stringify(wanted);
}

/**
 * Expands placeholders in a probe's text: `"$user:NAME"` becomes the user's name on the target
 * (prefixed on a shared target, so a probe addresses the same inbox as the bots), `"$name"` (a JSON
 * string) the captured value, `$fill:N` N "x" characters (for size limits: a body over
 * maxBodyBytes, a frame over maxFrameBytes), so a scenario need not carry 70 kB of padding.
 */
export function expand(
  text: string,
  captures: ReadonlyMap<string, unknown>,
  userName: (user: string) => string = (u) => u,
): string {
  return text
    .replace(USER_REF_IN_TEXT, (_, name: string) => JSON.stringify(userName(name)))
    .replace(/"\$([A-Za-z_][\w]*)"/g, (whole, name: string) =>
      captures.has(name) ? JSON.stringify(captures.get(name)) : whole,
    )
    .replace(/\$fill:(\d{1,7})/g, (_, n: string) => 'x'.repeat(Number(n)));
}

/** Dotted path lookup: "msgs.0.body". */
export function at(value: unknown, path: string): unknown {
  let cur: unknown = value;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

const TIMED_OUT = Symbol('timed out');

/** The matching frame, undefined when the connection closed first, TIMED_OUT when none came in time. */
function next(
  socket: RawSocket,
  match: (f: RawFrame) => boolean,
  timeoutMs: number,
): Promise<RawFrame | undefined | typeof TIMED_OUT> {
  return socket.next(match, timeoutMs).catch(() => TIMED_OUT);
}

function describeExpectation(expect: NonNullable<ProbeExchange['expect']>): string {
  if (expect.type === 'close') return `close ${expect.closeCode ?? ''}`.trim();
  const fields = Object.entries(expect.fields)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
  return `${expect.type}${fields ? ` ${fields}` : ''}`;
}

function describe(frame: RawFrame | undefined | typeof TIMED_OUT): string {
  if (frame === TIMED_OUT) return 'nothing in time';
  if (!frame) return 'nothing';
  return frame.raw.length > 200 ? `${frame.raw.slice(0, 200)}…` : frame.raw;
}
