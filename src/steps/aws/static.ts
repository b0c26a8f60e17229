/**
 * The aws step type's static facets (see ../static-types.ts): params checked against the operation's input
 * model, and the operation's output shape as the step's result type.
 */
import type { ValueType } from '../../runbook/value-type.js';
import type { StepStatics } from '../static-types.js';
import { operationModel } from './model.js';
import { awsBody, checkAwsBody } from './params-check.js';

export const awsStatics: StepStatics = {
  check: (step, ctx) => checkAwsBody(step.fields, '', ctx),
  resultType: (step) => awsResultType(step.fields),
};

/** The output shape of the aws body `fields`; `any` when the operation is unknown. */
export function awsResultType(fields: Record<string, unknown>): ValueType {
  const body = awsBody(fields);
  return (body && operationModel(body.service, body.operation)?.output) ?? { kind: 'any' };
}
