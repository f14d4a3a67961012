/**
 * The public driver API: what a driver module exports so imspec can test a server that speaks
 * its own protocol (`imspec run --driver ./my-driver.js`). docs/drivers.md "Writing a driver"
 * walks through one (examples/binary-im/driver.js).
 *
 * A module exports a `DriverModule` as its default export (or as the named export `driver`):
 *
 * ```js
 * export default {
 *   apiVersion: 1,              // DRIVER_API_VERSION this module was written against
 *   name: 'binary-im',
 *   create(options, kit) {      // one Driver per target URL
 *     return new BinaryImDriver(options.target, kit);
 *   },
 *   codec,                      // optional: frame-level faults and passive checks for this protocol
 * };
 * ```
 *
 * Versioning: `DRIVER_API_VERSION` changes only when a change would break existing drivers (a
 * new required member, a changed meaning). Additions that drivers may ignore (a new optional
 * member, a new kit helper) keep the version. imspec loads a module only if its `apiVersion`
 * equals this one, and says which to write otherwise.
 */

import type { FrameCodec } from '../protocol/frame-codec.js';
import type { Driver, DriverFactoryOptions } from './driver.js';
import type { DriverKit } from './kit.js';

/** The version of the driver API this imspec implements. */
export const DRIVER_API_VERSION = 1;

export interface DriverModule {
  /** The DRIVER_API_VERSION the module was written against; must equal imspec's. */
  readonly apiVersion: number;
  /**
   * Short name: shown in reports, the `driver` label of every metric, replay commands.
   * Lowercase letters, digits and `.`, `_`, `-`; at most 32 characters.
   */
  readonly name: string;
  /**
   * Builds a driver for one target URL. Called once per case, and again with a fault proxy's
   * URL when a case injects faults (same URL, host and port replaced), so keep per-target state
   * in the driver, not the module.
   */
  create(options: DriverFactoryOptions, kit: DriverKit): Driver;
  /**
   * How the fault proxy cuts and reads this protocol's frames, so per-frame fault rules (drop the
   * 3rd msg:A, duplicate pushes, reorder…) work on it, and `imspec check --codec` can decode
   * captures of it. Without one, only stream rules (latency, reset, blackhole…) apply and frame
   * rules make a case UNSUPPORTED.
   */
  readonly codec?: FrameCodec;
}
