/**
 * Token derivation shared by the reference server and the kit's bots: with a shared secret,
 * a user's token is hex(HMAC-SHA256(secret, user)). Pure (no I/O).
 */

import { createHmac, timingSafeEqual } from 'node:crypto';

export function hmacToken(secret: string, user: string): string {
  return createHmac('sha256', secret).update(user, 'utf8').digest('hex');
}

/** Constant-time comparison, so a wrong token's timing says nothing about the right one. */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
