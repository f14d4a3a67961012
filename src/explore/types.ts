/**
 * What `imspec explore` is given and what it returns (explore.ts runs it, finding.ts shrinks and
 * writes a finding).
 */

import type { LoadedDriver } from '../drivers/load.js';
import type { ExploreConfig } from './config.js';

export interface ExploreInput {
  /** Target URL; absent → the embedded reference server, fresh per case. */
  target?: string;
  /** Shell command that starts the target (lets explore kill -9 and restart it). */
  targetCmd?: string;
  /** @default 'ran' */
  driver?: string;
  loadedDriver?: LoadedDriver;
  /** Deliberate defects of the embedded server. @default [] */
  serverFaults?: string[];
  hmacSecret?: string;
  /** Stop starting new cases after this long, ms. */
  budgetMs: number;
  seed: number;
  config: Readonly<ExploreConfig>;
  /** Where the minimal failing scenario is written. */
  outDir: string;
  /**
   * Reporter specs (`html=PATH`, `json=PATH`, `junit=PATH`) for the last replay of the shrunk
   * scenario: the finding's report, with its frames. Nothing is written when nothing was found.
   */
  reports?: string[];
  /**
   * Replays of the shrunk scenario before it is written (a timing-dependent defect fails only
   * some). @default 2
   */
  confirmRuns?: number;
  /** One line per event worth telling (stderr in the CLI). */
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

export interface ExploreFinding {
  /** The generated case that failed first. */
  caseIndex: number;
  verdict: string;
  /** Requirement ids of the failure (of the shrunk case). */
  requirements: string[];
  /** The first finding of the shrunk case, in one line. */
  summary: string;
  /** The written scenario and how big it is. */
  file: string;
  steps: number;
  messages: number;
  operations: number;
  /** Operations of the case as generated. */
  generatedOperations: number;
  shrinkRuns: number;
  /** The shrink budget ran out first: small, not proved minimal. */
  shrinkExhausted: boolean;
  /**
   * Of CONFIRM_RUNS replays of the written scenario, how many failed the same way. Below all of
   * them the defect depends on timing: the file is a reproducer, not a certain one.
   */
  reproduced: number;
  confirmRuns: number;
  /** From the start of exploring to the end of the failing case's run, ms. */
  foundAfterMs: number;
  replay: string;
  /**
   * Set when the file is the case as found, not the shrunk one, and says why: the shrunk schedule
   * failed none of its replays (a cut kept because it failed by chance).
   */
  asFound?: string;
}

export interface ExploreResult {
  seed: number;
  cases: number;
  /** Cases per verdict (PASS, ERROR, INCONCLUSIVE, …), the failing one included. */
  verdicts: Record<string, number>;
  elapsedMs: number;
  finding?: ExploreFinding;
  /**
   * Scenarios of the cases the kit could not finish (ERROR, INCONCLUSIVE), kept under
   * `<outDir>/unfinished/` so a kit limit can be replayed and looked at, never silently dropped.
   */
  unfinished: string[];
}
