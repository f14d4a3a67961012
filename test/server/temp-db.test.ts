/** A server that chose its own database file removes it at a clean stop; one given --db keeps it. */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/index.js';

describe('the reference server database file', () => {
  it('is removed at close when the server generated it (no --db)', async () => {
    const server = await startServer({ port: 0, hmacSecret: 's' });
    expect(server.options.dbGenerated).toBe(true);
    expect(existsSync(server.dbPath)).toBe(true);
    await server.close();
    expect(existsSync(server.dbPath)).toBe(false);
    expect(existsSync(`${server.dbPath}-wal`)).toBe(false);
  });

  it('is kept at close when it was given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imspec-db-'));
    try {
      const db = join(dir, 'kept.db');
      const server = await startServer({ port: 0, hmacSecret: 's', db });
      await server.close();
      expect(existsSync(db)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
