/**
 * imspec's programmatic API. The CLI calls only what is exported here.
 */

export * from './capture/index.js';
export * from './certify/index.js';
export * from './contract/index.js';
export * from './drivers/index.js';
export * from './errors.js';
export * from './faults/index.js';
export * from './load/index.js';
export * from './metrics/index.js';
export * from './monitor/index.js';
export * from './protocol/index.js';
export * from './report/index.js';
export * from './scenarios/index.js';
export * from './server/index.js';
