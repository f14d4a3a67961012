/**
 * The option parsers several commands share (src/cli/option-values.ts): each bad value is a
 * UsageError naming its flag.
 */

import { describe, expect, it } from 'vitest';
import {
  countFromZero,
  metricsPortOption,
  parseDurationOption,
  parseSeed,
  positiveInt,
  seedParser,
} from '../../src/cli/option-values.js';
import { UsageError } from '../../src/errors.js';

describe('parseDurationOption', () => {
  it('reads every duration form, hours too', () => {
    expect(parseDurationOption('--wait', '2h')).toBe(7_200_000);
    expect(parseDurationOption('--timeout', '20s')).toBe(20_000);
    expect(parseDurationOption('--timeout', '1500')).toBe(1500);
  });

  it('refuses more than a Node timer can wait, 0 unless allowed, and other forms, naming the flag', () => {
    expect(() => parseDurationOption('--budget', '597h')).toThrow(
      /--budget: 597h is longer than imspec can wait/,
    );
    expect(() => parseDurationOption('--budget', '0')).toThrow(/--budget must be longer than 0/);
    expect(() => parseDurationOption('--wait', '2 days')).toThrow(/--wait: "2 days" is not a duration/);
    expect(() => parseDurationOption('--wait', '2d')).toThrow(UsageError);
    expect(parseDurationOption('--metrics-linger', '0s', true)).toBe(0);
    expect(parseDurationOption('--wait', '0h', true)).toBe(0);
  });
});

describe('seeds and counts', () => {
  it('takes decimal seeds only', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('4294967295')).toBe(4_294_967_295);
    for (const bad of ['0x10', '1e3', '-1', '1.0', '', ' 7', '4294967296']) {
      expect(() => parseSeed(bad), bad).toThrow(/--seed must be a decimal integer from 0 to 4294967295/);
    }
    expect(() => seedParser('--case-seed')('0x10')).toThrow(/--case-seed must be/);
  });

  it('names the flag of a count that is not positive', () => {
    expect(positiveInt('--repeat')('3')).toBe(3);
    for (const bad of ['0', '-2', '1.5', 'x', '1e2']) {
      expect(() => positiveInt('--repeat')(bad), bad).toThrow(/--repeat must be a positive integer/);
    }
  });

  it('takes 0 where a count says what 0 means, and decimal digits only', () => {
    const workers = countFromZero('--workers', 'runs the bots in this process');
    expect(workers('0')).toBe(0);
    expect(workers('4')).toBe(4);
    for (const bad of ['-1', '1.5', '0x10', '1e2', '']) {
      expect(() => workers(bad), bad).toThrow(
        `--workers must be a whole number, 0 or more (0 runs the bots in this process), got "${bad}"`,
      );
    }
  });

  it('takes a metrics port from 0 to 65535 in decimal', () => {
    expect(metricsPortOption('0')).toBe(0);
    expect(metricsPortOption('65535')).toBe(65_535);
    for (const bad of ['65536', '0x10', '-1', '9464.0']) {
      expect(() => metricsPortOption(bad), bad).toThrow(/--metrics-port must be a port from 0 to 65535/);
    }
  });
});
