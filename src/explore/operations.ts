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
      /**
       * Hold the next step until every message is accepted (msg:A: the server says it is durable)
       * or has a delivered receipt (a receiver device acked).
       */
      await?: 'accepted' | 'delivered';
    }
  | { op: 'connect'; bot: BotRef; state: 'keep' | 'none' | 'server' }
  | { op: 'disconnect'; bot: BotRef; mode: 'clean' | 'crash' }
  /** Sleep `ms`; after `repushMs`, on top of the re-push timer the server advertises (`limits.repushMs + ms`). */
  | { op: 'wait'; ms: number; after?: 'repushMs' }
  | { op: 'misbehave'; bot: BotRef; delayAcksMs?: number; withholdAcks?: true; crashInSync?: number }
  | { op: 'behave'; bot: BotRef }
  | { op: 'page'; bot: BotRef; direction: 'forward' | 'backward'; limit: number }
  | { op: 'kill' }
  /** A login with a wrong token on a socket of its own: it must be refused (AUTH-2). */
  | { op: 'badLogin'; bot: BotRef }
  /**
   * A socket of its own that never says hello: the server must close it with 4408 after the
   * hello timeout its hello:A advertises (AUTH-4), which the case deadline makes room for.
   */
  | { op: 'silentSocket'; bot: BotRef; helloTimeoutMs: number };

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
  /** True when the driver can send hand-made frames on a socket of its own (probes: RAN/1 only). */
  rawFrames?: boolean;
  /** limits.syncLimitMax, when the server advertises it (page limits are drawn at its edge too). */
  syncLimitMax?: number;
  /** limits.helloTimeoutMs, when the server advertises it (a silent socket is closed after it). */
  helloTimeoutMs?: number;
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
