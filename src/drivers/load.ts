/**
 * The one way imspec gets a driver from a `--driver` value: a built-in name (`ran`, `mqtt`,
 * `xmpp`), a file (`./my-driver.js`, `/abs/driver.mjs`), or an installed package
 * (`@acme/imspec-driver`). `run`, `monitor`, `driver-test`, `check` and the commands built on
 * them all call `loadDriver`, so a user driver is checked the same way everywhere: once, at
 * load, with a DriverError that says what to fix.
 */

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DriverError } from '../errors.js';
import { closest } from '../hints.js';
import type { FrameCodec } from '../protocol/frame-codec.js';
import { CAPS } from '../protocol/frames.js';
import { ranCodec } from '../protocol/ran-codec.js';
import type { Driver, DriverFactoryOptions } from './driver.js';
import { type DriverKit, driverKit } from './kit.js';
import { DRIVER_API_VERSION, type DriverModule } from './module.js';
import { MqttDriver } from './mqtt/index.js';
import { RanDriver } from './ran/index.js';
import { XmppDriver } from './xmpp/index.js';

/** A driver module, checked and ready: `create` validates every driver it builds. */
export interface LoadedDriver {
  /** The module's name (reports, metrics, replay). */
  readonly name: string;
  /** The `--driver` value as given: what a replay command repeats. */
  readonly spec: string;
  readonly source: 'builtin' | 'file' | 'package' | 'object';
  /** Where the module was loaded from (file path), for messages. */
  readonly location: string | undefined;
  /** The module's frame codec, when it has one (frame-level faults, passive checks). */
  readonly codec: FrameCodec | undefined;
  /** Builds a driver for one target URL. Throws DriverError when the module's driver breaks the API. */
  create(options: DriverFactoryOptions): Driver;
}

export interface LoadDriverOptions {
  /** Directory a relative path or a package name is resolved from. @default process.cwd() */
  cwd?: string;
}

const BUILTIN: Readonly<Record<string, DriverModule>> = Object.freeze({
  ran: { apiVersion: DRIVER_API_VERSION, name: 'ran', create: (o) => new RanDriver(o), codec: ranCodec },
  mqtt: { apiVersion: DRIVER_API_VERSION, name: 'mqtt', create: (o) => new MqttDriver(o) },
  xmpp: { apiVersion: DRIVER_API_VERSION, name: 'xmpp', create: (o) => new XmppDriver(o) },
});

/** Names of the built-in drivers. */
export function builtinDriverNames(): string[] {
  return Object.keys(BUILTIN);
}

/**
 * A built-in driver, synchronously (tests, benches, programmatic use with a fixed driver).
 * Throws DriverError for an unknown name, listing the known ones.
 * @example createDriver('ran', { target: 'ws://127.0.0.1:7400' })
 */
export function createDriver(name: string, options: DriverFactoryOptions): Driver {
  const module = BUILTIN[name];
  if (!module) throw new DriverError(unknownName(name));
  return module.create(options, driverKit(DRIVER_API_VERSION));
}

/** True when a `--driver` value names a file rather than a built-in or a package. */
export function isDriverPath(spec: string): boolean {
  return /^\.{1,2}[\\/]/.test(spec) || isAbsolute(spec) || /\.[cm]?js$/.test(spec);
}

/**
 * Loads a driver: a built-in name, a file path, a package name, or a DriverModule object.
 * Checks the module against the driver API (version, name, create, codec) and rejects with a
 * DriverError naming the problem and the fix.
 */
export async function loadDriver(
  spec: string | DriverModule,
  options: LoadDriverOptions = {},
): Promise<LoadedDriver> {
  if (typeof spec !== 'string') return prepare(checkModule(spec, 'the driver object'), 'object', 'object');
  if (spec.trim() === '') throw new DriverError(`--driver is empty: ${unknownName('')}`);
  const builtin = BUILTIN[spec];
  if (builtin) return prepare(builtin, spec, 'builtin');
  const cwd = options.cwd ?? process.cwd();
  if (isDriverPath(spec)) {
    const file = resolve(cwd, spec);
    if (!existsSync(file)) {
      throw new DriverError(`driver file ${spec} not found (looked at ${file})`);
    }
    const module = checkModule(await importModule(pathToFileURL(file).href, spec), spec);
    return prepare(module, spec, 'file', file);
  }
  if (!/^(@[\w.-]+\/)?[\w.-]+(\/[\w./-]+)?$/.test(spec)) {
    throw new DriverError(unknownName(spec));
  }
  const entry = resolvePackage(spec, cwd);
  const module = checkModule(await importModule(entry, spec), spec);
  return prepare(module, spec, 'package', entry);
}

function unknownName(name: string): string {
  const known = builtinDriverNames();
  const hint = closest(name, known);
  return (
    `unknown driver "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}: use one of ${known.join(', ')}, ` +
    'a driver file (./my-driver.js) or an installed driver package'
  );
}

/** The package's entry as a URL, resolved from `cwd` the way the user's own code would. */
function resolvePackage(spec: string, cwd: string): string {
  const require = createRequire(join(cwd, 'noop.js'));
  try {
    return pathToFileURL(require.resolve(spec)).href;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // An ESM-only package ("exports" with an `import` condition only) is not require-resolvable;
    // let import() find it by name (from imspec's own location) as a last resort.
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return spec;
    const hint = closest(spec, builtinDriverNames());
    throw new DriverError(
      `driver "${spec}" is neither a built-in (${builtinDriverNames().join(', ')}${hint ? `; did you mean "${hint}"?` : ''}) nor a package installed where imspec runs (${cwd}): npm install it, or give a path such as ./${spec}.js`,
      { cause: error },
    );
  }
}

async function importModule(url: string, spec: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    throw new DriverError(`driver ${spec} failed to load: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
}

/** The DriverModule a loaded ES module exports, checked. */
function checkModule(loaded: unknown, spec: string): DriverModule {
  const ns = loaded as Record<string, unknown> | null | undefined;
  const candidate =
    ns && typeof ns === 'object' && ('apiVersion' in ns || 'create' in ns)
      ? ns
      : ((ns?.['default'] ?? ns?.['driver']) as unknown);
  if (!candidate || typeof candidate !== 'object') {
    throw new DriverError(
      `driver ${spec} exports no driver module: export default { apiVersion: ${DRIVER_API_VERSION}, name, create(options, kit) } (or export it as \`driver\`)`,
    );
  }
  const m = candidate as Partial<DriverModule> & Record<string, unknown>;
  if (m.apiVersion !== DRIVER_API_VERSION) {
    const was = m.apiVersion === undefined ? 'no apiVersion' : `apiVersion ${JSON.stringify(m.apiVersion)}`;
    const advice =
      typeof m.apiVersion === 'number' && m.apiVersion > DRIVER_API_VERSION
        ? 'it needs a newer imspec: upgrade imspec'
        : `update the driver to API version ${DRIVER_API_VERSION} (docs/drivers.md, "Writing a driver") and set apiVersion: ${DRIVER_API_VERSION}`;
    throw new DriverError(
      `driver ${spec} was written for ${was}; this imspec implements driver API version ${DRIVER_API_VERSION}: ${advice}`,
    );
  }
  if (typeof m.name !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(m.name)) {
    throw new DriverError(
      `driver ${spec}: name ${JSON.stringify(m.name)} must be 1-32 lowercase letters, digits, ".", "_" or "-"`,
    );
  }
  if (typeof m.create !== 'function') {
    throw new DriverError(`driver ${spec}: create(options, kit) must be a function returning a Driver`);
  }
  if (m.codec !== undefined) checkCodec(m.codec, spec);
  return m as DriverModule;
}

function checkCodec(codec: unknown, spec: string): void {
  const c = codec as Partial<FrameCodec> | null;
  const problem =
    !c || typeof c !== 'object'
      ? 'must be an object'
      : typeof c.name !== 'string'
        ? 'needs a name'
        : c.transport !== 'tcp' && c.transport !== 'websocket'
          ? `transport must be "tcp" or "websocket", not ${JSON.stringify(c.transport)}`
          : c.transport === 'tcp' && typeof c.frameLength !== 'function'
            ? 'a tcp codec needs frameLength(buffer) to cut the byte stream'
            : typeof c.decode !== 'function'
              ? 'needs decode(frame, direction, binary)'
              : c.corrupt !== undefined && typeof c.corrupt !== 'function'
                ? 'corrupt, when given, must be a function'
                : undefined;
  if (problem) throw new DriverError(`driver ${spec}: codec ${problem} (src/protocol/frame-codec.ts)`);
}

function prepare(
  module: DriverModule,
  spec: string,
  source: LoadedDriver['source'],
  location?: string,
): LoadedDriver {
  const kit: DriverKit = driverKit(DRIVER_API_VERSION);
  return Object.freeze({
    name: module.name,
    spec,
    source,
    location,
    codec: module.codec,
    create(options: DriverFactoryOptions): Driver {
      let driver: Driver;
      try {
        driver = module.create(options, kit);
      } catch (error) {
        if (source === 'builtin') throw error;
        throw new DriverError(
          `driver ${spec}: create({ target: ${JSON.stringify(options.target)} }) threw: ${(error as Error)?.message ?? String(error)}`,
          { cause: error },
        );
      }
      if (source !== 'builtin') checkDriver(driver, spec);
      return driver;
    },
  });
}

function checkDriver(driver: Driver, spec: string): void {
  if (!driver || typeof driver !== 'object') {
    throw new DriverError(`driver ${spec}: create() returned ${String(driver)}, not a Driver`);
  }
  if (typeof driver.connect !== 'function') {
    throw new DriverError(
      `driver ${spec}: the Driver create() returned has no connect(actor, options, history)`,
    );
  }
  if (!Array.isArray(driver.caps)) {
    throw new DriverError(
      `driver ${spec}: the Driver's caps must be an array of capability names (${CAPS.join(', ')}); [] claims none`,
    );
  }
  for (const cap of driver.caps as readonly string[]) {
    if (!(CAPS as readonly string[]).includes(cap)) {
      const hint = closest(cap, CAPS);
      throw new DriverError(
        `driver ${spec}: unknown capability "${cap}"${hint ? ` (did you mean "${hint}"?)` : ''}; known: ${CAPS.join(', ')}`,
      );
    }
  }
  if (typeof driver.name !== 'string') throw new DriverError(`driver ${spec}: the Driver needs a name`);
}
