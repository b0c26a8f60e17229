/**
 * The shape of a step type's schema fragment. Each step type owns the JSON Schema of its own keys;
 * the runbook schema adds the keys every step shares and dispatches on `type`.
 */

/** A JSON Schema (2020-12) object; kept loose because fragments are plain data. */
export type JsonSchema = { [keyword: string]: unknown };

export interface StepSchemaFragment {
  /** The type's own keys. References to shared definitions use `#/$defs/<name>` (see SHARED_DEFS). */
  properties: Record<string, JsonSchema>;
  required?: string[];
  /** Keywords that constrain the step as a whole, e.g. `oneOf` or `dependentRequired`. */
  constraints?: JsonSchema;
}

export interface StepSchemaModule {
  schema: StepSchemaFragment;
  /** One paragraph for the format reference. */
  docs: string;
}

/**
 * `x-message` on a schema node replaces the generic wording of errors raised by that node: a mapping from
 * keyword to message, where `{key}` stands for the offending key and `{value}` for the offending value.
 */
export const MESSAGE_KEYWORD = 'x-message';
