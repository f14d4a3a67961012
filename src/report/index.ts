/**
 * Verdicts, expected failures, reporters (console, JSON, JUnit), wire-log excerpts and
 * requirement coverage. docs/reports.md describes the outputs.
 */

export * from './case-result.js';
export * from './console.js';
export * from './coverage.js';
export * from './expect-failures.js';
export * from './format.js';
export * from './junit.js';
export * from './reporters.js';
export * from './types.js';
export * from './verdict.js';
export * from './wire-log.js';
