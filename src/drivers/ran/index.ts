export { RanDriver, type RanDriverOptions } from './ran-driver.js';
export { DEFAULT_REQUEST_TIMEOUT_MS, RanSession } from './ran-session.js';
export { RanRawSocket } from './raw-socket.js';
export { frameOf, RAN_SUBPROTOCOL, readInbound } from './wire.js';
