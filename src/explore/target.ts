/**
 * What the target can do, learnt once before generating (STYLE: respect capabilities): the caps
 * and limits its hello:A claims, through one throwaway login, and whether explore may kill -9 it
 * (only a server explore starts itself: the embedded one, or --target-cmd).
 */

import { randomBytes } from 'node:crypto';
import type { LoadedDriver } from '../drivers/load.js';
import { ConfigError } from '../errors.js';
import { checkDriverTarget } from '../preflight/index.js';
import { hmacToken } from '../protocol/auth.js';
import { startEmbedded } from '../runner/embedded.js';
import { probeCaps } from '../runner/probe-caps.js';
import { ExternalTarget, ProcessTarget, StartAbortedError, type Target } from '../runner/target.js';
import type { TargetAbilities } from './operations.js';

export interface LearnTargetInput {
  target?: string;
  targetCmd?: string;
  serverFaults?: string[];
  hmacSecret?: string;
  driver: LoadedDriver;
  /** Ctrl-C: ends a start still waiting for the server (StartAbortedError). */
  signal?: AbortSignal;
}

export async function learnTarget(input: LearnTargetInput): Promise<TargetAbilities> {
  const secret = input.hmacSecret ?? process.env['IMSPEC_HMAC_SECRET'] ?? randomBytes(16).toString('hex');
  checkDriverTarget(input.target, input.driver.name);
  const interruptible = input.signal ? { signal: input.signal } : {};
  let target: Target;
  try {
    target =
      input.target === undefined
        ? await startEmbedded({ secret, faults: input.serverFaults ?? [], ...interruptible })
        : input.targetCmd === undefined
          ? new ExternalTarget(input.target)
          : await ProcessTarget.start({
              command: input.targetCmd,
              args: [],
              shell: true,
              url: { fixed: input.target },
              ...interruptible,
            });
  } catch (error) {
    if (error instanceof StartAbortedError) throw error;
    throw new ConfigError(`the target did not start: ${(error as Error).message}`, { cause: error });
  }
  try {
    const driver = input.driver.create({ target: target.url });
    const claims = await probeCaps(
      driver,
      target.url,
      (user) => hmacToken(secret, user),
      `explore-${randomBytes(3).toString('hex')}-`,
    );
    const abilities: TargetAbilities = {
      caps: [...claims.caps],
      canKill: input.target === undefined || input.targetCmd !== undefined,
      frameFaults: input.driver.codec !== undefined,
      rawFrames: driver.openRaw !== undefined,
    };
    if (claims.limits?.maxBodyBytes !== undefined) abilities.maxBodyBytes = claims.limits.maxBodyBytes;
    if (claims.limits?.helloTimeoutMs !== undefined) abilities.helloTimeoutMs = claims.limits.helloTimeoutMs;
    if (claims.limits?.syncLimitMax !== undefined) abilities.syncLimitMax = claims.limits.syncLimitMax;
    return abilities;
  } catch (error) {
    throw new ConfigError(
      `cannot learn what ${target.url} claims (one login as a probe user failed): ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await target.stop();
  }
}
