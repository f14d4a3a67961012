/**
 * Pure parts of the server: option resolution, seq assignment, the commit queue's batching.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, StorageError } from '../../src/errors.js';
import { CommitQueue, type Outcome } from '../../src/server/commit-queue.js';
import { assignSeq } from '../../src/server/inbox.js';
import {
  DEFAULT_LIMITS,
  resolveServerOptions,
  SERVER_DEFAULTS,
  SERVER_FAULTS,
  type ServerOptions,
} from '../../src/server/index.js';
import { Store } from '../../src/server/store.js';

describe('resolveServerOptions', () => {
  it('defaults every option from one table and freezes the result', () => {
    const r = resolveServerOptions();
    expect(r).toMatchObject({ host: SERVER_DEFAULTS.host, port: 7400, groupCommit: true, faults: [] });
    expect(r.limits).toEqual(DEFAULT_LIMITS);
    expect(Object.isFrozen(r) && Object.isFrozen(r.limits) && Object.isFrozen(r.auth)).toBe(true);
    expect(r.dbGenerated).toBe(true);
    expect(r.db).toMatch(new RegExp(`imspec-server-${process.pid}-\\d+\\.db$`));
  });

  it('generates a secret only when no auth option is given', () => {
    expect(resolveServerOptions().auth).toMatchObject({ hmacSecretGenerated: true });
    expect(resolveServerOptions().auth.hmacSecret).toMatch(/^[0-9a-f]{32}$/);
    expect(resolveServerOptions({ tokens: { a: 'b' } }).auth).toMatchObject({
      hmacSecret: undefined,
      hmacSecretGenerated: false,
    });
    expect(resolveServerOptions({ hmacSecret: 's' }).auth).toMatchObject({
      hmacSecret: 's',
      hmacSecretGenerated: false,
    });
  });

  it('gives two servers started at once different database files', () => {
    expect(resolveServerOptions().db).not.toBe(resolveServerOptions().db);
  });

  it.each([
    [{ dbPath: 'x' }, /"dbPath" is unknown \(did you mean db\?\)/],
    [{ repushMS: 5 }, /did you mean repushMs\?/],
    [{ fault: ['no-dedup'] }, /did you mean faults\?/],
    [{ zzz: 1 }, /known options: host, port/],
    [{ port: 65536 }, /port must be an integer from 0 to 65535/],
    [{ repushMs: 0 }, /repushMs must be an integer from 1/],
    [{ pushWindow: -1 }, /pushWindow must be an integer from 0/],
    [{ idleMs: 2 ** 31 }, /idleMs must be an integer from 1 to 2147483647 \(the longest a Node timer/],
    [{ helloTimeoutMs: 3e9 }, /helloTimeoutMs must be an integer from 1 to 2147483647/],
    [{ repushMs: 2 ** 31 }, /repushMs must be an integer from 1 to 2147483647/],
    [{ maxFrameBytes: 1.5 }, /maxFrameBytes must be an integer/],
    [{ faults: ['nope'] }, /unknown fault "nope" \(known: no-dedup/],
    [{ tokens: { '': 't' } }, /user "" must be a string of 1 to 64/],
    [{ tokens: { u: 5 } }, /token of user "u"/],
    [{ groupCommit: 'yes' }, /groupCommit must be a boolean/],
  ] as [Record<string, unknown>, RegExp][])('refuses %j with a clear ConfigError', (options, message) => {
    const run = () => resolveServerOptions(options as ServerOptions);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(message);
  });

  it('keeps a user named __proto__ as an ordinary token entry', () => {
    const tokens = JSON.parse('{"__proto__":"t"}') as Record<string, string>;
    const r = resolveServerOptions({ tokens });
    expect(Object.hasOwn(r.auth.tokens, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(r.auth.tokens, '__proto__')?.value).toBe('t');
  });
});

describe('assignSeq', () => {
  const run = (fault: Parameters<typeof assignSeq>[1], n: number) => {
    let state = { maxSeq: 0, accepted: 0 };
    const out: [number, number][] = [];
    for (let i = 0; i < n; i++) {
      const a = assignSeq(state, fault);
      out.push([a.seq, a.prevSeq]);
      state = a.next;
    }
    return out;
  };

  it('SEQ-1/SEQ-4: 1, 2, 3 … with prevSeq the seq before', () => {
    expect(run('none', 4)).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 3],
    ]);
  });

  it('seq-gap skips a seq at every 7th message; seq-reuse repeats one', () => {
    expect(run('seq-gap', 8).map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 8, 9]);
    expect(run('seq-reuse', 8).map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 6, 7]);
  });
});

describe('CommitQueue', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const store = () => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-queue-'));
    return new Store(join(dir, 'q.db'), { uniqueSeq: true });
  };

  it('batches the operations of one turn into one transaction and calls done in order, after it', async () => {
    const s = store();
    const q = new CommitQueue(s, { grouped: true, deferMs: 0 });
    const log: string[] = [];
    for (let i = 1; i <= 3; i++) {
      q.submit(
        () => {
          s.putCursor('u', `d${i}`, i);
          log.push(`run ${i}`);
          return i;
        },
        (o: Outcome<number>) => log.push(`done ${o.ok && o.value}`),
      );
    }
    expect(log).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(log).toEqual(['run 1', 'run 2', 'run 3', 'done 1', 'done 2', 'done 3']);
    expect(q.snapshot()).toMatchObject({ transactions: 1, operations: 3, largestBatch: 3 });
    s.close();
  });

  it('without grouping commits each operation at once; a failing operation fails alone and rolls back', () => {
    const s = store();
    const q = new CommitQueue(s, { grouped: false, deferMs: 0 });
    const outcomes: Outcome<unknown>[] = [];
    q.submit(
      () => s.putCursor('u', 'a', 1),
      (o) => outcomes.push(o),
    );
    q.submit(
      () => {
        s.putCursor('u', 'b', 2);
        throw new Error('boom');
      },
      (o) => outcomes.push(o),
    );
    expect(outcomes.map((o) => o.ok)).toEqual([true, false]);
    expect(s.cursor('u', 'a')).toBe(1);
    expect(s.cursor('u', 'b')).toBeUndefined();
    s.close();
  });

  it('when a batch fails, retries each operation alone so only the failing one errs', async () => {
    const s = store();
    const errors: string[] = [];
    const q = new CommitQueue(s, {
      grouped: true,
      deferMs: 0,
      onError: (e, where) => errors.push(`${where}: ${e.message}`),
    });
    const outcomes: boolean[] = [];
    q.submit(
      () => s.putCursor('u', 'a', 1),
      (o) => outcomes.push(o.ok),
    );
    q.submit(
      () => {
        throw new Error('bad op');
      },
      (o) => outcomes.push(o.ok),
    );
    q.submit(
      () => s.putCursor('u', 'c', 3),
      (o) => outcomes.push(o.ok),
    );
    q.flush();
    expect(outcomes).toEqual([true, false, true]);
    expect([s.cursor('u', 'a'), s.cursor('u', 'c')]).toEqual([1, 3]);
    expect(errors).toEqual(['batch: bad op']);
    s.close();
  });

  it('deferred (ack-before-commit): each operation commits deferMs after its own submission', () => {
    // A timer per batch would commit both below together at 100 ms, leaving nothing at risk just
    // after each flush; per operation, the last deferMs of writes are always uncommitted.
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
    try {
      const s = store();
      const q = new CommitQueue(s, { grouped: true, deferMs: 100 });
      const done: string[] = [];
      q.submit(
        () => s.putCursor('u', 'a', 1),
        () => done.push('a'),
      );
      vi.advanceTimersByTime(60);
      q.submit(
        () => s.putCursor('u', 'b', 2),
        () => done.push('b'),
      );
      vi.advanceTimersByTime(50); // 110 ms: a is due, b (due at 160) is not
      expect(done).toEqual(['a']);
      expect(s.cursor('u', 'b')).toBeUndefined();
      vi.advanceTimersByTime(40); // 150 ms: b still waits
      expect(done).toEqual(['a']);
      vi.advanceTimersByTime(20);
      expect(done).toEqual(['a', 'b']);
      expect(s.cursor('u', 'b')).toBe(2);
      expect(q.snapshot()).toMatchObject({ transactions: 2, operations: 2 });
      s.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('docs/server.md', () => {
  it('lists every fault with the one-line description of the catalogue', () => {
    const doc = readFileSync(new URL('../../docs/server.md', import.meta.url), 'utf8');
    // Table cells, trimmed: the formatter pads markdown tables.
    const rows = new Map(
      doc
        .split('\n')
        .filter((line) => line.startsWith('| `'))
        .map((line) => line.split('|').map((cell) => cell.trim()))
        .map((cells) => [cells[1], cells[2]]),
    );
    for (const [name, what] of Object.entries(SERVER_FAULTS)) expect(rows.get(`\`${name}\``)).toBe(what);
  });
});

describe('Store', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a file that is not a database with a StorageError that says what to do', () => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-store-'));
    const file = join(dir, 'not-a.db');
    writeFileSync(file, 'this is not sqlite, just text that is long enough to have a header'.repeat(20));
    expect(() => new Store(file, { uniqueSeq: true })).toThrow(StorageError);
    expect(() => new Store(file, { uniqueSeq: true })).toThrow(
      /cannot open the server database .*fresh --db/,
    );
  });

  it('SEQ-2: a file written under seq-reuse (two messages on one seq) is refused without the fault', () => {
    dir = mkdtempSync(join(tmpdir(), 'imspec-store-'));
    const file = join(dir, 'reuse.db');
    const faulty = new Store(file, { uniqueSeq: false });
    const m = {
      cmid: 'c',
      from: 'a',
      to: 'b',
      body: 'x',
      seq: 1,
      prevSeq: 0,
      ts: 1,
      receipt: 'none' as const,
    };
    faulty.transaction(() => {
      faulty.insertMessage({ ...m, smid: 's1' });
      faulty.insertMessage({ ...m, smid: 's2' });
    });
    faulty.close();
    expect(() => new Store(file, { uniqueSeq: true })).toThrow(
      /share a seq \(the file was written with --fault seq-reuse or seq-race\)/,
    );
  });
});
