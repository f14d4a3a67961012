/** ping:R — answered before or after hello (PING-1). */

import type { PingR } from '../../protocol/frames.js';
import type { Reply } from '../reply.js';

export function handlePing(frame: PingR, reply: Reply): void {
  reply.ok({ type: 'ping:A', rid: frame.rid, serverTime: Date.now() });
}
