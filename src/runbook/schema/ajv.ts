/**
 * The ajv set-up for the runbook schema. Only scripts/gen-schema.ts and the tests compile the schema with
 * it: at run time the precompiled validator (validator.generated.ts) is used, because compiling the schema
 * costs more than the rest of `labrun validate` put together.
 */
import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import { buildRunbookSchema } from './build.js';
import { MESSAGE_KEYWORD } from './fragment.js';

export const AJV_OPTIONS: Options = {
  allErrors: true,
  verbose: true,
  strict: true,
  strictTypes: false,
  strictRequired: false,
  allowUnionTypes: true,
  logger: false,
};

export function createAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...options });
  ajv.addVocabulary([MESSAGE_KEYWORD]);
  return ajv;
}

export function compileRunbookSchema(): ValidateFunction {
  return createAjv().compile(buildRunbookSchema());
}
