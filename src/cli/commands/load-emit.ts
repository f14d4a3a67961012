/**
 * `imspec load profile.yaml --emit k8s --shards N --target URL`: instead of running, print the
 * Kubernetes manifests that run the profile in N shards and merge them (src/load/k8s.ts).
 *
 * Which flags go where is decided here, once: the manifest flags need --emit; with --emit, the run
 * flags that apply in a pod are checked by the run's own rules and passed to every pod, and those
 * that cannot apply are refused with the reason — never silently dropped.
 */

import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { K8S_DEFAULTS, k8sManifests, mergeWaitMs, renderManifests } from '../../load/k8s.js';
import { resolveLoadOptions } from '../../load/options.js';
import { loadProfileFile } from '../../load/profile/load-profile.js';
import { requireProcessControl } from '../../load/run-checks.js';
import { withDuration } from '../../load/run-load.js';
import { targetLabel } from '../../metrics/target.js';
import { checkTargetUrl } from '../../preflight/index.js';

export interface EmitCliOptions {
  emit: string;
  shards?: number;
  image?: string;
  target?: string;
  targetName?: string;
  seed?: number;
  driver: string;
  durationMs?: number;
  workers?: number;
  quiet?: boolean;
  pushgateway?: string;
  storageClass?: string;
  namespace?: string;
}

/** Flags that shape the manifests: without --emit they would be silently ignored. */
const EMIT_ONLY: Record<string, string> = {
  shards: '--shards',
  image: '--image',
  storageClass: '--storage-class',
  namespace: '--namespace',
};

/** Run flags a pod of --emit k8s cannot take, and why. */
const NOT_IN_PODS: Record<string, [flag: string, why: string]> = {
  shard: ['--shard', 'the Indexed Job gives each pod its shard (--shard auto/N): choose N with --shards'],
  out: ['--out', 'each pod writes /results/shard-<i>.json and the merge Job /results/merged/load.json'],
  report: ['--report', 'the merge Job writes the reports (/results/merged/load.json and load.xml)'],
  serverFault: ['--server-fault', 'the pods load --target: no embedded server runs in them'],
  serverArg: ['--server-arg', 'the pods load --target: no embedded server runs in them'],
  servers: ['--servers', 'the pods load --target: no embedded server runs in them'],
  targetCmd: [
    '--target-cmd',
    'the pods cannot start the target: run it in the cluster (deploy/k8s/reference-server.yaml)',
  ],
  hmacSecret: [
    '--hmac-secret',
    `a secret does not belong in a manifest: the pods read it from the Secret ${K8S_DEFAULTS.secretName} (kubectl create secret generic ${K8S_DEFAULTS.secretName} --from-literal=secret=…)`,
  ],
  metricsPort: ['--metrics-port', 'each pod serves /metrics on port 9464 for scraping'],
  metricsHost: ['--metrics-host', 'each pod serves /metrics on port 9464 for scraping'],
  sourceAddress: ['--source-address', 'a pod has the network addresses its cluster gives it'],
};

/**
 * Refuses a flag given where it cannot apply: a manifest flag without --emit, or a run flag with
 * --emit that the pods cannot take. `given(key)` says whether the command line set the option.
 */
export function checkEmitFlags(emit: boolean, given: (key: string) => boolean): void {
  if (!emit) {
    const flag = Object.entries(EMIT_ONLY).find(([key]) => given(key))?.[1];
    if (flag)
      throw new UsageError(
        `${flag} shapes the manifests of --emit k8s and does nothing in a run; add --emit k8s, or drop ${flag}`,
      );
    return;
  }
  const refused = Object.entries(NOT_IN_PODS).find(([key]) => given(key))?.[1];
  if (refused) throw new UsageError(`--emit k8s does not take ${refused[0]}: ${refused[1]}`);
}

export function emitManifests(profileFile: string, opts: EmitCliOptions): string {
  if (opts.emit !== 'k8s') throw new UsageError(`--emit knows only "k8s", got "${opts.emit}"`);
  if (opts.shards === undefined)
    throw new UsageError('--emit k8s needs --shards N: how many pods share the load');
  if (!opts.target)
    throw new UsageError(
      '--emit k8s needs --target URL: the server the pods load (reachable from the cluster)',
    );
  checkTargetUrl(opts.target, opts.driver);
  // The run flags the pods take are checked by the run's own rules, here, not in N pods' logs.
  resolveLoadOptions({
    profile: profileFile,
    target: opts.target,
    driver: opts.driver,
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
  });
  // The profile is checked here, so a typo shows at file:line:col and not in N pods' logs.
  const written = loadProfileFile(profileFile);
  requireProcessControl(written, { target: opts.target, emit: true });
  const profile = withDuration(written, opts.durationMs);
  const options = {
    name: profile.name,
    profileText: readFileSync(profileFile, 'utf8'),
    shards: opts.shards,
    image: opts.image ?? K8S_DEFAULTS.image,
    target: opts.target,
    ...(opts.targetName ? { targetName: targetLabel(opts.target, opts.targetName) } : {}),
    seed: opts.seed ?? Math.floor(Math.random() * 2 ** 31),
    driver: opts.driver,
    ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}),
    ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
    ...(opts.quiet ? { quiet: true } : {}),
    // The merge waits for the run the pods make: the effective duration, not the profile's.
    waitMs: mergeWaitMs(profile),
    secretName: K8S_DEFAULTS.secretName,
    storage: K8S_DEFAULTS.storage,
    ...(opts.pushgateway ? { pushgateway: opts.pushgateway } : {}),
    ...(opts.storageClass ? { storageClass: opts.storageClass } : {}),
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  };
  return renderManifests(k8sManifests(options), options);
}
