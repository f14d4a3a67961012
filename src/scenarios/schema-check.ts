/**
 * Checks parsed scenario YAML against schemas/scenario.schema.json (compiled once); the messages
 * come from schema-explain.ts, which every schema-checked YAML file shares.
 */

import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import faultsSchema from '../../schemas/faults.schema.json' with { type: 'json' };
import scenarioSchema from '../../schemas/scenario.schema.json' with { type: 'json' };
import { addDurationFormat } from './duration.js';
import { explainErrors, type SchemaRoot } from './schema-explain.js';
import type { PathIssue } from './yaml-source.js';

export {
  describeValue,
  display,
  isRecord,
  orList,
  unknownKey,
  where,
} from './schema-explain.js';

const ajv = new Ajv2020({
  allErrors: true,
  // verbose gives each error its schema node (for `title` and the allowed keys) and its data.
  verbose: true,
  strict: true,
  // Value forms like "a bot or a list of bots" are one node with `type: [string, array]`.
  allowUnionTypes: true,
});
addDurationFormat(ajv);
// `faults` items $ref the rule schema by its $id (schemas/faults.schema.json).
ajv.addSchema(faultsSchema);
const validateScenario: ValidateFunction = ajv.compile(scenarioSchema);
const ROOT: SchemaRoot = { name: 'scenario', ajv, id: scenarioSchema.$id, schema: scenarioSchema };
/** `/faults/3/…`: inside one fault rule. */
const IN_FAULT_RULE = /^\/faults\/\d+(?:\/|$)/;

/**
 * Schema problems of a parsed scenario document, with paths; empty when it conforms. Problems
 * inside a fault rule are left to faults-check.ts: resolveFaultRules (src/faults) words them
 * better than ajv can (its oneOf branches are not this schema's), and
 * test/faults/schema-agreement.test.ts keeps the resolver and schemas/faults.schema.json in step.
 */
export function schemaIssues(data: unknown): PathIssue[] {
  if (validateScenario(data)) return [];
  const errors = (validateScenario.errors ?? []).filter((e) => !IN_FAULT_RULE.test(e.instancePath));
  return explainErrors(ROOT, errors, data);
}
