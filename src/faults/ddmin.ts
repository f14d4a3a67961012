/**
 * Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input",
 * 2002): given the fault events of a failing run and a way to re-run the case with only some of
 * them injected, find a 1-minimal subset that still fails — removing any single event from it
 * makes the case pass. Pure apart from the predicate, which the runner supplies (it replays the
 * case with `replayRules(subset)`).
 */

export interface MinimizeOptions {
  /**
   * Stop after this many runs of the predicate and return the smallest failing subset found so
   * far. Each run is a whole case run. @default 200
   */
  maxRuns?: number;
}

export interface MinimizeResult<T> {
  /** The smallest failing subset found, in the original order. Empty when the case fails with no faults at all. */
  events: T[];
  /** How many times the predicate ran (cached subsets are not re-run). */
  runs: number;
  /** True when `maxRuns` stopped the search before it reached a 1-minimal subset. */
  exhausted: boolean;
}

/**
 * Finds a small subset of `events` for which `stillFails` holds. Events that are consequences of
 * others (fault records with a `cause`, such as frames a stall swallowed) are left out first: the
 * replay of their cause reproduces them.
 */
export async function minimize<T>(
  events: readonly T[],
  stillFails: (subset: readonly T[]) => boolean | Promise<boolean>,
  options: MinimizeOptions = {},
): Promise<MinimizeResult<T>> {
  const items = events.filter((e) => !isConsequence(e));
  const maxRuns = options.maxRuns ?? 200;
  const cache = new Map<string, boolean>();
  let runs = 0;
  let exhausted = false;
  const fails = async (idx: readonly number[]): Promise<boolean> => {
    const key = idx.join(',');
    const known = cache.get(key);
    if (known !== undefined) return known;
    if (runs >= maxRuns) {
      exhausted = true;
      return false;
    }
    runs++;
    const result = await stillFails(idx.map((i) => items[i]!));
    cache.set(key, result);
    return result;
  };

  let current = items.map((_, i) => i);
  // The whole set is assumed to fail (it is the recorded failing run); the empty set is worth one
  // run because "fails without any fault" is the most useful answer of all.
  cache.set(current.join(','), true);
  if (current.length > 0 && (await fails([]))) current = [];

  let n = 2;
  while (current.length >= 2 && !exhausted) {
    const parts = split(current, n);
    let reduced = false;
    for (const part of parts) {
      if (await fails(part)) {
        current = part;
        n = 2;
        reduced = true;
        break;
      }
    }
    // With two parts each complement is the other part, already tried.
    if (!reduced && n > 2) {
      for (const part of parts) {
        const inPart = new Set(part);
        const complement = current.filter((i) => !inPart.has(i));
        if (await fails(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, n * 2);
    }
  }
  return { events: current.map((i) => items[i]!), runs, exhausted };
}

/** Splits `list` into `n` contiguous parts of near-equal size (none empty when n ≤ length). */
function split(list: readonly number[], n: number): number[][] {
  const parts: number[][] = [];
  let start = 0;
  for (let k = 0; k < n; k++) {
    const end = start + Math.floor((list.length - start) / (n - k));
    parts.push(list.slice(start, end));
    start = end;
  }
  return parts.filter((p) => p.length > 0);
}

function isConsequence(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { cause?: unknown }).cause !== undefined;
}
