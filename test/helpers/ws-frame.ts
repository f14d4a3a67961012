/** Raw WebSocket frames for tests that speak bytes to a peer (RFC 6455 section 5.2). */

import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import * as wsModule from 'ws';

/** ws's own frame reader (exported at run time, not in @types/ws). */
const { Receiver } = wsModule as unknown as {
  Receiver: new (options: object) => EventEmitter & { write(bytes: Buffer): void };
};

/**
 * What ws makes of `bytes` as a server (`isServer`: frames must be masked) or a client (they
 * must not be): the text messages, in order. Throws what ws refuses.
 */
export function readWithWs(bytes: Buffer, isServer: boolean): string[] {
  const receiver = new Receiver({ isServer, maxPayload: 0, skipUTF8Validation: false });
  const out: string[] = [];
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) throw new Error('a binary message');
    out.push(data.toString('utf8'));
  });
  receiver.on('error', (error: Error) => {
    throw error;
  });
  receiver.write(bytes);
  return out;
}

/** One WebSocket frame as a client (masked, the default) or a server (`mask: false`) writes it. */
export function wsFrame(
  payload: Buffer | string,
  opts: { opcode?: number; fin?: boolean; mask?: boolean } = {},
): Buffer {
  const { opcode = 1, fin = true, mask = true } = opts;
  const body = Buffer.from(payload);
  const n = body.length;
  const len =
    n < 126
      ? [n]
      : n < 65536
        ? [126, n >> 8, n & 0xff]
        : [127, 0, 0, 0, 0, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  if (mask) for (let i = 0; i < n; i++) body[i]! ^= key[i & 3]!;
  return Buffer.concat([
    Buffer.from([(fin ? 0x80 : 0) | opcode, (mask ? 0x80 : 0) | len[0]!, ...len.slice(1)]),
    key,
    body,
  ]);
}
