/** Fast, once-only checks of a target before a command uses it (docs/robustness.md). */
export {
  checkDriverTarget,
  checkReachable,
  checkTargetUrl,
  diagnoseLogin,
  PREFLIGHT_TIMEOUT_MS,
  type PreflightOptions,
  preflightTarget,
  tcpReach,
} from './preflight.js';
