/**
 * What the aws step type knows besides its checks (./static.ts): its operation must be one of its service's,
 * and the RDS operations that create a cluster or instance, or destroy or change one, name it in a parameter.
 */
import { didYouMean } from '../../runbook/did-you-mean.js';
import { isMapping } from '../../runbook/expand.js';
import type { StaticProblem } from '../../runbook/value-type.js';
import type { StepFacets } from '../static-types.js';
import { CLOUDFORMATION_OPERATIONS, RDS_OPERATIONS } from './operations.generated.js';
import { CREATING_AWS_OPERATIONS, DESTRUCTIVE_AWS_OPERATIONS } from './rds-resources.js';

const OPERATIONS: Record<string, ReadonlySet<string>> = {
  rds: new Set(RDS_OPERATIONS),
  cloudformation: new Set(CLOUDFORMATION_OPERATIONS),
};

function isRds(fields: Record<string, unknown>): boolean {
  return fields.service === undefined || fields.service === 'rds';
}

function checkOperation(fields: Record<string, unknown>): StaticProblem[] {
  const operation = fields.operation;
  if (typeof operation !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(operation)) return [];
  const service = typeof fields.service === 'string' ? fields.service : 'rds';
  const known = OPERATIONS[service];
  if (!known || known.has(operation)) return [];
  let hint = didYouMean(operation, known);
  if (operation.endsWith('Command') && known.has(operation.slice(0, -7)))
    hint = `drop the Command suffix: "${operation.slice(0, -7)}"`;
  for (const [other, names] of Object.entries(OPERATIONS)) {
    if (other !== service && names.has(operation))
      hint = `${operation} is a ${other} operation; add \`service: ${other}\``;
  }
  return [
    {
      pointer: '/operation',
      code: 'unknown-aws-operation',
      message: `unknown ${service} operation "${operation}"`,
      ...(hint ? { hint } : {}),
    },
  ];
}

export const awsFacets: StepFacets = {
  checkNames: (step) => checkOperation(step.fields),
  creates: (step) => {
    const creating = CREATING_AWS_OPERATIONS[String(step.fields.operation)];
    if (!creating || !isRds(step.fields) || !isMapping(step.fields.params)) return [];
    return [{ kind: creating.kind, pointer: `/params/${creating.param}` }];
  },
  destroys: (step, read) => {
    const operation = String(step.fields.operation);
    const destructive = DESTRUCTIVE_AWS_OPERATIONS[operation];
    if (!destructive || !isRds(step.fields) || !isMapping(step.fields.params)) return [];
    const pointer = `/params/${destructive.param}`;
    const id = read(pointer);
    if (typeof id !== 'string') return [];
    return [
      { on: destructive.kind, operation, id, pointer, ...(destructive.removes ? { removes: true } : {}) },
    ];
  },
};
