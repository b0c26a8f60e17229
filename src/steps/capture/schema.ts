import type { StepSchemaFragment } from '../../runbook/schema/fragment.js';

export const schema = {
  properties: {
    name: { $ref: '#/$defs/captureName' },
    value: {
      description: 'A template or literal; its value is captured.',
    },
    serverTime: {
      $ref: '#/$defs/connectionName',
      description: "A connection name: captures that database server's clock (UTC, microseconds).",
    },
  },
  required: ['name'],
  constraints: {
    oneOf: [{ required: ['value'] }, { required: ['serverTime'] }],
  },
} satisfies StepSchemaFragment;

export const docs =
  'Records a named value in the run record and in `captures`. Give exactly one of `value` (a template or ' +
  'literal) or `serverTime` (a connection name), which captures the database server clock with ' +
  '`SELECT UTC_TIMESTAMP(6)` as an unambiguous UTC instant, ISO-8601 with microseconds and `Z`.';
