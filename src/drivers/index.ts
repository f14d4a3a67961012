/**
 * Drivers: the seam between bots and a target, and the public driver API (docs/drivers.md).
 * `loadDriver` turns any `--driver` value (built-in name, file, package) into a checked driver;
 * the built-ins are `ran` (RAN/1 over WebSocket), `mqtt` and `xmpp`.
 */

export { nextConn, recordClose, recordSession } from './connections.js';
export type * from './driver.js';
export type { ConnectionLog, DriverKit, FrameRecord } from './kit.js';
export { driverKit } from './kit.js';
export {
  builtinDriverNames,
  createDriver,
  isDriverPath,
  type LoadDriverOptions,
  type LoadedDriver,
  loadDriver,
} from './load.js';
export { DRIVER_API_VERSION, type DriverModule } from './module.js';
export { MqttDriver } from './mqtt/index.js';
export { NotificationHub } from './notification-hub.js';
export { RanDriver } from './ran/index.js';
export { XmppDriver } from './xmpp/index.js';
