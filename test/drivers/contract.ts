/**
 * The driver contract in vitest: one `it` per case of the shipped suite (src/contract/, the code
 * `imspec driver-test` runs), so every built-in driver is held to exactly what a user driver is.
 * Cases for a capability the target does not claim are skipped, and their names say which.
 *
 * @example
 * defineDriverContract('ran', ['dedup', 'paged-sync', …], async () => {
 *   const server = await startServer({ port: 0, hmacSecret: 's' });
 *   return { driver: createDriver('ran', { target: server.url }), tokens: {…}, teardown: () => server.close() };
 * });
 */

import { describe, it } from 'vitest';
import { CONTRACT_CASES, type ContractTarget, runContractCase } from '../../src/contract/index.js';
import type { Cap } from '../../src/protocol/frames.js';

export type { ContractTarget };

/**
 * Defines the contract suite for one driver. `claims` are the capabilities the target is
 * expected to offer through this driver (known up front so vitest can skip the cases that need
 * a missing one); the login case checks that the sessions really report them.
 */
export function defineDriverContract(
  name: string,
  claims: readonly Cap[],
  setup: () => Promise<ContractTarget>,
): void {
  describe(`driver contract: ${name}`, () => {
    for (const c of CONTRACT_CASES) {
      const title = `${c.title} [${c.needs ? `needs ${c.needs}; ` : ''}${c.duty}]`;
      it.skipIf(c.needs !== undefined && !claims.includes(c.needs))(title, () =>
        runContractCase(c, setup, claims),
      );
    }
  });
}
