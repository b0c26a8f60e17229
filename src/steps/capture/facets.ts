/**
 * What the capture step type knows besides its result type (./static.ts): it makes the capture its `name`
 * says, and `serverTime` names the connection whose clock it reads.
 */
import type { CapturedName, FieldUse, StepFacets } from '../static-types.js';

export const captureFacets: StepFacets = {
  connections: (step): FieldUse[] =>
    step.fields.serverTime === undefined ? [] : [{ pointer: '/serverTime', value: step.fields.serverTime }],
  // The step's result is { name, value } (see execute.ts): `value` is what later steps read as captures.<name>.
  capturedNames: (step): CapturedName[] =>
    typeof step.fields.name === 'string'
      ? [{ pointer: '/name', value: step.fields.name, member: 'value' }]
      : [],
};
