/**
 * Which socket errors mean that nothing answered at the target's address (refused, no such host,
 * no route), as opposed to a connection that was up and broke. The drivers report the former as
 * TargetUnreachableError, whose message tells the user to check that the server runs and the URL.
 */

const UNREACHABLE_CODES: ReadonlySet<unknown> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH']);

/** True when a socket error `code` says the target could not be reached at all. */
export function isUnreachable(code: unknown): boolean {
  return UNREACHABLE_CODES.has(code);
}
