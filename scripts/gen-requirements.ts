/**
 * Regenerates schemas/requirements.json from docs/protocol.md (`npm run requirements`).
 * test/protocol/requirements.test.ts fails when the committed JSON is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseRequirements } from '../src/protocol/requirements.js';

const root = new URL('../../', import.meta.url);
const markdown = readFileSync(new URL('docs/protocol.md', root), 'utf8');
const requirements = parseRequirements(markdown);
writeFileSync(new URL('schemas/requirements.json', root), `${JSON.stringify(requirements, null, 2)}\n`);
console.log(`wrote ${requirements.length} requirements to schemas/requirements.json`);
