/**
 * What a failed XMPP login means to the bot: a SASL failure names bad credentials (AuthError), a
 * socket error says the server is unreachable, a timeout or a closed connection stays what it
 * is, anything else is a login that failed on a closed connection. Pure.
 */

import { AuthError, ConnectionClosedError, TargetUnreachableError, TimeoutError } from '../../errors.js';
import type { ActorId } from '../../history/events.js';
import { isUnreachable } from '../connect-failure.js';
import type { XmppTarget } from './target.js';

/** The error to reject a login with; `saslFailure` names the SASL <failure/> the stream carried. */
export function loginError(
  error: unknown,
  saslFailure: string | undefined,
  target: XmppTarget,
  user: string,
  actor: ActorId,
): Error {
  if (error instanceof TimeoutError) return error;
  const e = error as Error & { code?: unknown; condition?: unknown };
  if (e.name === 'SASLError' || saslFailure) {
    return new AuthError(
      `${target.url} refused the credentials of ${user}@${target.domain} ` +
        `(SASL ${saslFailure ?? e.condition ?? e.message}): check the password (token) and the account`,
      { cause: error },
    );
  }
  if (isUnreachable(e.code)) {
    return new TargetUnreachableError(
      `cannot connect to ${target.url}: ${e.message}. Is the server running and is the URL right?`,
      { cause: error },
    );
  }
  if (error instanceof ConnectionClosedError) return error;
  return new ConnectionClosedError(
    `XMPP login of ${actor} at ${target.url} failed: ${e.message}`,
    undefined,
    {
      cause: error,
    },
  );
}
