/**
 * `labrun plan`: what each step would do, with inputs filled in and nothing run. Values that only exist at
 * run time (captures, step results, `result`) show as placeholders like <captures.afterDrop>, and secrets
 * as ****.
 */
import { renderTemplate, templateReferences } from '../runbook/index.js';
import type { CompiledRunbook, CompiledStep, SourceSpan } from '../runbook/types.js';
import { stepType } from '../steps/registry.js';
import { capturedNamesOf } from '../steps/statics.js';
import type { PlanContext } from '../steps/types.js';
import { Masker } from './mask.js';
import { escapePointer, fieldAt, formatSpan, Renderer, type TemplateScope } from './render.js';

export interface PlannedStep {
  id: string;
  type: string;
  title?: string;
  cleanup: boolean;
  mutating: boolean;
  /** The `if` condition, when the step has one. */
  condition?: unknown;
  summary: string;
  detail?: unknown;
  span: string;
  /** The captures the step sets (its `capture:` names, and what it captures by its nature). */
  captures: string[];
}

export interface PlanOptions {
  inputs: Record<string, unknown>;
  env?: Record<string, string | undefined>;
}

const RUN_TIME_ROOTS = new Set(['captures', 'steps', 'result']);

export function planRunbook(runbook: CompiledRunbook, options: PlanOptions): PlannedStep[] {
  const masker = new Masker();
  for (const spec of runbook.inputs)
    if (spec.secret) masker.add(options.inputs[spec.name], `secret input ${spec.name}`);
  const scope: TemplateScope = {
    inputs: options.inputs,
    captures: {},
    steps: {},
    env: options.env ?? { ...process.env },
  };
  const renderer = new Renderer(runbook.sources);
  const show = (template: string, span: SourceSpan): unknown => planTemplate(template, scope, span, renderer);

  const plannedConnection = (name: string): Record<string, unknown> => {
    const spec = runbook.connections[name];
    if (!spec) return { host: `<unknown connection ${name}>`, port: '', user: '', password: '' };
    const field = (key: 'host' | 'port' | 'user' | 'password' | 'database'): unknown => {
      const raw = spec[key];
      return typeof raw === 'string' ? show(raw, spec.fieldSpans[key] ?? spec.span) : raw;
    };
    const password = field('password');
    if (typeof password === 'string' && !/^<.*>$/.test(password))
      masker.add(password, `the password of connection ${name}`);
    return {
      host: field('host'),
      port: field('port'),
      user: field('user'),
      password,
      database: field('database'),
    };
  };

  return [...runbook.steps, ...runbook.finally].map((step) => {
    const type = stepType(step.type);
    const ctx: PlanContext = {
      step,
      field: (pointer) => fieldAt(step, pointer),
      render: (pointer) => deepPlan(step, fieldAt(step, pointer), pointer, show),
      connectionSettings: (name) => plannedConnection(name) as ReturnType<PlanContext['connectionSettings']>,
    };
    const action = type.plan(step, ctx);
    const mutating = typeof type.mutating === 'function' ? type.mutating(step) : type.mutating;
    return masker.deep({
      id: step.id,
      type: step.type,
      ...(step.title ? { title: step.title } : {}),
      cleanup: step.cleanup,
      mutating,
      ...(step.if === undefined ? {} : { condition: show(step.if, step.spans['/if'] ?? step.span) }),
      summary: action.summary,
      ...(action.detail === undefined ? {} : { detail: action.detail }),
      span: formatSpan(step.span)!,
      captures: capturesOf(step),
    });
  });
}

/** The names a step sets under `captures`: what it captures by its nature, then its `capture:` mapping. */
function capturesOf(step: CompiledStep): string[] {
  const names = capturedNamesOf(step)
    .map((c) => c.value)
    .filter((name): name is string => typeof name === 'string');
  return [...new Set([...names, ...Object.keys(step.capture ?? {})])];
}

function deepPlan(
  step: CompiledStep,
  value: unknown,
  pointer: string,
  show: (template: string, span: SourceSpan) => unknown,
): unknown {
  if (typeof value === 'string') return show(value, step.spans[pointer] ?? step.span);
  if (Array.isArray(value)) return value.map((item, i) => deepPlan(step, item, `${pointer}/${i}`, show));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = deepPlan(step, item, `${pointer}/${escapePointer(key)}`, show);
    }
    return out;
  }
  return value;
}

/**
 * Renders what is known now. Each `{{...}}` that refers to a run-time value becomes `<its source>`; the
 * others are rendered, so `{{inputs.clusterName}}-clone` shows the real name.
 */
export function planTemplate(
  template: string,
  scope: TemplateScope,
  span: SourceSpan,
  renderer: Renderer,
): unknown {
  if (!template.includes('{{')) return template;
  const references = templateReferences(template);
  const runTime = new Set(references.filter((r) => RUN_TIME_ROOTS.has(r.path[0] ?? '')).map((r) => r.offset));
  if (runTime.size === 0) return renderer.withSpan(template, scope, span);
  if (/\{\{[#^/]/.test(template)) return `<${template}>`;
  const whole = /^\{\{\s*([\s\S]*?)\s*\}\}$/.exec(template);
  if (whole && !whole[1]!.includes('}}')) return `<${whole[1]}>`;
  return template.replace(/\{\{\s*([\s\S]*?)\s*\}\}/g, (source: string, inner: string, offset: number) => {
    if (runTime.has(offset)) return `<${inner}>`;
    const value = renderTemplate(source, scope);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
