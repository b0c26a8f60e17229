/**
 * The runbook front end: load a runbook with source positions, validate it against the JSON Schema and
 * the reference rules, compile it for the engine, format diagnostics, and render templates.
 */
export { compileRunbook, type CompileOptions } from './compile.js';
export { formatDiagnostic, formatDiagnostics, type FormatOptions } from './format.js';
export {
  TemplateError,
  TEMPLATE_HELPERS,
  checkTemplate,
  isTemplate,
  isTruthy,
  looselyEqual,
  renderDeep,
  renderTemplate,
  stringify,
  templateReferences,
  type RenderOptions,
  type TemplateErrorCode,
  type TemplateReference,
} from './template.js';
export { DurationError, parseDuration, isDuration } from './duration.js';
export { spanAt, templateErrorSpan } from './spans.js';
export {
  InputValueError,
  resolveInputValue,
  resolveInputs,
  type InputSource,
  type InputSources,
  type ResolvedInputs,
} from './inputs.js';
export { formatMicros, formatSeconds, toEpochMicros } from './instant.js';
export type { ReadFile } from './load.js';
export { SourceMap, type NodeSpans } from './source-map.js';
export type * from './types.js';
