/**
 * Loading drivers (`--driver`): built-in names, files and installed packages through one
 * loader, each module checked against the driver API once, with an IMSPEC_ERR_DRIVER that says
 * what to fix.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DRIVER_API_VERSION, loadDriver } from '../../src/drivers/index.js';
import { DriverError } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'imspec-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A driver module whose driver answers nothing (enough for loading). */
const body = (module: string) => `
const fake = { name: 'fake', caps: ['dedup'], async connect() { throw new Error('not here'); } };
${module}
`;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('loadDriver', () => {
  it('loads the built-in drivers by name, ran with its RAN/1 codec', async () => {
    const ran = await loadDriver('ran');
    expect([ran.name, ran.source, ran.codec?.name]).toEqual(['ran', 'builtin', 'ran']);
    expect((await loadDriver('mqtt')).codec).toBeUndefined();
    expect(ran.create({ target: 'ws://127.0.0.1:1' }).name).toBe('ran');
  });

  it('loads a driver file (default export or named `driver`) and builds checked drivers from it', async () => {
    const a = file(
      'a.mjs',
      body(`export default { apiVersion: ${DRIVER_API_VERSION}, name: 'fake', create: () => fake };`),
    );
    const b = file(
      'b.mjs',
      body(
        `export const driver = { apiVersion: ${DRIVER_API_VERSION}, name: 'fake-b', create: () => fake };`,
      ),
    );
    const loaded = await loadDriver(a);
    expect([loaded.name, loaded.source, loaded.location]).toEqual(['fake', 'file', a]);
    expect(loaded.create({ target: 'x://y' }).caps).toEqual(['dedup']);
    expect((await loadDriver(b)).name).toBe('fake-b');
    // Relative paths resolve from the working directory given.
    expect((await loadDriver('./a.mjs', { cwd: dir })).location).toBe(a);
  });

  it('loads an installed package by name, resolved from the working directory', async () => {
    const pkg = join(dir, 'node_modules', '@acme', 'imspec-driver');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      join(pkg, 'package.json'),
      JSON.stringify({ name: '@acme/imspec-driver', type: 'module', main: 'index.js' }),
    );
    writeFileSync(
      join(pkg, 'index.js'),
      body(`export default { apiVersion: ${DRIVER_API_VERSION}, name: 'acme', create: () => fake };`),
    );
    const loaded = await loadDriver('@acme/imspec-driver', { cwd: dir });
    expect([loaded.name, loaded.source]).toEqual(['acme', 'package']);
    await expect(loadDriver('@acme/missing', { cwd: dir })).rejects.toThrow(/npm install it/);
  });

  it.each([
    [
      'a version it does not implement',
      `export default { apiVersion: 2, name: 'x', create: () => fake };`,
      /apiVersion 2; this imspec implements driver API version 1: it needs a newer imspec/,
    ],
    [
      'no version at all',
      `export default { name: 'x', create: () => fake };`,
      /no apiVersion.*set apiVersion: 1/,
    ],
    [
      'no create',
      `export default { apiVersion: 1, name: 'x' };`,
      /create\(options, kit\) must be a function/,
    ],
    [
      'a bad name',
      `export default { apiVersion: 1, name: 'Has Spaces', create: () => fake };`,
      /name "Has Spaces" must be/,
    ],
    ['no driver module at all', `export const nothing = 1;`, /exports no driver module/],
    [
      'a tcp codec that cannot cut',
      `export default { apiVersion: 1, name: 'x', create: () => fake, codec: { name: 'c', transport: 'tcp', decode() {} } };`,
      /a tcp codec needs frameLength/,
    ],
  ])('refuses a module with %s', async (_what, module, message) => {
    const path = file(`bad-${Math.random().toString(36).slice(2)}.mjs`, body(module));
    const error = await loadDriver(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DriverError);
    expect((error as DriverError).code).toBe('IMSPEC_ERR_DRIVER');
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a driver that claims a capability imspec does not know, with a hint', async () => {
    const path = file(
      'caps.mjs',
      `export default { apiVersion: 1, name: 'x', create: () => ({ name: 'x', caps: ['dedupe'], connect() {} }) };`,
    );
    const loaded = await loadDriver(path);
    expect(() => loaded.create({ target: 't' })).toThrow(
      /unknown capability "dedupe" \(did you mean "dedup"\?\)/,
    );
  });

  it('says what was meant by an unknown name, a missing file, a module that throws', async () => {
    await expect(loadDriver('rna')).rejects.toThrow(
      /neither a built-in \(ran, mqtt, xmpp; did you mean "ran"\?\)/,
    );
    await expect(loadDriver('not a name')).rejects.toThrow(/unknown driver "not a name"/);
    await expect(loadDriver('./nope.js', { cwd: dir })).rejects.toThrow(/driver file \.\/nope\.js not found/);
    const throws = file('throws.mjs', `throw new Error('boom at load');`);
    await expect(loadDriver(throws)).rejects.toThrow(/failed to load: boom at load/);
  });
});
