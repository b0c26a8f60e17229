/**
 * The destructive-step guard, front-end half: the static check that a destructive step only targets what the
 * runbook created or declared disposable. What a step creates and destroys is its type's to say (the
 * `creates` and `destroys` facets, src/steps/statics.ts). What cannot be decided before the run (a template
 * target) is checked by src/engine/guard.ts.
 */
import type { ResourceKind } from '../steps/static-types.js';
import { creationsOf, destructionsOf } from '../steps/statics.js';
import { error } from './diagnostic.js';
import { splitPointer } from './pointer.js';
import { isTemplate } from './template.js';
import type { CompiledStep, ConnectionSpec, Diagnostic, DisposableSpec } from './types.js';

export const GUARD_HINT =
  'mark the connection `disposable: true` if the runbook may destroy its data, or run with --allow-destructive';

/** The value written at `pointer` of the step, or undefined for a template: known before the run. */
function literalAt(step: CompiledStep, pointer: string): unknown {
  let value: unknown = step.fields;
  for (const segment of splitPointer(pointer)) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return typeof value === 'string' && isTemplate(value) ? undefined : value;
}

interface StaticSubject {
  connections: Record<string, ConnectionSpec>;
  disposable: DisposableSpec;
  /** Steps then finally steps, in run order. */
  steps: CompiledStep[];
}

/**
 * The static half of the guard: destructive SQL (and sysbench cleanup) on a connection that is not
 * disposable, and destructive AWS operations on a literal identifier that no earlier step creates and the
 * runbook does not declare disposable. Template targets are left to the run-time check.
 */
export function checkDestructive(subject: StaticSubject): Diagnostic[] {
  const out: Diagnostic[] = [];
  const finallyStart = subject.steps.findIndex((step) => step.cleanup);
  const created = (kind: ResourceKind, index: number): { literal: Set<string>; templated: boolean } => {
    const literal = new Set<string>();
    let templated = false;
    const visibleUpTo = finallyStart >= 0 && index >= finallyStart ? subject.steps.length : index;
    for (const step of subject.steps.slice(0, visibleUpTo)) {
      for (const creation of creationsOf(step)) {
        if (creation.kind !== kind) continue;
        const id = literalAt(step, creation.pointer);
        if (typeof id !== 'string') templated = true;
        else literal.add(id);
      }
    }
    for (const entry of kind === 'cluster' ? subject.disposable.clusters : subject.disposable.instances) {
      if (isTemplate(entry)) templated = true;
      else literal.add(entry);
    }
    return { literal, templated };
  };

  subject.steps.forEach((step, index) => {
    for (const destruction of destructionsOf(step, (pointer) => literalAt(step, pointer))) {
      const span = step.spans[destruction.pointer] ?? step.span;
      if (destruction.on === 'connection') {
        const connection = subject.connections[destruction.connection];
        if (!connection || connection.disposable) continue;
        out.push(
          error(
            'destructive-step',
            `step "${step.id}" runs ${destruction.what} on connection "${connection.name}", which is not disposable`,
            span.file,
            span,
            GUARD_HINT,
          ),
        );
        continue;
      }
      const { on: kind, operation, id } = destruction;
      const known = created(kind, index);
      if (known.templated || known.literal.has(id)) continue;
      out.push(
        error(
          'destructive-step',
          `step "${step.id}" calls ${operation} on ${kind} "${id}", which no earlier step creates and the runbook does not declare disposable`,
          span.file,
          span,
          `add it under \`disposable: {${kind}s: [...]}\` if the runbook may destroy it, or run with --allow-destructive`,
        ),
      );
    }
  });
  return out;
}
