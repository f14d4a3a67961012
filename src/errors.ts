/**
 * The one catalogue of imspec errors. Every error the kit raises on purpose is one of these
 * classes, each with a stable `IMSPEC_ERR_*` code (listed in README "Error codes" and checked by
 * test/errors.test.ts). Codes never change meaning; add a class rather than reuse one.
 */

import type { FrameEvent } from './history/events.js';
import type { WireErrorCode } from './protocol/frames.js';

export abstract class ImspecError extends Error {
  abstract readonly code: `IMSPEC_ERR_${string}`;
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number = 2;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad command-line usage: unknown option, missing argument, conflicting flags. */
export class UsageError extends ImspecError {
  readonly code = 'IMSPEC_ERR_USAGE';
}

/** A configuration value or file (target config, expected-failures file, monitor config) is invalid. */
export class ConfigError extends ImspecError {
  readonly code = 'IMSPEC_ERR_CONFIG';
}

/** Where in a source file a problem sits; `line` and `col` are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/**
 * Shard results do not make one run (`imspec merge`): a shard missing or present twice, files of
 * different profiles, versions, seeds or shard counts, or a file that is not a shard result.
 */
export class MergeError extends ImspecError {
  readonly code = 'IMSPEC_ERR_MERGE';
}

/** A scenario file is unreadable, not YAML, or does not match schemas/scenario.schema.json. */
export class ScenarioError extends ImspecError {
  readonly code = 'IMSPEC_ERR_SCENARIO';
  constructor(
    message: string,
    readonly position?: SourcePosition,
    options?: ErrorOptions,
  ) {
    super(position ? `${position.file}:${position.line}:${position.col}: ${message}` : message, options);
  }
}

/** A load profile is unreadable, not YAML, or does not match schemas/load.schema.json. */
export class ProfileError extends ImspecError {
  readonly code = 'IMSPEC_ERR_PROFILE';
  constructor(
    message: string,
    readonly position?: SourcePosition,
    options?: ErrorOptions,
  ) {
    super(position ? `${position.file}:${position.line}:${position.col}: ${message}` : message, options);
  }
}

/**
 * A frame could not be decoded or is not a valid RAN/1 frame. Carries both the program code and
 * what goes on the wire: the `error:A` code, and the `rid` to answer with when one was readable.
 * `frame`: the inbound frame, as recorded in the history, when the server sent it — proof that the
 * server broke the protocol, so a case it stops is the server's finding, not the kit's ERROR.
 */
export class ProtocolError extends ImspecError {
  readonly code = 'IMSPEC_ERR_PROTOCOL';
  readonly frame: FrameEvent | undefined;
  constructor(
    message: string,
    readonly wireCode: WireErrorCode,
    readonly rid: string | null = null,
    options?: ErrorOptions & { frame?: FrameEvent },
  ) {
    super(message, options);
    this.frame = options?.frame;
  }
}

/** The target refused the connection, or no server answered at the address. */
export class TargetUnreachableError extends ImspecError {
  readonly code = 'IMSPEC_ERR_TARGET_UNREACHABLE';
}

/** A target process the kit launched exited when it was not told to. */
export class TargetExitedError extends ImspecError {
  readonly code = 'IMSPEC_ERR_TARGET_EXITED';
}

/** The server answered a request with `error:A`. */
export class ServerRejectedError extends ImspecError {
  readonly code = 'IMSPEC_ERR_SERVER_REJECTED';
  constructor(
    message: string,
    readonly wireCode: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Authentication failed: the target refused the credentials. */
export class AuthError extends ImspecError {
  readonly code = 'IMSPEC_ERR_AUTH';
}

/**
 * An account could not be created before a case (the driver's own provisioning, such as XMPP
 * in-band registration, or `--provision-cmd`): the message carries the server's answer or the
 * command's output. The case is ERROR, labelled as provisioning, never blamed on delivery.
 */
export class ProvisioningError extends ImspecError {
  readonly code = 'IMSPEC_ERR_PROVISION';
  constructor(
    message: string,
    /** The account (user name on the target) that could not be created. */
    readonly user: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** What an error says, in words: its message, or the thrown value itself when it is no Error. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The request frame an error is about (one that got no answer in time, or none before the
 * connection closed), when the driver knows it: the object its history event holds as `fields`,
 * so the runner can find that event and hold the server to it (runner/case-trouble.ts stopFrame).
 */
export type SentRequest = Readonly<Record<string, unknown>>;

/** An operation did not complete within its deadline. */
export class TimeoutError extends ImspecError {
  readonly code = 'IMSPEC_ERR_TIMEOUT';
  /** The request that got no answer in time, when the driver knows it. */
  readonly request: SentRequest | undefined;
  constructor(message: string, options?: ErrorOptions & { request?: SentRequest }) {
    super(message, options);
    this.request = options?.request;
  }
}

/** The connection closed while an operation needed it. */
export class ConnectionClosedError extends ImspecError {
  readonly code = 'IMSPEC_ERR_CONNECTION_CLOSED';
  /** The request still waiting for its answer when the connection closed, when the driver knows it. */
  readonly request: SentRequest | undefined;
  constructor(
    message: string,
    readonly closeCode?: number,
    options?: ErrorOptions & { request?: SentRequest },
  ) {
    super(message, options);
    this.request = options?.request;
  }
}

/** The reference server's storage failed (cannot open, corrupt, disk full). */
export class StorageError extends ImspecError {
  readonly code = 'IMSPEC_ERR_STORAGE';
}

/** A driver cannot do what was asked (operation outside its capability manifest). */
export class UnsupportedError extends ImspecError {
  readonly code = 'IMSPEC_ERR_UNSUPPORTED';
}

/**
 * A driver module (`--driver ./file.js` or a package name) could not be loaded, was written for
 * another version of the driver API, or does not implement it (docs/drivers.md "Writing a driver").
 */
export class DriverError extends ImspecError {
  readonly code = 'IMSPEC_ERR_DRIVER';
}

/** Metrics could not be exported: the Pushgateway refused or did not answer a push. */
export class MetricsExportError extends ImspecError {
  readonly code = 'IMSPEC_ERR_METRICS_EXPORT';
}

/** A bug in imspec itself: an invariant broke. Please report it. */
export class InternalError extends ImspecError {
  readonly code = 'IMSPEC_ERR_INTERNAL';
  override readonly exitCode = 3;
}

export function isImspecError(value: unknown): value is ImspecError {
  return value instanceof ImspecError;
}
