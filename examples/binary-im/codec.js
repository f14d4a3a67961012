// @ts-check
/**
 * binary-im as an imspec frame codec: how the fault proxy cuts the TCP stream into frames and
 * reads each one as R/A/N, how the driver records frames in RAN/1 names, and how
 * `imspec check --codec` decodes captured bytes. One mapping, used in all three places.
 *
 * | binary-im                  | RAN/1     | fields                                  |
 * | -------------------------- | --------- | --------------------------------------- |
 * | Login / LoginOk            | hello:R/A | user, device, lastSeq / maxSeq, pending |
 * | Send / SendAck             | msg:R/A   | cmid, to, body / cmid, smid, ts, dup    |
 * | Push                       | msg:N     | smid, cmid, from, to, body, seq, ts     |
 * | Ack / AckOk                | ack:R/A   | upTo                                    |
 * | Receipt                    | ack:N     | cmid, smid, to, status                  |
 * | Pull / PullResult          | sync:R/A  | after, limit, ackUpTo / msgs, more, maxSeq |
 * | Heartbeat / HeartbeatOk    | ping:R/A  |                                         |
 * | Error                      | error:A   | code, message                           |
 *
 * `rid` is the frame's req_id as text (requests and their answers; an Error with req_id 0 answers
 * a frame the server could not read: rid null). `smid` is msg_id as text.
 */

import { decodeFrame, encodeFrame, frameLength, HEADER_BYTES } from './wire.js';

/** @typedef {import('../../src/protocol/frame-codec.js').FrameCodec} FrameCodec */
/** @typedef {import('../../src/protocol/frame-codec.js').DecodedFrame} DecodedFrame */
/** @typedef {import('./wire.js').WireFrame} WireFrame */

/** binary-im Error codes → RAN/1 wire error codes. */
const ERROR_NAMES = /** @type {Record<string, string>} */ ({
  INTERNAL: 'internal',
  BAD_FRAME: 'bad-frame',
  NOT_LOGGED_IN: 'not-authenticated',
  AUTH_FAILED: 'auth-failed',
  ALREADY_LOGGED_IN: 'already-authenticated',
  BAD_ACK: 'bad-ack',
  TOO_LARGE: 'too-large',
});

/** @param {Uint8Array | undefined} bytes */
const text = (bytes) => (bytes ? Buffer.from(bytes).toString('utf8') : '');

/** @param {Record<string, any>} p A Push (live or in a PullResult) in RAN/1 names. */
export function storedMessage(p) {
  return {
    smid: String(p.msgId ?? 0),
    cmid: p.clientMsgId ?? '',
    from: p.from ?? '',
    to: p.to ?? '',
    body: text(p.content),
    seq: p.seq ?? 0,
    ts: p.serverTime ?? 0,
  };
}

/**
 * The frame in RAN/1 terms.
 * @param {WireFrame} f
 * @returns {Pick<DecodedFrame, 'type' | 'fields' | 'login'>}
 */
export function normalize(f) {
  const rid = f.reqId ? String(f.reqId) : undefined;
  const withRid = (/** @type {Record<string, unknown>} */ fields) => (rid ? { rid, ...fields } : fields);
  switch (f.body) {
    case 'login': {
      const b = f.login;
      const fields = withRid({ user: b.user ?? '', device: b.device ?? '', token: '<redacted>' });
      if (b.hasLastSeq) fields.lastSeq = b.lastSeq ?? 0;
      return { type: 'hello:R', fields, login: { user: b.user ?? '', device: b.device ?? '' } };
    }
    case 'loginOk': {
      const b = f.loginOk;
      const fields = { maxSeq: b.maxSeq ?? 0, pending: b.pending ?? 0, caps: b.features ?? [] };
      return { type: 'hello:A', fields: withRid({ ...fields, serverTime: b.serverTime ?? 0 }) };
    }
    case 'send':
      return {
        type: 'msg:R',
        fields: withRid({ cmid: f.send.clientMsgId ?? '', to: f.send.to ?? '', body: text(f.send.content) }),
      };
    case 'sendAck': {
      const b = f.sendAck;
      const fields = { cmid: b.clientMsgId ?? '', smid: String(b.msgId ?? 0), ts: b.serverTime ?? 0 };
      return { type: 'msg:A', fields: withRid(b.duplicate ? { ...fields, dup: true } : fields) };
    }
    case 'push':
      return { type: 'msg:N', fields: storedMessage(f.push) };
    case 'ack':
      return { type: 'ack:R', fields: withRid({ upTo: f.ack.upToSeq ?? 0 }) };
    case 'ackOk':
      return { type: 'ack:A', fields: withRid({ upTo: f.ackOk.upToSeq ?? 0 }) };
    case 'receipt': {
      const b = f.receipt;
      return {
        type: 'ack:N',
        fields: {
          cmid: b.clientMsgId ?? '',
          smid: String(b.msgId ?? 0),
          to: b.to ?? '',
          status: b.status === 'DELIVERED' ? 'delivered' : 'stored',
          ts: b.serverTime ?? 0,
        },
      };
    }
    case 'pull': {
      const b = f.pull;
      const fields = { after: b.afterSeq ?? 0, limit: b.limit ?? 0 };
      return { type: 'sync:R', fields: withRid(b.ackUpTo ? { ...fields, ackUpTo: b.ackUpTo } : fields) };
    }
    case 'pullResult': {
      const b = f.pullResult;
      const msgs = (b.messages ?? []).map(storedMessage);
      return { type: 'sync:A', fields: withRid({ msgs, more: b.hasMore === true, maxSeq: b.maxSeq ?? 0 }) };
    }
    case 'heartbeat':
      return { type: 'ping:R', fields: withRid({}) };
    case 'heartbeatOk':
      return { type: 'ping:A', fields: withRid({ serverTime: f.heartbeatOk.serverTime ?? 0 }) };
    case 'error': {
      const code = ERROR_NAMES[f.error.code ?? 'INTERNAL'] ?? 'internal';
      return { type: 'error:A', fields: { rid: rid ?? null, code, message: f.error.reason ?? '' } };
    }
    default:
      return { type: undefined, fields: {} };
  }
}

/**
 * A readable one-liner of a frame, e.g. `send#3 {"clientMsgId":"c1","to":"bob","content":"hi"}`.
 * @param {WireFrame} f
 */
export function render(f) {
  const body = f.body === undefined ? {} : { ...f[f.body] };
  if (f.body === 'login') body.token = '<redacted>';
  const show = (/** @type {unknown} */ v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v);
  const json = JSON.stringify(body, (_k, v) =>
    v && v.type === 'Buffer' && Array.isArray(v.data) ? show(Buffer.from(v.data)) : v,
  );
  return `${f.body ?? 'empty'}#${f.reqId ?? 0} ${json}`;
}

/** @type {FrameCodec} */
export const codec = {
  name: 'binary-im',
  transport: 'tcp',
  frameLength,
  decode(frame) {
    let f;
    try {
      f = decodeFrame(frame);
    } catch (error) {
      const hex = Buffer.from(frame.subarray(0, 32)).toString('hex');
      return {
        type: undefined,
        fields: {},
        raw: `<undecodable ${frame.length} bytes: ${hex}${frame.length > 32 ? '…' : ''}>`,
        invalid: `not a binary-im Frame: ${/** @type {Error} */ (error).message}`,
      };
    }
    const { type, fields, login } = normalize(f);
    /** @type {DecodedFrame} */
    const out = { type, fields, raw: render(f) };
    if (type === undefined) out.invalid = 'a Frame with no body';
    if (login) out.login = login;
    return out;
  },
  // `json`: the frame no longer decodes (bytes 0xff: field 31 with the reserved wire type 7);
  // `schema`: it decodes, but a text member (the one asked for, or one drawn) is emptied.
  corrupt(frame, mode, field, rng) {
    if (mode === 'schema') {
      try {
        const f = decodeFrame(frame);
        const body = f.body === undefined ? undefined : f[f.body];
        const members = body ? Object.keys(body).filter((k) => typeof body[k] === 'string') : [];
        const chosen = field ?? (members.length > 0 ? members[rng.int(members.length)] : undefined);
        if (body && chosen !== undefined) {
          body[chosen] = '';
          return { frame: encodeFrame(f), mode, field: chosen };
        }
      } catch {
        // Not a frame to begin with: spoil its bytes instead.
      }
    }
    const spoiled = Buffer.from(frame);
    spoiled.fill(0xff, HEADER_BYTES);
    return { frame: spoiled, mode: 'json' };
  },
};
