/**
 * Regenerates docs/always-on.md from src/checker/always-on/audit.ts (`npm run always-on`), laid
 * out by the repository's formatter so `npm run lint` accepts it.
 * test/checker/always-on-audit.test.ts fails when the committed file is stale.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderAudit } from '../src/checker/always-on/audit.js';

const file = fileURLToPath(new URL('../../docs/always-on.md', import.meta.url));
writeFileSync(file, renderAudit());
const biome = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));
if (existsSync(biome)) execFileSync(biome, ['format', '--write', file], { stdio: 'ignore' });
else process.stderr.write(`${biome} is missing: docs/always-on.md is left unformatted\n`);
console.log('wrote docs/always-on.md');
