/**
 * The wait-until step type's static facets (see ../static-types.ts). The probe is checked as the step type
 * it is (an aws probe's params against the operation's model, an sql probe by the sql statics); `success`
 * and `failure` values on a known status field are checked against that field's documented vocabulary. The
 * result type is the probe's result plus `observed`, `polls` and `elapsedMs` (or `waitedMs` for a
 * `duration` wait).
 */
import { closest } from '../../runbook/did-you-mean.js';
import { joinPointer } from '../../runbook/pointer.js';
import { isTemplate, templateReferences } from '../../runbook/template.js';
import type { CompiledStep } from '../../runbook/types.js';
import type { StaticProblem, ValueType } from '../../runbook/value-type.js';
import { STATUS_FIELDS, type StatusVocabulary } from '../aws/curated.js';
import { awsBody, checkAwsBody } from '../aws/params-check.js';
import { awsResultType } from '../aws/static.js';
import { isRecord, matchMember } from '../aws/value-kinds.js';
import { sqlStatics } from '../sql/static.js';
import type { StepStatics } from '../static-types.js';
import { probeResultType, probeStep } from './facets.js';

export const waitUntilStatics: StepStatics = {
  check: (step, ctx) => {
    const probe = step.fields.probe;
    if (!isRecord(probe)) return [];
    if (probe.type === 'aws')
      return [...checkAwsBody(probe, '/probe', ctx), ...checkStatusValues(step, probe)];
    const sqlProbe = probe.type === 'sql' ? probeStep(step) : undefined;
    if (sqlProbe) {
      return (sqlStatics.check?.(sqlProbe, ctx) ?? []).map((problem) => ({
        ...problem,
        pointer: `/probe${problem.pointer}`,
      }));
    }
    return [];
  },
  resultType: (step, ctx) => {
    if (step.fields.duration !== undefined) return WAITED;
    const probe = step.fields.probe;
    if (!isRecord(probe)) return ANY;
    const type = probeResultType(step, ctx);
    if (type.kind !== 'structure') return ANY;
    return { kind: 'structure', members: { ...type.members, ...POLLING } };
  },
};

const ANY: ValueType = { kind: 'any' };
const WAITED: ValueType = { kind: 'structure', members: { waitedMs: { kind: 'number' } } };
/** What a wait adds to the probe's last result. `error` is there when a probe error code was awaited. */
const POLLING: Readonly<Record<string, ValueType>> = {
  observed: ANY,
  polls: { kind: 'number' },
  elapsedMs: { kind: 'number' },
  error: { kind: 'structure', members: { code: { kind: 'string' }, message: { kind: 'string' } } },
};

/**
 * The status field `value` reads, when it is one plain reference to a field with a known vocabulary: a
 * curated one (RDS statuses), or the enum of the generated model (CloudFormation StackStatus).
 */
export function statusVocabulary(
  value: unknown,
  probe: Record<string, unknown>,
): StatusVocabulary | undefined {
  if (!isTemplate(value) || !/^\{\{\s*[^\s{}()]+\s*\}\}$/.test(value)) return undefined;
  let references;
  try {
    references = templateReferences(value);
  } catch {
    return undefined;
  }
  const path = references[0]?.path;
  if (references.length !== 1 || !path || path[0] !== 'result') return undefined;
  const body = awsBody(probe);
  if (!body) return undefined;
  const fieldPath = path.slice(1).map((segment) => (/^\d+$/.test(segment) ? '*' : segment));
  const key = `${body.service} ${body.operation} ${fieldPath.join('.')}`;
  if (Object.hasOwn(STATUS_FIELDS, key)) return STATUS_FIELDS[key];
  let type: ValueType | undefined = awsResultType(probe);
  for (const segment of fieldPath) {
    if (type?.kind === 'list' && segment === '*') type = type.member;
    else if (type?.kind === 'structure' && Object.hasOwn(type.members, segment)) type = type.members[segment];
    else return undefined;
  }
  if (type?.kind !== 'string' || !type.enum) return undefined;
  return {
    field: `${body.operation} ${fieldPath.filter((s) => s !== '*').join('.')}`,
    values: type.enum,
    source: `the ${body.service} API model`,
  };
}

function checkStatusValues(step: CompiledStep, probe: Record<string, unknown>): StaticProblem[] {
  const vocabulary = statusVocabulary(step.fields.value, probe);
  if (!vocabulary) return [];
  const known = vocabulary.caseInsensitive
    ? vocabulary.values.map((v) => v.toLowerCase())
    : vocabulary.values;
  const problems: StaticProblem[] = [];
  for (const key of ['success', 'failure'] as const) {
    const values = step.fields[key];
    if (!Array.isArray(values)) continue;
    values.forEach((value, i) => {
      if (isTemplate(value) || isErrorCode(value)) return;
      const text = typeof value === 'string' ? value : undefined;
      if (text !== undefined && known.includes(vocabulary.caseInsensitive ? text.toLowerCase() : text))
        return;
      const suggestion =
        text === undefined
          ? undefined
          : (matchMember(text, vocabulary.values) ?? closest(text, vocabulary.values));
      problems.push({
        pointer: joinPointer('', key, i),
        code: 'invalid-status-value',
        message: `${JSON.stringify(value)} is not a ${vocabulary.field} value, so the wait would never see it`,
        hint: suggestion
          ? `did you mean "${suggestion}"? (values: ${vocabulary.source})`
          : `Values: ${vocabulary.values.join(', ')} (${vocabulary.source}).`,
      });
    });
  }
  return problems;
}

/**
 * A probe error code a wait may await (`DBClusterNotFoundFault` while waiting for a deletion): a PascalCase
 * identifier of two words or more, a form no status value has.
 */
function isErrorCode(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    /^[A-Z][A-Za-z0-9]*$/.test(value) &&
    /[a-z]/.test(value) &&
    (value.match(/[A-Z]/g)?.length ?? 0) >= 2
  );
}
