/**
 * Regenerates dashboards/ (Grafana JSON and the Prometheus alert rules) from the TypeScript
 * sources in src/dashboards/ (`npm run dashboards`). test/dashboards fails when the committed
 * files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { generatedFiles } from '../src/dashboards/index.js';
import { scriptArgs } from './args.js';

// No options: a typo must not rewrite dashboards/.
scriptArgs('dashboards', 'npm run dashboards', {});

const dir = new URL('../../dashboards/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const [file, content] of generatedFiles()) {
  writeFileSync(new URL(file, dir), content);
  console.log(`wrote dashboards/${file}`);
}
