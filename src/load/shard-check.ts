/**
 * One shard result file, checked before `imspec merge` uses a figure of it: the file must match
 * schemas/load-result.schema.json (a counter "abc" would otherwise merge into "500abc" and a
 * missing `histograms` crash the merge), and each histogram must decode. A MergeError names the
 * file and the field.
 */

import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import * as hdr from 'hdr-histogram-js';
import resultSchema from '../../schemas/load-result.schema.json' with { type: 'json' };
import { MergeError } from '../errors.js';
import type { LoadResult } from './result.js';

let validate: ValidateFunction | undefined;

/** Throws MergeError naming `file` and the first field that is not a load result's. */
export function checkShardResult(file: string, result: unknown): asserts result is LoadResult {
  // Compiled on first use: `imspec load` imports the merge module but never checks a file.
  validate ??= new Ajv2020({ allErrors: false, strict: false }).compile(resultSchema);
  if (!validate(result)) {
    const e = validate.errors?.[0];
    const field = fieldOf(e?.instancePath ?? '', e?.params);
    const what = e?.keyword === 'required' ? 'is missing' : (e?.message ?? 'is not valid');
    throw new MergeError(
      `${file}: ${field ? `field ${field}` : 'the file'} ${what} (schemas/load-result.schema.json): not a shard result imspec load wrote`,
    );
  }
  for (const [figure, text] of Object.entries((result as LoadResult).histograms)) {
    try {
      hdr.decodeFromCompressedBase64(text, 32, false);
    } catch (error) {
      throw new MergeError(
        `${file}: field histograms.${figure} is not a compressed HdrHistogram (${(error as Error).message})`,
      );
    }
  }
}

/** `/counters/sent` → `counters.sent`; a missing or extra property is named too. */
function fieldOf(path: string, params: Record<string, unknown> | undefined): string {
  const parts = path.split('/').filter(Boolean);
  const named = params?.['missingProperty'] ?? params?.['additionalProperty'];
  if (typeof named === 'string') parts.push(named);
  return parts.join('.');
}
