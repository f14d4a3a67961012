/**
 * Drivers by name. `ran` is built in; `mqtt` and `xmpp` register here when they land.
 */

import { UsageError } from '../errors.js';
import type { Driver, DriverFactoryOptions } from './driver.js';
import { MqttDriver } from './mqtt/index.js';
import { RanDriver } from './ran/index.js';
import { XmppDriver } from './xmpp/index.js';

export type Factory = (options: DriverFactoryOptions) => Driver;

const factories = new Map<string, Factory>([
  ['ran', (options) => new RanDriver(options)],
  ['mqtt', (options) => new MqttDriver(options)],
  ['xmpp', (options) => new XmppDriver(options)],
]);

/**
 * Makes a driver available to `createDriver` (and so to `--driver NAME`). Registering a name
 * twice replaces the first factory.
 */
export function registerDriver(name: string, factory: Factory): void {
  factories.set(name, factory);
}

/** Names of the drivers `createDriver` knows. */
export function driverNames(): string[] {
  return [...factories.keys()];
}

/**
 * Creates a driver by name. Throws UsageError for an unknown name, listing the known ones.
 * @example createDriver('ran', { target: 'ws://127.0.0.1:7400' })
 */
export function createDriver(name: string, options: DriverFactoryOptions): Driver {
  const factory = factories.get(name);
  if (!factory) {
    throw new UsageError(`unknown driver "${name}": use one of ${driverNames().join(', ')}`);
  }
  return factory(options);
}

export { nextConn, recordClose } from './connections.js';
export type * from './driver.js';
export { MqttDriver } from './mqtt/index.js';
export { NotificationHub } from './notification-hub.js';
export { RanDriver } from './ran/index.js';
export { XmppDriver } from './xmpp/index.js';
