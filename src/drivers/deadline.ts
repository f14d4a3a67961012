/**
 * Waiting with a deadline, shared by the drivers that drive a client library (MQTT, XMPP): each
 * request is a promise the library's events settle, raced against the caller's timeout.
 */

import { TimeoutError } from '../errors.js';

/** Deadline for operations whose caller gives none, the same in every built-in driver. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * How long an orderly close waits for the server's side of it before the socket is destroyed:
 * a server that never answers, or a network that swallows its answer, must not hang the close.
 */
export const CLOSE_GRACE_MS = 2000;

/** Settles like `promise`, or rejects with TimeoutError("no <what> within <ms> ms") first. */
export function deadline<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
  settled: boolean;
}

/** A promise with its settle functions; a rejection nobody awaits is not an unhandled one. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  const d: Deferred<T> = {
    promise,
    settled: false,
    resolve: (value) => {
      d.settled = true;
      resolve(value);
    },
    reject: (error) => {
      d.settled = true;
      reject(error);
    },
  };
  return d;
}
