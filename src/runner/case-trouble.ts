/**
 * When a case breaks off, whose fault was it? An error that stops a case is ERROR — the kit could
 * not run it — unless the history shows the server caused it, and then it is a finding with that
 * evidence (docs/certify.md, "Reading findings"):
 *
 * - the target process exited on its own during the case (or its provisioning): FRAME-8, "the
 *   server keeps running" — whatever failed after that (a refused connection, a closed stream)
 *   is its consequence, not the kit's trouble;
 * - a login refused after the kit killed or restarted the server, for an account the server had
 *   accepted before (created in provisioning, or logged in earlier in the case): the account did
 *   not survive the restart — DUR-1, a durability finding, not a credentials problem;
 * - an answer the driver refused (a ProtocolError over a frame the server sent) that the checker
 *   holds against the server at MUST — it breaks the schema (FRAME-4) or answers with another
 *   type (FRAME-7): the recorded frame is the proof (provenStop);
 * - a request whose answer never came (a TimeoutError naming it), or that the server closed the
 *   connection on instead of answering (a ConnectionClosedError naming it), that the checker holds
 *   against the server at MUST (RID-1: no answer, and no fault or crash to excuse it): the
 *   recorded request is the proof.
 *
 * The kit's own trouble — its timeouts, its kills, a frame its own proxy corrupted or a
 * connection it cut, its bots' own closes (the checker excuses those) — stays ERROR.
 */

import type { Finding } from '../checker/types.js';
import { AuthError, ConnectionClosedError, messageOf, ProtocolError, TimeoutError } from '../errors.js';
import type { AssertEvent, History, HistoryEvent } from '../history/events.js';
import type { CaseBot } from './case-bot.js';
import type { Target } from './target.js';

/** Records every exit of the target the kit did not ask for, as a FRAME-8 finding at that moment. */
export function watchTarget(target: Target, history: History): { crashes(): number; stop(): void } {
  let crashes = 0;
  const stop = target.onUnexpectedExit((code, signal) => {
    crashes++;
    history.append({
      kind: 'target',
      t: history.now(),
      action: 'exited',
      detail: `code ${code} signal ${signal}`,
    });
    history.append({
      kind: 'assert',
      t: history.now(),
      requirement: 'FRAME-8',
      ok: false,
      expected: 'the server keeps running',
      actual: `the server process exited (code ${code}, signal ${signal})`,
    });
  });
  return { crashes: () => crashes, stop };
}

/** A login the server refused (AuthError), with who and when. */
export interface LoginRefusal {
  user: string;
  t: number;
  error: AuthError;
}

/** Wraps a bot's connect so a refused login is remembered with its user (the error names none). */
export function noteRefusals(bot: CaseBot, history: History, refusals: LoginRefusal[]): CaseBot {
  const connect = bot.connect.bind(bot);
  bot.connect = async (state) => {
    try {
      return await connect(state);
    } catch (error) {
      if (error instanceof AuthError) refusals.push({ user: bot.user, t: history.now(), error });
      throw error;
    }
  };
  return bot;
}

export interface TroubleInput {
  /** What stopped the case. */
  error: unknown;
  events: readonly HistoryEvent[];
  /** Exits of the target the kit did not ask for, during the case. */
  crashes: number;
  refusals: readonly LoginRefusal[];
  /** When provisioning finished (the accounts existed from then on), on the history clock. */
  provisionedAt: number | undefined;
}

/**
 * Pure: the findings the error stands for, or none (then the error stays and the case is ERROR).
 * Returns the assertions to append to the history.
 */
export function troubleFindings(input: TroubleInput): Omit<AssertEvent, 't'>[] {
  const message = messageOf(input.error);
  if (input.crashes > 0) {
    return [
      {
        kind: 'assert',
        requirement: 'FRAME-8',
        ok: false,
        expected: 'the case goes on with the server running',
        actual: `after the server exited, the case could not go on: ${firstLine(message)}`,
      },
    ];
  }
  if (!(input.error instanceof AuthError)) return [];
  const refusal = input.refusals.find((r) => r.error === input.error);
  if (!refusal) return [];
  const restart = input.events.find(
    (e) =>
      e.kind === 'target' &&
      (e.action === 'kill' || e.action === 'term' || e.action === 'restart') &&
      e.t <= refusal.t,
  );
  if (!restart) return [];
  const accepted = acceptedBefore(refusal.user, restart.t, input);
  if (accepted === undefined) return [];
  return [
    {
      kind: 'assert',
      requirement: 'DUR-1',
      ok: false,
      expected: `the account ${refusal.user}, which the server ${accepted} before it was stopped, still logs in after the restart`,
      actual: `login refused after the restart (the server lost the account): ${firstLine(message)}`,
      actor: refusal.user,
    },
  ];
}

/** How the server had accepted `user` before `t`, if it had. */
function acceptedBefore(user: string, t: number, input: TroubleInput): string | undefined {
  const loggedIn = input.events.some(
    (e) => e.kind === 'session' && e.t < t && e.actor.startsWith(`${user}/`),
  );
  if (loggedIn) return 'had logged in';
  if (input.provisionedAt !== undefined && input.provisionedAt < t) return 'had created';
  return undefined;
}

/** The first line of an error message: what a finding or a reason quotes of it. */
export function firstLine(text: string): string {
  return text.split('\n')[0]!;
}

/**
 * The index in `events` of the frame behind the error that stopped the case, or -1: the frame the
 * server sent that a driver refused (a ProtocolError over it), or the request of the kit's that got
 * no answer, in time (a TimeoutError naming it) or before its connection closed (a
 * ConnectionClosedError naming it). The checker is told to keep its finding about that frame
 * (CheckContext.pinned).
 */
export function stopFrame(error: unknown, events: readonly HistoryEvent[]): number {
  if (error instanceof ProtocolError) return error.frame?.dir === 'in' ? events.lastIndexOf(error.frame) : -1;
  if (
    (error instanceof TimeoutError || error instanceof ConnectionClosedError) &&
    error.request !== undefined
  ) {
    const request = error.request;
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.kind === 'frame' && e.dir === 'out' && e.fields === request) return i;
    }
  }
  return -1;
}

/** When the request behind a TimeoutError that stopped the case was sent, if it is in `events`. */
export function timedOutRequestAt(error: unknown, events: readonly HistoryEvent[]): number | undefined {
  if (!(error instanceof TimeoutError)) return undefined;
  const idx = stopFrame(error, events);
  return idx >= 0 ? events[idx]!.t : undefined;
}

/**
 * Whether the error that stopped the case is proven server misbehaviour: its frame (stopFrame) is
 * named in the evidence of a MUST finding of the checker — a refused answer that breaks the schema
 * (FRAME-4) or answers with another type (FRAME-7), a request the server left unanswered or closed
 * the connection on (RID-1). The checker is the one place that decides whether the server is to
 * blame (a proxy's `corrupt`, drop or cut, a crash, or a close the protocol allows excuses it), so
 * this only matches the two up.
 */
export function provenStop(
  error: unknown,
  events: readonly HistoryEvent[],
  findings: readonly Finding[],
): boolean {
  const idx = stopFrame(error, events);
  return idx >= 0 && findings.some((f) => f.level === 'MUST' && f.evidence.includes(idx));
}
