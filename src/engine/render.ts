/**
 * Rendering a step's templates at run time, with positions: every string is rendered where it stands
 * (addressed by a JSON pointer into the step), so a template error points at that template in the file.
 */
import {
  isTruthy as templateTruthy,
  parseDuration,
  renderTemplate,
  spanAt,
  TemplateError,
} from '../runbook/index.js';
import { SourceMap } from '../runbook/source-map.js';
import type { CompiledStep, SourceSpan } from '../runbook/types.js';
import { StepError } from '../core/errors.js';

export { spanAt };

/** What templates can see. `result` exists only inside a step's `capture` and a wait's `value`. */
export interface TemplateScope {
  inputs: Record<string, unknown>;
  captures: Record<string, unknown>;
  steps: Record<string, { result?: unknown; status: string }>;
  env: Record<string, string | undefined>;
  result?: unknown;
}

export function fieldAt(step: CompiledStep, pointer: string): unknown {
  let node: unknown = step.fields;
  for (const segment of splitPointer(pointer)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

export function formatSpan(span: SourceSpan | undefined): string | undefined {
  return span ? `${span.file}:${span.start.line}:${span.start.col}` : undefined;
}

/**
 * Renders templates of one runbook. It knows the source files, so a failing template is reported at the
 * `{{` that failed, not just at the start of the YAML value holding it.
 */
export class Renderer {
  private readonly maps = new Map<string, SourceMap>();

  constructor(
    private readonly sources: Record<string, string>,
    private readonly now?: () => Date,
  ) {}

  /** Renders every string inside `value` as a template; `pointer` locates `value` inside the step. */
  deep(step: CompiledStep, value: unknown, pointer: string, scope: TemplateScope): unknown {
    if (typeof value === 'string') return this.at(step, value, pointer, scope);
    if (Array.isArray(value)) return value.map((item, i) => this.deep(step, item, `${pointer}/${i}`, scope));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        out[key] = this.deep(step, item, `${pointer}/${escapePointer(key)}`, scope);
      }
      return out;
    }
    return value;
  }

  /** Renders one template string found at `pointer` in the step. */
  at(step: CompiledStep, template: string, pointer: string, scope: TemplateScope): unknown {
    return this.withSpan(template, scope, spanAt(step, pointer));
  }

  /** Renders one template whose YAML value starts at `span`; a failure becomes a StepError there. */
  withSpan(template: string, scope: TemplateScope, span: SourceSpan): unknown {
    if (!template.includes('{{')) return template;
    try {
      return renderTemplate(template, scope, this.now ? { now: this.now } : {});
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const offset = error instanceof TemplateError ? error.offset : undefined;
      throw new StepError(message, {
        code: 'TemplateError',
        kind: 'template',
        span: offset === undefined ? span : this.locate(span, template, offset),
        hint: error instanceof TemplateError ? error.hint : undefined,
        cause: error,
      });
    }
  }

  /** The span of the `{{` at `offset` in a template whose YAML value starts at `span`. */
  locate(span: SourceSpan, template: string, offset: number): SourceSpan {
    const source = this.sources[span.file];
    if (source === undefined) return span;
    let map = this.maps.get(span.file);
    if (!map) this.maps.set(span.file, (map = new SourceMap(span.file, source)));
    return map.templateSpan(span, template, offset);
  }
}

/** Milliseconds for a duration value (already rendered); a bad one is an error at `span`. */
export function durationMs(value: unknown, span: SourceSpan): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  try {
    return parseDuration(String(value));
  } catch (error) {
    throw new StepError((error as Error).message, { code: 'InvalidDuration', kind: 'template', span });
  }
}

/** Truthiness of an `if`: false, null, '', 0, "false", "0" and [] are false (as in templates). */
export const isTruthy = templateTruthy;

export function splitPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
