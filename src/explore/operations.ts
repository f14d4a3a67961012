/**
 * What the generator draws and the shrinker cuts: a flat list of operations on the delivery
 * model. Plain data (JSON-able), so a schedule can be printed, compared and rendered again;
 * render.ts turns a list into a scenario, adding the closing steps every case needs.
 */

/** `user/device`, e.g. `u2/d1`. */
export type BotRef = string;

export type Operation =
  | {
      op: 'send';
      from: BotRef;
      /** The receiving user. */
      to: string;
      count: number;
      /** Body bytes (UTF-8), ≥ 1: the scenario model has no empty bodies. */
      size: number;
      text: 'ascii' | 'unicode';
      /** A cmid prefix: every sender using the same one sends equal cmids. */
      cmids?: string;
      /** Messages per second; 0 as fast as possible. */
      rate: number;
      /** Hold the next step until every message has a delivered receipt (a receiver device acked). */
      await?: 'delivered';
    }
  | { op: 'connect'; bot: BotRef; state: 'keep' | 'none' | 'server' }
  | { op: 'disconnect'; bot: BotRef; mode: 'clean' | 'crash' }
  | { op: 'wait'; ms: number }
  | { op: 'misbehave'; bot: BotRef; delayAcksMs?: number; withholdAcks?: true }
  | { op: 'behave'; bot: BotRef }
  | { op: 'page'; bot: BotRef; direction: 'forward' | 'backward'; limit: number }
  | { op: 'kill' };

/**
 * A frame rule of the fault proxy (docs/faults.md): every matching frame is dropped or sent twice
 * with `probability`. Only msg and ack frames: the delivery model's retransmission, dedup and
 * re-push recover from their loss, which is what a healthy server must show.
 */
export interface FrameFault {
  match: { op: 'msg' | 'ack'; kind: 'R' | 'A' | 'N' };
  action: 'drop' | 'duplicate';
  probability: number;
}

/** What the target can do, learnt before generating: nothing it cannot do is drawn. */
export interface TargetAbilities {
  /** hello:A caps (e.g. `multi-device`, `paged-sync`, `backward-sync`). */
  caps: readonly string[];
  /** limits.maxBodyBytes, when the server advertises it. */
  maxBodyBytes?: number;
  /** True when explore starts the server itself and may kill -9 and restart it. */
  canKill: boolean;
  /** True when the driver has a frame codec, so the fault proxy can pick frames (RAN/1: yes; MQTT, XMPP: no). */
  frameFaults?: boolean;
}

export function userOf(bot: BotRef): string {
  return bot.slice(0, bot.indexOf('/'));
}

/** The bots an operation names (for the users a rendered scenario declares). */
export function botsOf(op: Operation): BotRef[] {
  switch (op.op) {
    case 'send':
      return [op.from];
    case 'wait':
    case 'kill':
      return [];
    default:
      return [op.bot];
  }
}
