import type { StepSchemaFragment } from '../../runbook/schema/fragment.js';

export const schema = {
  properties: {
    connection: { $ref: '#/$defs/connectionName' },
    query: {
      type: 'string',
      minLength: 1,
      description: 'One SQL statement; use ? placeholders with `params` for values.',
    },
    params: {
      type: 'array',
      description: 'Values bound to the ? placeholders, in order; templates allowed.',
    },
  },
  required: ['connection', 'query'],
} satisfies StepSchemaFragment;

export const docs =
  'Runs one SQL statement on a named connection. `query` is a single statement; values go in `params`, bound ' +
  'to `?` placeholders (templates allowed), never spliced into the text. The result is ' +
  '`{rows, rowCount, affectedRows}` with each row an object keyed by column name.';
