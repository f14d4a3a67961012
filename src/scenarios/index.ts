/**
 * Scenarios: YAML under suites/ → schema-checked (schemas/scenario.schema.json) → frozen
 * resolved `Scenario` (types.ts). docs/scenarios.md is the author's guide.
 */

export * from './defaults.js';
export { formatDuration, parseDuration } from './duration.js';
export {
  checkScenarioFile,
  checkScenarioText,
  checkSuites,
  formatIssue,
  loadScenarioFile,
  loadScenarioText,
  loadSuite,
  loadSuites,
  type ScenarioCheck,
  type ScenarioIssue,
  scenarioError,
  scenarioFiles,
  suiteNameOf,
} from './loader.js';
export { renderRaw } from './resolve.js';
export type * from './types.js';
