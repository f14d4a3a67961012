/**
 * Passive checks: recorded traffic (the capture format, schemas/capture.schema.json) judged by
 * the same checker as a run. docs/capture.md is the guide.
 */

export {
  assertCaptureFile,
  type CaptureCheck,
  type CheckCaptureOptions,
  checkCapture,
  NO_FRAMES,
} from './check.js';
export { captureHeader, captureLineOf } from './from-history.js';
export { CaptureConverter, type CaptureConverterOptions, type CaptureSummary } from './to-history.js';
export * from './types.js';
