/**
 * `imspec load profile.yaml --emit k8s --shards N --target URL`: instead of running, print the
 * Kubernetes manifests that run the profile in N shards and merge them (src/load/k8s.ts).
 */

import { readFileSync } from 'node:fs';
import { UsageError } from '../../errors.js';
import { K8S_DEFAULTS, k8sManifests, mergeWaitMs, renderManifests } from '../../load/k8s.js';
import { loadProfileFile } from '../../load/profile/load-profile.js';
import { targetLabel } from '../../metrics/target.js';

export interface EmitCliOptions {
  emit: string;
  shards?: number;
  image?: string;
  target?: string;
  targetName?: string;
  seed?: number;
  driver: string;
  pushgateway?: string;
  storageClass?: string;
  namespace?: string;
}

export function emitManifests(profileFile: string, opts: EmitCliOptions): string {
  if (opts.emit !== 'k8s') throw new UsageError(`--emit knows only "k8s", got "${opts.emit}"`);
  if (opts.shards === undefined)
    throw new UsageError('--emit k8s needs --shards N: how many pods share the load');
  if (!opts.target)
    throw new UsageError(
      '--emit k8s needs --target URL: the server the pods load (reachable from the cluster)',
    );
  // The profile is checked here, so a typo shows at file:line:col and not in N pods' logs.
  const profile = loadProfileFile(profileFile);
  const options = {
    name: profile.name,
    profileText: readFileSync(profileFile, 'utf8'),
    shards: opts.shards,
    image: opts.image ?? K8S_DEFAULTS.image,
    target: opts.target,
    ...(opts.targetName ? { targetName: targetLabel(opts.target, opts.targetName) } : {}),
    seed: opts.seed ?? Math.floor(Math.random() * 2 ** 31),
    driver: opts.driver,
    waitMs: mergeWaitMs(profile),
    secretName: K8S_DEFAULTS.secretName,
    storage: K8S_DEFAULTS.storage,
    ...(opts.pushgateway ? { pushgateway: opts.pushgateway } : {}),
    ...(opts.storageClass ? { storageClass: opts.storageClass } : {}),
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  };
  return renderManifests(k8sManifests(options), options);
}
