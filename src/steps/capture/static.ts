/** The capture step type's static facets: see ../static-types.ts. */
import type { ValueType } from '../../runbook/value-type.js';
import type { StaticContext, StepStatics } from '../static-types.js';

const ANY: ValueType = { kind: 'any' };

/** The type of a value written in the runbook: a template's type, or a literal's. */
function typeOfValue(value: unknown, ctx: StaticContext): ValueType {
  if (typeof value === 'string') return ctx.typeOf(value) ?? ANY;
  if (typeof value === 'boolean') return { kind: 'boolean' };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'integer' } : { kind: 'number' };
  if (Array.isArray(value)) {
    const types = value.map((item) => typeOfValue(item, ctx));
    const first = types[0];
    const same = first !== undefined && types.every((t) => JSON.stringify(t) === JSON.stringify(first));
    return { kind: 'list', member: same ? first : ANY };
  }
  if (value !== null && typeof value === 'object') {
    const members: Record<string, ValueType> = {};
    for (const [key, item] of Object.entries(value)) members[key] = typeOfValue(item, ctx);
    return { kind: 'structure', members };
  }
  return ANY;
}

/** The type of the captured value: server time is a timestamp; `value` has its template's or literal's type. */
export function capturedType(fields: Record<string, unknown>, ctx: StaticContext): ValueType {
  if (fields.serverTime !== undefined) return { kind: 'timestamp' };
  return typeOfValue(fields.value, ctx);
}

export const captureStatics: StepStatics = {
  // The step's result is { name, value } (see execute.ts); `value` is what later steps read as captures.<name>.
  resultType: (step, ctx) => ({
    kind: 'structure',
    members: { name: { kind: 'string' }, value: capturedType(step.fields, ctx) },
    required: ['name', 'value'],
  }),
};
