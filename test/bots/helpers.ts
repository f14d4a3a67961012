/**
 * Test fixtures for bots: a real reference server in a temp dir, bots wired to it, and `until`,
 * which waits for a condition on bot state (re-checked on every change) instead of sleeping.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bot } from '../../src/bots/bot.js';
import { resolveClientOptions } from '../../src/bots/options.js';
import type { Driver } from '../../src/drivers/driver.js';
import { createDriver } from '../../src/drivers/index.js';
import { History, type HistoryEvent } from '../../src/history/events.js';
import { hmacToken } from '../../src/protocol/auth.js';
import type { ClientOptions } from '../../src/scenarios/types.js';
import { type RunningServer, type ServerOptions, startServer } from '../../src/server/index.js';

export const SECRET = 'bot-tests';

/** Fast client timings so retransmission cases finish in well under a second. */
export const FAST: Partial<ClientOptions> = {
  retransmitMs: 150,
  maxRetransmitMs: 600,
  requestTimeoutMs: 2000,
  reconnectDelayMs: 20,
};

export class Fixture {
  server!: RunningServer;
  driver!: Driver;
  readonly history = new History();
  readonly bots: Bot[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'imspec-bots-'));
  private options: ServerOptions = {};

  get dbPath(): string {
    return join(this.dir, 'server.db');
  }

  async start(options: ServerOptions = {}): Promise<this> {
    this.options = options;
    this.server = await startServer({ port: 0, db: this.dbPath, hmacSecret: SECRET, ...options });
    this.driver = createDriver('ran', { target: this.server.url });
    return this;
  }

  /** Graceful restart on the same port and database: bots see a 1001 close and come back. */
  async restart(): Promise<void> {
    const port = this.server.port;
    await this.server.close();
    this.server = await startServer({ ...this.options, port, db: this.dbPath, hmacSecret: SECRET });
  }

  bot(actor: string, client: Partial<ClientOptions> = {}): Bot {
    const [user = actor, device = 'd1'] = actor.split('/');
    const bot = new Bot({
      actor,
      user,
      device,
      token: hmacToken(SECRET, user),
      driver: this.driver,
      history: this.history,
      client: resolveClientOptions({ ...FAST, ...client }),
    });
    this.bots.push(bot);
    return bot;
  }

  events<K extends HistoryEvent['kind']>(kind: K, actor?: string): Extract<HistoryEvent, { kind: K }>[] {
    return this.history.events.filter(
      (e): e is Extract<HistoryEvent, { kind: K }> =>
        e.kind === kind && (actor === undefined || ('actor' in e && e.actor === actor)),
    );
  }

  async teardown(): Promise<void> {
    await Promise.all(this.bots.map((b) => b.stop()));
    await this.server?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Resolves once `check()` holds, re-checked after every history event and every change of
 * `bots` (which covers all bot decisions and every frame).
 */
export function until(
  fx: Fixture,
  bots: Bot[],
  check: () => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const offs: (() => void)[] = [];
    const done = (error?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}`)), timeoutMs);
    const recheck = () => {
      if (check()) done();
    };
    offs.push(fx.history.subscribe(recheck));
    for (const bot of bots) offs.push(bot.onChange(recheck));
  });
}

/** Every outbox entry of `bot` has `status`. */
export function allStatus(bot: Bot, status: 'delivered' | 'stored' | 'accepted', n: number): boolean {
  const c = bot.state.counts;
  const reached =
    status === 'accepted'
      ? c.accepted + c.stored + c.delivered
      : status === 'stored'
        ? c.stored + c.delivered
        : c.delivered;
  return reached >= n;
}
