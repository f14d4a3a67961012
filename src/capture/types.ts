/**
 * The capture format (schemas/capture.schema.json, docs/capture.md): recorded IM traffic, one
 * JSON object per line, that `imspec check` judges without sending anything.
 */

import type { Direction } from '../protocol/frame-codec.js';
import type { Cap, FrameType } from '../protocol/frames.js';

/** The version of the capture format this imspec reads and writes. */
export const CAPTURE_VERSION = 1;

/** Optional first line. */
export interface CaptureHeader {
  kind: 'capture';
  version: 1;
  /** What recorded it. */
  source?: string;
  /** The capabilities the server claims; else learnt from hello:A frames. */
  caps?: Cap[];
  /** user → devices whose every connection the capture holds (complete view). */
  users?: Record<string, string[]>;
}

/** One frame as the tap saw it. */
export interface CaptureFrame {
  kind?: 'frame';
  /** Milliseconds on any clock; never going back. */
  t: number;
  /** The connection as the tap names it. */
  conn: string;
  /** "user/device"; learnt from the connection's login frame when absent. */
  actor?: string;
  dir: Direction;
  /** `op:KIND`; null (or absent with `bytes`) for a frame with no RAN/1 counterpart. */
  type?: FrameType | null;
  fields?: Record<string, unknown>;
  raw?: string;
  /** The wire bytes, base64, for a codec to decode. */
  bytes?: string;
  invalid?: string;
}

/** A connection ended. */
export interface CaptureClose {
  kind: 'close';
  t: number;
  conn: string;
  by?: 'client' | 'server' | 'network';
}

export type CaptureLine = CaptureHeader | CaptureFrame | CaptureClose;
