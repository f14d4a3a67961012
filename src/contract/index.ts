/**
 * The driver contract suite: what `imspec driver-test` runs against a user's driver and server,
 * and what the repository's tests run against the built-in drivers. docs/drivers.md explains
 * each duty.
 */

export { CONTRACT_CASES, type ContractCase } from './cases.js';
export { ContractContext, type ContractTarget } from './context.js';
export { type DriverTestOptions, type DriverTestReport, runDriverTest } from './driver-test.js';
export { ContractViolation, DUTIES, type Duty } from './duties.js';
export { checkRecording } from './recording.js';
export {
  type ContractCaseResult,
  type ContractReport,
  type ContractRunOptions,
  DEFAULT_CONTRACT_WAIT_MS,
  learnClaims,
  runContractCase,
  runDriverContract,
} from './run.js';
