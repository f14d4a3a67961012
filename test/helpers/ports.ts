/** Ports for tests: see scripts/free-port.ts. */

export { freePort } from '../../scripts/free-port.js';
