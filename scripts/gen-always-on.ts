/**
 * Regenerates docs/always-on.md from src/checker/always-on/audit.ts (`npm run always-on`).
 * test/checker/always-on-audit.test.ts fails when the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { renderAudit } from '../src/checker/always-on/audit.js';

writeFileSync(new URL('../../docs/always-on.md', import.meta.url), renderAudit());
console.log('wrote docs/always-on.md');
