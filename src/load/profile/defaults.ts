/**
 * Every default of a load profile, in one place (schemas/load.schema.json's `default`
 * annotations and docs/load.md repeat them for authors; test/load/profile.test.ts keeps them in
 * step). Client options are not here: a profile's `client:` takes the scenarios' own defaults
 * (src/scenarios/defaults.ts), so a load bot behaves as a case bot that was told nothing.
 */

export const LOAD_DEFAULTS = Object.freeze({
  pairing: 'pairs',
  fanout: 4,
  groupSize: 10,
  devices: 1,
  connectRate: 2000,
  messageSize: 32,
  window: 64,
  drainMs: 10_000,
  processRestart: true,
  processAfterMs: 0,
  abortOnFail: false,
} as const);
