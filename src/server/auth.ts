/**
 * Token check for hello:R (AUTH-2). A user listed in the static table must present that token;
 * any other user must present hex(HMAC-SHA256(secret, user)) when a secret is configured.
 */

import { hmacToken, tokensEqual } from '../protocol/auth.js';
import type { ResolvedAuth } from './options.js';

export type Authenticate = (user: string, token: string) => boolean;

export function createAuthenticator(auth: ResolvedAuth, acceptAny: boolean): Authenticate {
  // `no-auth` fault: AUTH-2 broken on purpose.
  if (acceptAny) return () => true;
  const { tokens, hmacSecret } = auth;
  return (user, token) => {
    const expected = Object.hasOwn(tokens, user)
      ? tokens[user]
      : hmacSecret !== undefined
        ? hmacToken(hmacSecret, user)
        : undefined;
    return expected !== undefined && tokensEqual(token, expected);
  };
}
