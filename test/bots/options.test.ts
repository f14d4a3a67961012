import { describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_OPTIONS, resolveClientOptions } from '../../src/bots/options.js';
import { ConfigError } from '../../src/errors.js';

describe('resolveClientOptions', () => {
  it('fills defaults and freezes', () => {
    const o = resolveClientOptions({ retransmitMs: 50 });
    expect(o).toEqual({ ...DEFAULT_CLIENT_OPTIONS, retransmitMs: 50 });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('refuses an unknown key, naming the known ones', () => {
    expect(() => resolveClientOptions({ retransmitMS: 5 } as never)).toThrow(ConfigError);
    expect(() => resolveClientOptions({ retransmitMS: 5 } as never)).toThrow(/retransmitMs/);
  });

  it('refuses negative numbers and a zero page size', () => {
    expect(() => resolveClientOptions({ ackDelayMs: -1 })).toThrow(/ackDelayMs/);
    expect(() => resolveClientOptions({ pageSize: 0 })).toThrow(/pageSize/);
  });
});
