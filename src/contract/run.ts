/**
 * Running the driver contract: each case on a fresh target (or fresh users) with a fresh history,
 * the recording duties checked on that history afterwards, and the outcome classified — FAIL
 * names the broken duty, UNSUPPORTED the capability the target does not claim, ERROR what kept
 * the kit from running the case at all (the target could not be set up or reached).
 * `imspec driver-test` and the repository's own driver tests both run this code.
 */

import { TargetUnreachableError } from '../errors.js';
import { History } from '../history/events.js';
import type { Cap } from '../protocol/frames.js';
import { CONTRACT_CASES, type ContractCase } from './cases.js';
import { ContractContext, type ContractTarget } from './context.js';
import { ContractViolation, type Duty } from './duties.js';
import { checkRecording } from './recording.js';

/** How long a case waits for any one thing. @default 5000 */
export const DEFAULT_CONTRACT_WAIT_MS = 5000;

export interface ContractCaseResult {
  id: string;
  title: string;
  status: 'PASS' | 'FAIL' | 'UNSUPPORTED' | 'ERROR';
  /** FAIL: the duty broken. */
  duty?: Duty;
  /** UNSUPPORTED: the capability the target does not claim. */
  needs?: Cap;
  /** FAIL and ERROR: what happened. */
  message?: string;
  durationMs: number;
}

export interface ContractRunOptions {
  /** Sets up a target for one case (a fresh server, or fresh users on a shared one). */
  setup: () => Promise<ContractTarget>;
  /**
   * Capabilities the target is expected to offer through the driver. @default learned from the
   * first login (what its session claims)
   */
  claims?: readonly Cap[];
  /** Case ids to run. @default all */
  only?: readonly string[];
  /** @default 5000 */
  waitMs?: number;
  /** Called as each case ends. */
  onCase?: (result: ContractCaseResult) => void;
}

export interface ContractReport {
  claims: readonly Cap[];
  results: ContractCaseResult[];
  /** 0: every case passed or is unsupported; 1: a duty is broken; 2: a case could not run. */
  exitCode: 0 | 1 | 2;
}

/**
 * Runs one case and throws what broke (a ContractViolation naming the duty, or the error that
 * kept it from running). Test suites wrap each case in their own `it`.
 */
export async function runContractCase(
  c: ContractCase,
  setup: () => Promise<ContractTarget>,
  claims: readonly Cap[],
  waitMs = DEFAULT_CONTRACT_WAIT_MS,
): Promise<void> {
  const target = await setup();
  const history = new History();
  const ctx = new ContractContext(target, history, claims, waitMs);
  let failure: unknown;
  try {
    await withDeadline(c.run(ctx), waitMs * 4, c);
  } catch (error) {
    failure = error;
  }
  try {
    for (const s of ctx.open.splice(0)) {
      s.abort();
      await withDeadline(s.closed, waitMs, c, 'abort');
    }
    // Recording duties are judged on whole connections: every session above has ended.
    if (failure === undefined) checkRecording(history.events);
  } catch (error) {
    failure ??= error;
  } finally {
    await target.teardown();
  }
  if (failure !== undefined) throw failure;
}

/** Capabilities the target's session claims through the driver (one throwaway login). */
export async function learnClaims(
  setup: () => Promise<ContractTarget>,
  waitMs: number,
): Promise<readonly Cap[]> {
  const target = await setup();
  const ctx = new ContractContext(target, new History(), [], waitMs);
  try {
    const s = await ctx.login('alice');
    const caps = [...s.info.caps];
    await s.close();
    return caps;
  } finally {
    for (const s of ctx.open) s.abort();
    await target.teardown();
  }
}

/** Runs the contract and reports every case. Never throws for what a case found. */
export async function runDriverContract(options: ContractRunOptions): Promise<ContractReport> {
  const waitMs = options.waitMs ?? DEFAULT_CONTRACT_WAIT_MS;
  const claims = options.claims ?? (await learnClaims(options.setup, waitMs));
  const results: ContractCaseResult[] = [];
  for (const c of CONTRACT_CASES) {
    if (options.only?.length && !options.only.includes(c.id)) continue;
    const start = performance.now();
    const base = { id: c.id, title: c.title };
    let result: ContractCaseResult;
    if (c.needs && !claims.includes(c.needs)) {
      result = { ...base, status: 'UNSUPPORTED', needs: c.needs, durationMs: 0 };
    } else {
      try {
        await runContractCase(c, options.setup, claims, waitMs);
        result = { ...base, status: 'PASS', durationMs: performance.now() - start };
      } catch (error) {
        result = { ...base, ...classify(error, c), durationMs: performance.now() - start };
      }
    }
    results.push(result);
    options.onCase?.(result);
  }
  const failed = results.some((r) => r.status === 'FAIL');
  const errored = results.some((r) => r.status === 'ERROR');
  return { claims, results, exitCode: errored ? 2 : failed ? 1 : 0 };
}

function classify(error: unknown, c: ContractCase): Pick<ContractCaseResult, 'status' | 'duty' | 'message'> {
  if (error instanceof ContractViolation) return { status: 'FAIL', duty: error.duty, message: error.message };
  const e = error as Error;
  const text = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
  if (error instanceof TargetUnreachableError) return { status: 'ERROR', message: text };
  // Anything else a driver call threw is the driver failing the duty the case exercises.
  return { status: 'FAIL', duty: c.duty, message: `[${c.duty}] ${text}` };
}

function withDeadline<T>(promise: Promise<T>, ms: number, c: ContractCase, what = 'the case'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ContractViolation(
            c.duty,
            `${what} to finish within ${ms} ms`,
            'a promise of the driver never settled (a request with no deadline, or a closed that never resolves)',
          ),
        ),
      ms,
    );
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
