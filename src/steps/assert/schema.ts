import type { StepSchemaFragment } from '../../runbook/schema/fragment.js';

export const ASSERT_OPERATORS = [
  'equals',
  'notEquals',
  'oneOf',
  'matches',
  'contains',
  'greaterThan',
  'lessThan',
  'exists',
] as const;

export const schema = {
  properties: {
    that: {
      type: 'array',
      minItems: 1,
      description: 'The assertions; all are evaluated and reported.',
      items: {
        type: 'object',
        properties: {
          actual: { description: 'The observed value: a template or a literal.' },
          equals: { description: 'Equal to (numbers and numeric strings compare as numbers).' },
          notEquals: { description: 'Not equal to.' },
          oneOf: { type: 'array', description: 'Equal to one of these values.' },
          matches: { type: 'string', description: 'A regular expression the value matches.' },
          contains: { description: 'A substring, or an item of a list.' },
          greaterThan: { description: 'A number the value is greater than.' },
          lessThan: { description: 'A number the value is less than.' },
          exists: { type: 'boolean', description: 'true: the value is not null or undefined; false: it is.' },
          message: { type: 'string', description: 'What the assertion means, shown when it fails.' },
        },
        required: ['actual'],
        additionalProperties: false,
        oneOf: ASSERT_OPERATORS.map((operator) => ({ required: [operator] })),
        'x-message': { oneOf: 'an assertion needs exactly one operator' },
      },
    },
  },
  required: ['that'],
} satisfies StepSchemaFragment;

export const docs =
  'Checks values. `that` is a list of assertions, each with `actual` (a template or literal), exactly one ' +
  'operator — `equals`, `notEquals`, `oneOf` (a list), `matches` (a regular expression), `contains`, ' +
  '`greaterThan`, `lessThan` or `exists` (true/false) — and an optional `message`. Numbers and numeric ' +
  'strings compare as numbers; `greaterThan` and `lessThan` order numbers and ISO-8601 instants. Every ' +
  'assertion is evaluated; a failure shows both sides and the message.';
