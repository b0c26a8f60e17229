/** Finding source positions for compiled steps, for errors raised while a runbook runs. */
import { splitPointer, parentPointer } from './pointer.js';
import { SourceMap } from './source-map.js';
import type { TemplateError } from './template.js';
import type { CompiledRunbook, CompiledStep, SourceSpan } from './types.js';

/** The span of the node at `pointer` (relative to the step), or of its nearest ancestor that has one. */
export function spanAt(step: CompiledStep, pointer: string): SourceSpan {
  let current = pointer === '/' ? '' : pointer;
  for (;;) {
    const span = step.spans[current];
    if (span) return span;
    if (current === '' || splitPointer(current).length === 0) return step.span;
    current = parentPointer(current);
  }
}

const maps = new WeakMap<object, Map<string, SourceMap>>();

function sourceMap(runbook: CompiledRunbook, file: string): SourceMap | undefined {
  const text = runbook.sources[file];
  if (text === undefined) return undefined;
  let byFile = maps.get(runbook);
  if (!byFile) maps.set(runbook, (byFile = new Map()));
  let map = byFile.get(file);
  if (!map) byFile.set(file, (map = new SourceMap(file, text)));
  return map;
}

/**
 * The span of the `{{` a TemplateError points at, for a template found at `pointer` in a step (add the
 * error's own `pointer` when it came from renderDeep of a sub-value). Falls back to the template's span.
 */
export function templateErrorSpan(
  runbook: CompiledRunbook,
  step: CompiledStep,
  pointer: string,
  err: TemplateError,
): SourceSpan {
  const full = pointer + (err.pointer ?? '');
  const span = spanAt(step, full);
  const map = sourceMap(runbook, span.file);
  if (!map) return span;
  const template = valueAt(step, full);
  return typeof template === 'string' ? map.templateSpan(span, template, err.offset) : span;
}

/** The raw value at a pointer relative to a compiled step (common keys and fields alike). */
function valueAt(step: CompiledStep, pointer: string): unknown {
  const parts = splitPointer(pointer);
  const first = parts.shift();
  if (first === undefined) return undefined;
  const rootValues: Record<string, unknown> = {
    id: step.id,
    type: step.type,
    title: step.title,
    if: step.if,
    timeout: step.timeout,
    retry: step.retry,
    capture: step.capture,
    ignoreErrors: step.ignoreErrors,
    onResume: step.onResume,
  };
  let current: unknown = first in rootValues ? rootValues[first] : step.fields[first];
  for (const part of parts) {
    if (
      current === null ||
      typeof current !== 'object' ||
      !Object.prototype.hasOwnProperty.call(current, part)
    )
      return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
