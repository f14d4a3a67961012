export {
  loadMonitorConfig,
  MONITOR_DEFAULTS,
  type MonitorAccount,
  type MonitorConfig,
  resolveMonitorConfig,
} from './config.js';
export {
  type CycleResult,
  type DirectionResult,
  type MonitorOptions,
  type RunningMonitor,
  startMonitor,
} from './monitor.js';
export { RollingHistory } from './rolling-history.js';
