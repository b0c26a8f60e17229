/**
 * What a step does, as a digest, and the inputs it reads: `labrun run --from` restores the steps before the
 * named one from an earlier run only when each is still the step that ran there (same digest) and the inputs
 * it reads still have the values that run had.
 *
 * The digest covers everything that decides what the step does and what it leaves in scope: its type and
 * type-specific fields, `if`, `capture`, `timeout`, `retry`, `ignoreErrors`, whether it is a `finally` step,
 * and the connections it uses (host, port, user, database, disposable; never the password). Not its title,
 * its guide text, its `onResume` or where it stands in the file, so moving a step down or rewording its title
 * keeps the results of the steps before it.
 */
import { createHash } from 'node:crypto';
import { templateReferences } from '../runbook/index.js';
import type { CompiledRunbook, CompiledStep } from '../runbook/types.js';
import { connectionsOf } from '../steps/statics.js';

export function stepDigest(runbook: CompiledRunbook, step: CompiledStep): string {
  const text = canonical({ definition: definition(step), connections: connectionsUsed(runbook, step) });
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** The names of the inputs the step's templates (and those of the connections it uses) read. */
export function inputsRead(runbook: CompiledRunbook, step: CompiledStep): string[] {
  const names = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (!value.includes('{{')) return;
      let references;
      try {
        references = templateReferences(value);
      } catch {
        return;
      }
      for (const reference of references) {
        if (reference.path[0] === 'inputs' && reference.path[1] !== undefined) names.add(reference.path[1]);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      Object.values(value as Record<string, unknown>).forEach(visit);
    }
  };
  visit(definition(step));
  for (const spec of Object.values(connectionsUsed(runbook, step))) visit(spec);
  const password = connectionNames(step).map((name) => runbook.connections[name]?.password);
  visit(password);
  return [...names];
}

function definition(step: CompiledStep): Record<string, unknown> {
  return {
    type: step.type,
    cleanup: step.cleanup,
    fields: step.fields,
    ...(step.if === undefined ? {} : { if: step.if }),
    ...(step.timeout === undefined ? {} : { timeout: step.timeout }),
    ...(step.retry === undefined ? {} : { retry: step.retry }),
    ...(step.capture === undefined ? {} : { capture: step.capture }),
    ...(step.ignoreErrors === undefined ? {} : { ignoreErrors: step.ignoreErrors }),
  };
}

function connectionNames(step: CompiledStep): string[] {
  return connectionsOf(step)
    .map((use) => use.value)
    .filter((name): name is string => typeof name === 'string');
}

function connectionsUsed(runbook: CompiledRunbook, step: CompiledStep): Record<string, unknown> {
  const used: Record<string, unknown> = {};
  for (const name of connectionNames(step)) {
    const spec = runbook.connections[name];
    used[name] = spec
      ? {
          host: spec.host,
          port: spec.port,
          user: spec.user,
          database: spec.database,
          disposable: spec.disposable,
        }
      : null;
  }
  return used;
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
