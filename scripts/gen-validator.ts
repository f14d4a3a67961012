/**
 * Precompiles schemas/frame.schema.json into src/protocol/frame-validator.generated.ts with ajv's
 * standalone code generation (`npm run generate`). Compiling the schema at start-up cost about
 * half a second per process, and the kit starts a reference server for every case;
 * test/protocol/validator-in-step.test.ts fails when the generated file is stale.
 */
import { writeFileSync } from 'node:fs';
import { frameValidatorSource } from '../src/protocol/validator-source.js';

const root = new URL('../../', import.meta.url);
writeFileSync(new URL('src/protocol/frame-validator.generated.ts', root), frameValidatorSource());
console.log('wrote src/protocol/frame-validator.generated.ts');
