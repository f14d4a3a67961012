/**
 * The Kubernetes manifests of a sharded run validate against the Kubernetes API schemas
 * (kubernetes-models; no cluster runs here and Debian's kubectl predates Indexed Jobs), run the
 * pods with the command line the local simulation runs, and the shipped examples under
 * deploy/k8s/ are what the generator writes today.
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { type K8sOptions, k8sManifests, mergeWaitMs, renderManifests } from '../../src/load/k8s.js';
import { loadProfileText } from '../../src/load/profile/load-profile.js';
import { parseShard } from '../../src/load/shard.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/imspec.js');

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'batch/v1/Job': Job,
  'apps/v1/Deployment': Deployment,
};

/** Validates one object against its Kubernetes API schema; throws with the schema's complaint. */
function validate(object: Record<string, unknown>): void {
  const Model = MODELS[`${object['apiVersion']}/${object['kind']}`];
  if (!Model) throw new Error(`no schema for ${object['apiVersion']} ${object['kind']}`);
  new Model(object as never).validate();
}

const PROFILE_TEXT = readFileSync(join(ROOT, 'profiles/steady-5pct-loss.yaml'), 'utf8');

const options = (over: Partial<K8sOptions> = {}): K8sOptions => ({
  name: 'steady-5pct-loss',
  profileText: PROFILE_TEXT,
  shards: 4,
  image: 'imspec:0.1.0',
  target: 'ws://imspec-target:7400',
  seed: 7,
  driver: 'ran',
  waitMs: mergeWaitMs(loadProfileText(PROFILE_TEXT, 'profile.yaml')),
  secretName: 'imspec-hmac',
  storage: '1Gi',
  ...over,
});

// biome-ignore lint/suspicious/noExplicitAny: manifests are walked as plain JSON here
type Obj = Record<string, any>;

describe('Kubernetes manifests of a sharded run', () => {
  it('validate against the Kubernetes API schemas', () => {
    const all = [
      ...k8sManifests(options()),
      ...k8sManifests(options({ storageClass: 'nfs', namespace: 'load', pushgateway: 'http://pgw:9091' })),
    ];
    for (const m of all) validate(m);
    expect(all.map((m) => m.kind)).toEqual([
      'ConfigMap',
      'PersistentVolumeClaim',
      'Job',
      'Job',
      'ConfigMap',
      'PersistentVolumeClaim',
      'Job',
      'Job',
    ]);
  });

  it('are caught by the validation when wrong (the check can fail)', () => {
    const [, , shards] = k8sManifests(options()) as Obj[];
    expect(() => validate({ ...shards, spec: { ...shards!.spec, completionMode: 'Indexd' } })).toThrow(
      /completionMode/,
    );
    expect(() => validate({ ...shards, spec: { ...shards!.spec, parallelism: 'four' } })).toThrow(
      /parallelism/,
    );
  });

  it('run N pods of an Indexed Job, each its own shard, and a merge that waits for all N', () => {
    const [config, claim, shards, merge] = k8sManifests(options({ shards: 6 })) as Obj[];
    expect(loadProfileText(config!.data['profile.yaml'], 'profile.yaml').name).toBe('steady-5pct-loss');
    expect(claim!.spec.accessModes).toEqual(['ReadWriteMany']);
    expect(shards!.spec).toMatchObject({
      completionMode: 'Indexed',
      completions: 6,
      parallelism: 6,
      backoffLimitPerIndex: 0,
    });
    const pod = shards!.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const c = pod.containers[0];
    const arg = (flag: string) => c.args[c.args.indexOf(flag) + 1];
    // The pod's --shard reads the index the Job controller gives it, as the local simulation does.
    expect(parseShard(arg('--shard'), { JOB_COMPLETION_INDEX: '5' })).toEqual({ index: 5, count: 6 });
    expect(c.env[0]).toEqual({
      name: 'JOB_COMPLETION_INDEX',
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    });
    expect(arg('--out')).toBe('/results/shard-$(JOB_COMPLETION_INDEX).json');
    expect(arg('--seed')).toBe('7');
    expect(c.args[1]).toBe('/etc/imspec/profile.yaml');
    const m = merge!.spec.template.spec.containers[0];
    expect(m.args.slice(0, 4)).toEqual(['merge', '/results', '--shards', '6']);
    expect(m.args).toContain('--wait');
    expect(merge!.spec.backoffLimit).toBe(0);
  });

  it('ship as examples under deploy/k8s/ exactly as the generator writes them, valid', () => {
    const shipped = readFileSync(join(ROOT, 'deploy/k8s/steady-5pct-loss.yaml'), 'utf8');
    const o = options();
    expect(shipped).toBe(renderManifests(k8sManifests(o), o));
    for (const file of ['steady-5pct-loss.yaml', 'reference-server.yaml']) {
      const docs = parseAllDocuments(readFileSync(join(ROOT, 'deploy/k8s', file), 'utf8'));
      for (const d of docs) {
        expect(d.errors).toEqual([]);
        validate(d.toJS());
      }
    }
  });

  it('are printed by imspec load --emit k8s, which refuses to guess the target or N', async () => {
    const out = await exec(
      process.execPath,
      [
        BIN,
        'load',
        'profiles/steady-5pct-loss.yaml',
        '--emit',
        'k8s',
        '--shards',
        '4',
        '--target',
        'ws://imspec-target:7400',
        '--seed',
        '7',
        '--image',
        'imspec:0.1.0',
      ],
      { cwd: ROOT },
    );
    expect(out.stdout).toBe(readFileSync(join(ROOT, 'deploy/k8s/steady-5pct-loss.yaml'), 'utf8'));
    const refused = await exec(
      process.execPath,
      [BIN, 'load', 'profiles/steady.yaml', '--emit', 'k8s', '--target', 'ws://x:1'],
      {
        cwd: ROOT,
      },
    ).catch((e: { code: number; stderr: string }) => e);
    expect(refused).toMatchObject({ code: 2 });
    expect((refused as { stderr: string }).stderr).toMatch(/--emit k8s needs --shards N/);
  });
});
