/**
 * `imspec explore`: generated workloads, checked by the full checker, shrunk, replayable.
 * Imports scenarios, runner, checker and report; nothing but the CLI imports it.
 */

export { EXPLORE_DEFAULTS, type ExploreConfig, loadExploreConfig, parseExploreConfig } from './config.js';
export {
  type ExploreFinding,
  type ExploreInput,
  type ExploreResult,
  explore,
  replayCommand,
} from './explore.js';
export { type GeneratedCase, generateCase } from './generate.js';
export type { Operation, TargetAbilities } from './operations.js';
export { renderCase } from './render.js';
export { shrinkOperations, smallerVariants } from './shrink.js';
