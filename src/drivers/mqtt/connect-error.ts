/**
 * What a failed MQTT connection attempt means to the bot: a refused CONNACK names bad
 * credentials (AuthError) or another refusal (ServerRejectedError with the code), a socket error
 * says the broker is unreachable, anything else is a connection that closed. Pure.
 */

import {
  AuthError,
  ConnectionClosedError,
  ServerRejectedError,
  TargetUnreachableError,
} from '../../errors.js';
import type { ActorId } from '../../history/events.js';
import { isUnreachable } from '../connect-failure.js';

/** MQTT 5 CONNACK reason codes and 3.1.1 return codes that mean "who are you?". */
const AUTH_CODES = new Set([4, 5, 0x86, 0x87, 0x8c]);

/** The error to reject a login with, given what mqtt.js emitted (its `code` is the CONNACK's). */
export function connectError(error: Error, url: string, user: string, actor: ActorId): Error {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'number' && AUTH_CODES.has(code)) {
    return new AuthError(
      `${url} refused the credentials of ${user} (CONNACK ${code}): check the password (token) and the broker's password_file`,
      { cause: error },
    );
  }
  if (typeof code === 'number') {
    return new ServerRejectedError(
      `${url} refused the connection of ${actor}: CONNACK ${code}`,
      `mqtt-${code}`,
      {
        cause: error,
      },
    );
  }
  if (isUnreachable(code)) {
    return new TargetUnreachableError(
      `cannot connect to ${url}: ${error.message}. Is the broker running and is the URL right?`,
      { cause: error },
    );
  }
  return new ConnectionClosedError(`MQTT connection to ${url} failed: ${error.message}`, undefined, {
    cause: error,
  });
}
