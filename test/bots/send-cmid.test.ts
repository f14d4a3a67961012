import { describe, expect, it } from 'vitest';
import { Bot } from '../../src/bots/bot.js';
import { resolveClientOptions } from '../../src/bots/options.js';
import type { Driver } from '../../src/drivers/driver.js';
import { UsageError } from '../../src/errors.js';
import { History } from '../../src/history/events.js';

/** A bot never connected: sends queue in its outbox. */
function offlineBot(): Bot {
  const driver = { name: 'none', caps: [] } as unknown as Driver;
  return new Bot({
    actor: 'alice/d1',
    user: 'alice',
    device: 'd1',
    token: 't',
    driver,
    history: new History(),
    client: resolveClientOptions(),
  });
}

describe('Bot.send: one message per cmid', () => {
  it('refuses a cmid the caller already used, whether generated or chosen', () => {
    const bot = offlineBot();
    const generated = bot.send('bob', 'a');
    expect(() => bot.send('bob', 'b', generated)).toThrow(UsageError);
    bot.send('bob', 'c', 'mine');
    expect(() => bot.send('bob', 'd', 'mine')).toThrow(UsageError);
    expect(bot.state.outbox.size).toBe(2);
  });

  it('never generates a cmid a caller chose before', () => {
    const bot = offlineBot();
    const first = bot.send('bob', 'a');
    // The cmid the outbox would make next, taken by the caller first.
    const next = first.replace(/\.1$/, '.2');
    expect(next).not.toBe(first);
    bot.send('bob', 'b', next);
    const third = bot.send('bob', 'c');
    expect(third).not.toBe(next);
    expect(new Set([...bot.state.outbox.values()].map((e) => e.cmid)).size).toBe(3);
  });
});
