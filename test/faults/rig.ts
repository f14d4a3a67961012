/** Test rig: a real upstream, the proxy in front of it, clients; everything torn down after each test. */

import { afterEach } from 'vitest';
import { createRng } from '../../src/faults/random.js';
import { resolveFaultRules } from '../../src/faults/resolve.js';
import type { FaultRecord } from '../../src/faults/types.js';
import { startWsProxy, type WsProxy, type WsProxyOptions } from '../../src/faults/ws-proxy.js';
import { type Client, connect, startUpstream, type Upstream } from './peers.js';

export interface Rig {
  upstream: Upstream;
  proxy: WsProxy;
  faults: FaultRecord[];
  /** Resolves once the proxy has recorded n fault events. */
  faultCount(n: number, ms?: number): Promise<void>;
  client(user?: string, device?: string): Promise<Client>;
}

export function useRig(): (
  rules: unknown[],
  options?: Partial<WsProxyOptions> & { seed?: string },
) => Promise<Rig> {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return async (rawRules, options = {}) => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const faults: FaultRecord[] = [];
    const waiters: { n: number; resolve: () => void }[] = [];
    const proxy = await startWsProxy({
      upstream: upstream.url,
      rules: resolveFaultRules(rawRules),
      rng: createRng(options.seed ?? 'test'),
      ...options,
      onFault: (e) => {
        faults.push(e);
        for (const w of waiters.filter((w) => faults.length >= w.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      },
    });
    cleanups.push(() => proxy.close());
    return {
      upstream,
      proxy,
      faults,
      faultCount: (n, ms = 5000) =>
        faults.length >= n
          ? Promise.resolve()
          : new Promise<void>((resolve, reject) => {
              const timer = setTimeout(
                () => reject(new Error(`timed out waiting for ${n} fault events, have ${faults.length}`)),
                ms,
              );
              waiters.push({
                n,
                resolve: () => {
                  clearTimeout(timer);
                  resolve();
                },
              });
            }),
      async client(user, device = 'phone') {
        const c = await connect(proxy.url);
        cleanups.push(() => c.ws.terminate());
        if (user) c.hello(user, device);
        return c;
      },
    };
  };
}
