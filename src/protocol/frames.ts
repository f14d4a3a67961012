/**
 * RAN/1 frame types. The JSON Schema `schemas/frame.schema.json` is the normative machine form;
 * `test/protocol/frames-in-step.test.ts` fails when these types and the schema disagree.
 * See docs/protocol.md section 11.
 */

export type Kind = 'R' | 'A' | 'N';
export type Op = 'hello' | 'msg' | 'ack' | 'sync' | 'ping' | 'error';

export const CAPS = [
  'dedup',
  'contiguous-seq',
  'prev-seq',
  'server-repush',
  'standin-receipt',
  'delivered-receipt',
  'cumulative-ack',
  'paged-sync',
  'backward-sync',
  'multi-device',
] as const;
export type Cap = (typeof CAPS)[number];

export const WIRE_ERROR_CODES = [
  'bad-json',
  'bad-frame',
  'not-authenticated',
  'auth-failed',
  'already-authenticated',
  'too-large',
  'bad-ack',
  'bad-sync',
  'shutting-down',
  'internal',
] as const;
export type WireErrorCode = (typeof WIRE_ERROR_CODES)[number];

/** WebSocket close codes of RAN/1 (docs/protocol.md, "Close codes"). */
export const CloseCode = {
  goingAway: 1001,
  unsupportedData: 1003,
  messageTooBig: 1009,
  authFailed: 4401,
  timeout: 4408,
  replaced: 4409,
} as const;

export interface Limits {
  maxFrameBytes: number;
  maxBodyBytes: number;
  syncLimitMax: number;
  pushWindow: number;
  repushMs: number;
  dedupWindowMs: number;
  helloTimeoutMs: number;
  idleMs: number;
}

/** A message as stored in an inbox: the members of msg:N without `type` and `attempt`. */
export interface StoredMessage {
  smid: string;
  cmid: string;
  from: string;
  to: string;
  body: string;
  seq: number;
  prevSeq?: number;
  ts: number;
}

export interface HelloR {
  type: 'hello:R';
  rid: string;
  user: string;
  device: string;
  token: string;
  lastSeq?: number;
}
export interface HelloA {
  type: 'hello:A';
  rid: string;
  user: string;
  device: string;
  maxSeq: number;
  pending: number;
  caps: Cap[];
  limits: Limits;
  serverTime: number;
}
export interface MsgR {
  type: 'msg:R';
  rid: string;
  cmid: string;
  to: string;
  body: string;
}
export interface MsgA {
  type: 'msg:A';
  rid: string;
  cmid: string;
  smid: string;
  ts: number;
  dup?: true;
}
export interface MsgN extends StoredMessage {
  type: 'msg:N';
  attempt?: number;
}
export interface AckR {
  type: 'ack:R';
  rid: string;
  upTo: number;
}
export interface AckA {
  type: 'ack:A';
  rid: string;
  upTo: number;
}
export type ReceiptStatus = 'stored' | 'delivered';
export interface AckN {
  type: 'ack:N';
  cmid: string;
  smid: string;
  to: string;
  status: ReceiptStatus;
  ts: number;
}
export interface SyncR {
  type: 'sync:R';
  rid: string;
  after?: number;
  before?: number;
  limit: number;
  ackUpTo?: number;
}
export interface SyncA {
  type: 'sync:A';
  rid: string;
  msgs: StoredMessage[];
  more: boolean;
  maxSeq: number;
}
export interface PingR {
  type: 'ping:R';
  rid: string;
}
export interface PingA {
  type: 'ping:A';
  rid: string;
  serverTime: number;
}
export interface ErrorA {
  type: 'error:A';
  rid: string | null;
  code: WireErrorCode;
  message: string;
}

export type RequestFrame = HelloR | MsgR | AckR | SyncR | PingR;
export type AnswerFrame = HelloA | MsgA | AckA | SyncA | PingA | ErrorA;
export type NotifyFrame = MsgN | AckN;
export type Frame = RequestFrame | AnswerFrame | NotifyFrame;
export type FrameType = Frame['type'];
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>;

export const FRAME_TYPES = [
  'hello:R',
  'hello:A',
  'msg:R',
  'msg:A',
  'msg:N',
  'ack:R',
  'ack:A',
  'ack:N',
  'sync:R',
  'sync:A',
  'ping:R',
  'ping:A',
  'error:A',
] as const satisfies readonly FrameType[];

export function opOf(type: FrameType): Op {
  return type.slice(0, type.indexOf(':')) as Op;
}

export function kindOf(type: FrameType): Kind {
  return type.slice(type.indexOf(':') + 1) as Kind;
}

export function isRequest(frame: Frame): frame is RequestFrame {
  return frame.type.endsWith(':R');
}
