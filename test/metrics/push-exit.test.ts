/**
 * The exit code of a command that judged and then pushed its metrics (pushAfterVerdict): the
 * verdict wins, the push failure is said, and it decides the code only when the verdict passed.
 */

import { describe, expect, it } from 'vitest';
import { MetricsExportError } from '../../src/errors.js';
import { checkPushgatewayUrl, pushAfterVerdict } from '../../src/metrics/index.js';

const failing = () => Promise.reject(new MetricsExportError('pushgateway PUT x failed: refused'));
const working = () => Promise.resolve({ url: 'http://pgw/metrics/job/imspec' });

describe('pushAfterVerdict', () => {
  it('keeps a failing verdict (1) when the push fails, and says why', async () => {
    const said: string[] = [];
    expect(await pushAfterVerdict(1, failing, (l) => said.push(l))).toBe(1);
    expect(said).toEqual([
      "pushgateway PUT x failed: refused [IMSPEC_ERR_METRICS_EXPORT] (exit 1: the verdict's)",
    ]);
  });

  it('exits 2 for a failed push only when the verdict passed', async () => {
    const said: string[] = [];
    expect(await pushAfterVerdict(0, failing, (l) => said.push(l))).toBe(2);
    expect(said).toEqual(['pushgateway PUT x failed: refused [IMSPEC_ERR_METRICS_EXPORT]']);
  });

  it('says where it pushed and keeps the verdict when the push works', async () => {
    const said: string[] = [];
    expect(await pushAfterVerdict(1, working, (l) => said.push(l))).toBe(1);
    expect(said).toEqual(['metrics pushed to http://pgw/metrics/job/imspec']);
  });

  it('lets errors that are not a failed push through (a bug stays a bug)', async () => {
    await expect(
      pushAfterVerdict(
        0,
        () => Promise.reject(new TypeError('x')),
        () => {},
      ),
    ).rejects.toThrow(TypeError);
  });
});

describe('checkPushgatewayUrl', () => {
  it('takes http(s) URLs only', () => {
    expect(checkPushgatewayUrl('https://pgw:9091').host).toBe('pgw:9091');
    expect(() => checkPushgatewayUrl('notaurl')).toThrow(/is not a URL/);
    expect(() => checkPushgatewayUrl('ftp://pgw')).toThrow(/must be an http\(s\) URL/);
  });
});
