/**
 * The `target` label: which server the numbers are about, on every series of a registry. One
 * value per run, load or monitor — bounded by construction — so a Prometheus that scrapes the
 * monitors of several deployments, or CI runs against several servers, keeps them apart and the
 * dashboards can pick one (`$target`).
 *
 * It is a registry-wide label (prom-client's default labels) rather than a label of each metric
 * definition: every series of a registry has the same target, the hot path does not carry it,
 * and the metric table stays about what is measured.
 */

import type { Registry } from 'prom-client';
import { UsageError } from '../errors.js';

export const TARGET_LABEL = 'target';

/** The value for a run against the embedded reference server (no --target). */
export const EMBEDDED_TARGET = 'embedded';

/** What a target name may hold: a host name, host:port, or a short name of the operator's. */
const NAME = /^[\w.:@/-]{1,100}$/;
export const TARGET_NAME_HINT =
  'use 1 to 100 letters, digits and . _ : @ / - (e.g. chat-eu-1 or chat.example.com:443)';

export const isTargetName = (name: string): boolean => NAME.test(name);

/**
 * The target label for a run: `name` when the operator gave one (--target-name), else the host
 * and port of the target URL (`ws://10.0.0.5:7400/ran` → `10.0.0.5:7400`; credentials, path and
 * query left out), else `embedded`. A target that is not a URL is used as it is, cut to 100
 * characters.
 */
export function targetLabel(target: string | undefined, name?: string): string {
  if (name !== undefined) {
    if (!isTargetName(name)) throw new UsageError(`--target-name "${name}": ${TARGET_NAME_HINT}`);
    return name;
  }
  if (target === undefined) return EMBEDDED_TARGET;
  try {
    const url = new URL(target);
    if (url.host !== '') return url.host;
  } catch {
    // not a URL: a user driver's own address form
  }
  return target.slice(0, 100);
}

/** Puts `target="<value>"` on every series `registry` exposes or pushes. */
export function labelTarget(registry: Registry, value: string): void {
  registry.setDefaultLabels({ [TARGET_LABEL]: value });
}
