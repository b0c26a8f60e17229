/**
 * What the wait-until step type knows besides its checks (./static.ts): its probe is an aws or sql body, run
 * as a step of that type (the connection it uses, what it destroys are the probe's), whose result is `result`
 * in `value`.
 */
import type { CompiledStep } from '../../runbook/types.js';
import type { ValueType } from '../../runbook/value-type.js';
import { awsStatics } from '../aws/static.js';
import { sqlStatics } from '../sql/static.js';
import type { StaticContext, StepStatics } from '../static-types.js';

const PROBE_STATICS: Record<string, StepStatics> = { aws: awsStatics, sql: sqlStatics };

/** The probe as a step of its own type (fields are the probe's), for delegating to that type. */
export function probeStep(step: CompiledStep): CompiledStep | undefined {
  const probe = step.fields.probe;
  if (probe === null || typeof probe !== 'object' || Array.isArray(probe)) return undefined;
  const type = (probe as Record<string, unknown>).type;
  if (type !== 'aws' && type !== 'sql') return undefined;
  const prefix = '/probe';
  const spans: CompiledStep['spans'] = {};
  for (const [pointer, span] of Object.entries(step.spans))
    if (pointer === prefix || pointer.startsWith(`${prefix}/`)) spans[pointer.slice(prefix.length)] = span;
  return {
    ...step,
    type,
    fields: probe as Record<string, unknown>,
    span: step.spans[prefix] ?? step.span,
    spans,
  };
}

/** The type of one result of the probe. */
export function probeResultType(step: CompiledStep, ctx: StaticContext): ValueType {
  const probe = probeStep(step);
  if (!probe) return { kind: 'any' };
  return PROBE_STATICS[probe.type]?.resultType?.(probe, ctx) ?? { kind: 'any' };
}

export const waitUntilFacets: StepStatics = {
  resultScopes: (step) => [
    { pointer: step.fields.until === undefined ? '/value' : '/until', type: probeResultType },
  ],
  nested: (step) => {
    const probe = probeStep(step);
    return probe ? [{ pointer: '/probe', step: probe }] : [];
  },
};
