/**
 * A load worker's drivers: one per (target, source address), or one behind a fault proxy per
 * target when the profile has fault rules. Bots are spread over them by group and index.
 */

import type { Driver } from '../../drivers/driver.js';
import { loadDriver } from '../../drivers/index.js';
import { type CaseFaults, startCaseFaults } from '../../runner/faults-setup.js';
import { mix } from '../population.js';
import { shareFaults } from '../shard.js';
import type { LoadHistory } from './load-history.js';
import type { WorkerPlan } from './messages.js';

/**
 * Opens the worker's drivers and returns which one bot `bot` of group `group` uses. The fault
 * proxies started are pushed to `faults`, for the caller to count their injections and close them.
 */
export async function openDrivers(
  plan: WorkerPlan,
  history: LoadHistory,
  faults: CaseFaults[],
): Promise<(group: number, bot: number) => Driver> {
  // Built-in names, driver files and packages alike (the driver API's one loader).
  const loaded = await loadDriver(plan.driver);
  const byTarget: Driver[][] = [];
  for (const [t, target] of plan.targets.entries()) {
    if (plan.profile.faults.length > 0) {
      const proxied = await startCaseFaults({
        // Counted rules (nth, times) are shared out over every worker of every shard, so the
        // whole run injects what one process would (shard.ts).
        rules: shareFaults(plan.profile.faults, plan.slice),
        driver: loaded,
        target,
        seed: mix(plan.seed, plan.slice.index * 131 + t),
        history,
      });
      faults.push(proxied!);
      byTarget.push([proxied!.driver]);
      continue;
    }
    const addresses = plan.sourceAddresses.length > 0 ? plan.sourceAddresses : [undefined];
    byTarget.push(
      addresses.map((localAddress) =>
        loaded.create(localAddress === undefined ? { target } : { target, localAddress }),
      ),
    );
  }
  return (group, bot) => {
    const list = byTarget[group % byTarget.length]!;
    return list[bot % list.length]!;
  };
}
