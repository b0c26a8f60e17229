import type { StepSchemaFragment } from '../../runbook/schema/fragment.js';
import { schema as aws } from '../aws/schema.js';
import { schema as sql } from '../sql/schema.js';

export const schema = {
  properties: {
    duration: { $ref: '#/$defs/duration', description: 'Just wait this long.' },
    probe: {
      type: 'object',
      description: 'An inline aws or sql step body (no id) polled until its value is one of `success`.',
      required: ['type'],
      properties: {
        type: { enum: ['aws', 'sql'], description: 'The probe step type.' },
      },
      allOf: [
        {
          if: { properties: { type: { const: 'aws' } }, required: ['type'] },
          then: {
            properties: { type: true, ...aws.properties },
            required: aws.required,
            additionalProperties: false,
          },
        },
        {
          if: { properties: { type: { const: 'sql' } }, required: ['type'] },
          then: {
            properties: { type: true, ...sql.properties },
            required: sql.required,
            additionalProperties: false,
          },
        },
      ],
    },
    value: {
      type: 'string',
      description: "Template over `result` (the probe's result): the observed value.",
    },
    until: {
      type: 'string',
      description:
        'Template over `result` (the probe\'s result) that ends the wait when it renders truthy, e.g. "{{gte result.DBClusters.0.LatestRestorableTime captures.marker}}". Instead of value/success/failure.',
    },
    success: { type: 'array', minItems: 1, description: 'Values that end the wait successfully.' },
    failure: { type: 'array', description: 'Terminal values that fail the wait at once.' },
    interval: { $ref: '#/$defs/duration', description: 'First poll interval (default 2s).' },
    backoff: { type: 'number', minimum: 1, description: 'Interval multiplier per poll (default 1.5).' },
    maxInterval: { $ref: '#/$defs/duration', description: 'Longest poll interval (default 30s).' },
    timeout: { $ref: '#/$defs/duration', description: 'Overall limit (default 30m).' },
  },
  constraints: {
    oneOf: [{ required: ['duration'] }, { required: ['probe'] }],
    dependentRequired: { value: ['success'], success: ['value'], failure: ['value'] },
    dependentSchemas: {
      probe: {
        oneOf: [{ required: ['value'] }, { required: ['until'] }],
        'x-message': {
          oneOf: 'a wait with a probe needs exactly one of `value` (with `success`) or `until`',
        },
      },
    },
  },
} satisfies StepSchemaFragment;

export const docs =
  'Waits. Either `duration` (just wait), or `probe` — an inline `aws` or `sql` step body without an id — ' +
  'polled until `value` (a template over `result`, the probe result) is one of `success` (a value in ' +
  '`failure` fails at once), or until `until` (a template over `result`) renders truthy. The first poll is immediate; then `interval` (default 2s) grows by `backoff` ' +
  '(default 1.5) up to `maxInterval` (default 30s), within `timeout` (default 30m). A timeout shows the last ' +
  'observed value and the elapsed time. The result is the last probe result plus `observed`, `polls` and ' +
  '`elapsedMs`.';
