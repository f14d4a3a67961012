import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import faultSchema from '../../schemas/faults.schema.json' with { type: 'json' };
import { resolveFaultRules } from '../../src/faults/resolve.js';

// The scenario schema will $ref this file, compiled by an Ajv that may not enable extra keywords:
// compile it strictly, with no options beyond the defaults.
const validate = new Ajv2020({ strict: true }).compile(faultSchema);

const valid: unknown[] = [
  { action: 'drop' },
  { id: 'lose-msg-a', match: { op: 'msg', kind: 'A' }, nth: 1, action: 'drop' },
  { match: { direction: 'to-client' }, probability: 0.05, action: 'drop', from: 2, until: 5 },
  {
    match: { op: ['msg', 'ack'], kind: ['R'], user: ['bob', 'alice/phone'], undecodable: false },
    every: 3,
    times: 2,
    action: 'duplicate',
  },
  { action: { type: 'duplicate', copies: 3 } },
  { action: { type: 'delay', by: '2s', jitter: 50 } },
  { action: { type: 'reorder', after: 2, maxHold: '500ms' } },
  { action: { type: 'corrupt', mode: 'schema', field: 'smid' } },
  { action: { type: 'cut', mode: 'reset', forward: false } },
  { action: { type: 'cut', code: 4000 } },
  { action: { type: 'stall', for: '3s' } },
  { action: 'stall', from: '1s', until: '3s', description: 'half-open' },
  { match: { direction: 'to-server' }, action: { type: 'latency', by: 20, jitter: '5ms' } },
  { action: { type: 'bandwidth', bytesPerSecond: 5000 } },
  { nth: 2, action: { type: 'reset', afterBytes: 100 } },
  { action: { type: 'blackhole', for: '1m' } },
  { action: { type: 'slice', bytes: 3, gap: 2 } },
];

const invalid: unknown[] = [
  {},
  'drop',
  { action: 'dorp' },
  { action: 'delay' },
  { action: 'latency' },
  { action: { type: 'delay' } },
  { action: { type: 'delay', by: 'soon' } },
  { action: { type: 'delay', by: '1.5ms' } },
  { action: { type: 'drop', copies: 2 } },
  { action: { type: 'duplicate', copies: 0 } },
  { action: { type: 'cut', code: 999 } },
  { action: { type: 'corrupt', mode: 'xml' } },
  { action: { type: 'slice' } },
  { action: { type: 'bandwidth' } },
  { action: 'drop', nth: 0 },
  { action: 'drop', nth: 1, every: 2 },
  { action: 'drop', probability: 2 },
  { action: 'drop', from: -1 },
  { action: 'drop', from: '5 seconds' },
  { action: 'drop', colour: 'red' },
  { action: 'drop', match: { op: 'send' } },
  { action: 'drop', match: { kind: 'X' } },
  { action: 'drop', match: { direction: 'up' } },
  { action: 'drop', match: { user: 'a/b/c' } },
  { action: 'drop', match: { user: [] } },
  { action: 'drop', match: { seq: 1 } },
  { action: 'drop', id: '-bad' },
];

function resolves(raw: unknown): boolean {
  try {
    resolveFaultRules([raw]);
    return true;
  } catch {
    return false;
  }
}

describe('schemas/faults.schema.json and resolveFaultRules agree', () => {
  it.each(valid.map((v) => [JSON.stringify(v), v]))('both accept %s', (_name, raw) => {
    expect(validate(raw), JSON.stringify(validate.errors)).toBe(true);
    expect(resolves(raw)).toBe(true);
  });

  it.each(invalid.map((v) => [JSON.stringify(v), v]))('both refuse %s', (_name, raw) => {
    expect(validate(raw)).toBe(false);
    expect(resolves(raw)).toBe(false);
  });
});
