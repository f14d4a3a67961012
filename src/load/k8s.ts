/**
 * Kubernetes manifests for a sharded load run (`imspec load profile.yaml --emit k8s --shards N`),
 * pure: options in, API objects out. Kubernetes is the distributed engine — imspec adds no
 * coordinator of its own:
 *
 * - a ConfigMap holds the profile, so every pod runs the same text (merge checks its hash);
 * - an Indexed Job (`completionMode: Indexed`) runs N pods at once; each reads its index from
 *   JOB_COMPLETION_INDEX (`--shard auto/N`) and writes `/results/shard-<i>.json`. A pod that dies
 *   is not retried (`backoffLimitPerIndex: 0`): a late re-run would offer its share at another
 *   time than the others, so the merge says which index is missing instead;
 * - a PersistentVolumeClaim (ReadWriteMany) is the results volume the shards and the merge share;
 * - a merge Job waits for the N files (`imspec merge --wait`), writes the JSON and JUnit, and
 *   fails when a threshold fails or a shard is missing.
 */

import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import { formatDuration } from '../scenarios/duration.js';

export interface K8sOptions {
  /** Profile name (the objects are named after it). */
  name: string;
  /** The profile file's text, as it is (its hash must match across shards). */
  profileText: string;
  shards: number;
  /** Container image with imspec (the repository's root Dockerfile). @default 'imspec:latest' */
  image: string;
  /** The server to load (reachable from the pods). */
  target: string;
  /** The `target` label of the shards' metrics (--target-name). @default host:port of `target` */
  targetName?: string;
  seed: number;
  driver: string;
  /** `--duration` for every pod (ms); absent: the profile's. */
  durationMs?: number;
  /** `--workers` for every pod; absent: the pods choose (one per 16,000 connections). */
  workers?: number;
  /** `--quiet` for every pod: no progress lines in the pods' logs. */
  quiet?: boolean;
  /** How long the merge waits for every shard file (ms). */
  waitMs: number;
  /** Pushgateway the shards push their final metrics to, labelled by shard. */
  pushgateway?: string;
  /** Secret holding the HMAC secret under key `secret` (optional in the pods). @default 'imspec-hmac' */
  secretName: string;
  /** Size of the results volume. @default '1Gi' */
  storage: string;
  /** Storage class of the results volume (ReadWriteMany). @default the cluster's default */
  storageClass?: string;
  namespace?: string;
}

export const K8S_DEFAULTS = {
  image: 'imspec:latest',
  secretName: 'imspec-hmac',
  storage: '1Gi',
} as const;

/** Room for the pods to be scheduled, pull the image and connect, beyond the schedule and drain. */
const START_SLACK_MS = 10 * 60_000;

/** How long the merge Job waits for every shard's file: twice the run, plus room to start. */
export function mergeWaitMs(profile: { durationMs: number; drainMs: number }): number {
  return 2 * (profile.durationMs + profile.drainMs) + START_SLACK_MS;
}

/** Port each shard serves /metrics on (Prometheus scrapes pods by annotation). */
export const SHARD_METRICS_PORT = 9464;

type Manifest = Record<string, unknown> & { apiVersion: string; kind: string };

/** Kubernetes names: lower-case DNS labels. */
export function k8sName(name: string): string {
  const n = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `imspec-${n || 'load'}`;
}

export function k8sManifests(o: K8sOptions): Manifest[] {
  if (!(Number.isInteger(o.shards) && o.shards >= 1))
    throw new UsageError(`--shards must be a positive integer, got ${o.shards}`);
  const base = k8sName(o.name);
  const labels = { 'app.kubernetes.io/name': 'imspec', 'app.kubernetes.io/instance': base };
  const meta = (suffix: string, component: string) => ({
    name: `${base}-${suffix}`,
    ...(o.namespace ? { namespace: o.namespace } : {}),
    labels: { ...labels, 'app.kubernetes.io/component': component },
  });
  const volumes = [
    { name: 'profile', configMap: { name: `${base}-profile` } },
    { name: 'results', persistentVolumeClaim: { claimName: `${base}-results` } },
  ];
  const mounts = [
    { name: 'profile', mountPath: '/etc/imspec', readOnly: true },
    { name: 'results', mountPath: '/results' },
  ];
  const secretEnv = {
    name: 'IMSPEC_HMAC_SECRET',
    valueFrom: { secretKeyRef: { name: o.secretName, key: 'secret', optional: true } },
  };
  const shardArgs = [
    'load',
    '/etc/imspec/profile.yaml',
    '--shard',
    `auto/${o.shards}`,
    '--seed',
    String(o.seed),
    '--target',
    o.target,
    ...(o.targetName ? ['--target-name', o.targetName] : []),
    '--driver',
    o.driver,
    ...(o.durationMs !== undefined ? ['--duration', formatDuration(o.durationMs)] : []),
    ...(o.workers !== undefined ? ['--workers', String(o.workers)] : []),
    ...(o.quiet ? ['--quiet'] : []),
    // Kubernetes expands $(VAR) from the container's env: each pod writes its own file.
    '--out',
    '/results/shard-$(JOB_COMPLETION_INDEX).json',
    '--metrics-port',
    String(SHARD_METRICS_PORT),
    '--metrics-host',
    '0.0.0.0',
    ...(o.pushgateway ? ['--pushgateway', o.pushgateway] : []),
  ];
  const shardJob: Manifest = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('shards', 'shard'),
    spec: {
      completionMode: 'Indexed',
      completions: o.shards,
      parallelism: o.shards,
      backoffLimitPerIndex: 0,
      template: {
        metadata: {
          labels: { ...labels, 'app.kubernetes.io/component': 'shard' },
          annotations: {
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(SHARD_METRICS_PORT),
          },
        },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'shard',
              image: o.image,
              args: shardArgs,
              env: [
                // The Job controller sets it too; declaring it makes $(JOB_COMPLETION_INDEX) in
                // args expand on every version that runs Indexed Jobs.
                {
                  name: 'JOB_COMPLETION_INDEX',
                  valueFrom: {
                    fieldRef: {
                      fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    },
                  },
                },
                secretEnv,
              ],
              ports: [{ name: 'metrics', containerPort: SHARD_METRICS_PORT }],
              volumeMounts: mounts,
              resources: { requests: { cpu: '1', memory: '1Gi' } },
            },
          ],
          volumes,
        },
      },
    },
  };
  const mergeJob: Manifest = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('merge', 'merge'),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { ...labels, 'app.kubernetes.io/component': 'merge' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'merge',
              image: o.image,
              args: [
                'merge',
                '/results',
                '--shards',
                String(o.shards),
                '--wait',
                `${Math.ceil(o.waitMs / 1000)}s`,
                '--report',
                'console',
                '--report',
                'junit=/results/merged/load.xml',
                '--out',
                '/results/merged/load.json',
              ],
              volumeMounts: mounts,
              resources: { requests: { cpu: '100m', memory: '256Mi' } },
            },
          ],
          volumes,
        },
      },
    },
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('profile', 'profile'),
      data: { 'profile.yaml': o.profileText },
    },
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta('results', 'results'),
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: o.storage } },
        ...(o.storageClass ? { storageClassName: o.storageClass } : {}),
      },
    },
    shardJob,
    mergeJob,
  ];
}

/** Multi-document YAML for `kubectl apply -f -`, with a header that says how to use it. */
export function renderManifests(manifests: readonly Manifest[], o: K8sOptions): string {
  const base = k8sName(o.name);
  const header = [
    `# imspec load: ${o.name} in ${o.shards} shards against ${o.target} (seed ${o.seed}).`,
    '# Generated by: imspec load <profile> --emit k8s (docs/load.md, "Running on Kubernetes").',
    '#',
    `#   kubectl create secret generic ${o.secretName} --from-literal=secret=<the target's HMAC secret>`,
    '#   kubectl apply -f this-file.yaml',
    `#   kubectl wait --for=condition=complete job/${base}-merge --timeout=${Math.ceil(o.waitMs / 60_000) + 5}m`,
    `#   kubectl logs job/${base}-merge          # the merged summary; the Job fails when a threshold does`,
    '',
  ].join('\n');
  return header + manifests.map((m) => `---\n${stringify(m, { lineWidth: 0 })}`).join('');
}
