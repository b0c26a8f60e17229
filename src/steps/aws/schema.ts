import type { StepSchemaFragment } from '../../runbook/schema/fragment.js';

export const schema = {
  properties: {
    service: {
      enum: ['rds', 'cloudformation'],
      default: 'rds',
      description: 'The AWS service to call.',
    },
    operation: {
      type: 'string',
      pattern: '^[A-Z][A-Za-z0-9]*$',
      'x-message': {
        pattern: 'an operation is an SDK v3 command name without the Command suffix, e.g. DescribeDBClusters',
      },
      description: 'An SDK v3 command name without the `Command` suffix, e.g. RestoreDBClusterToPointInTime.',
    },
    params: {
      type: 'object',
      description: 'The command input; templates are allowed anywhere inside.',
    },
  },
  required: ['operation'],
} satisfies StepSchemaFragment;

export const docs =
  'Calls one AWS API operation through the AWS SDK v3. `service` is `rds` (default) or `cloudformation`; ' +
  '`operation` is the SDK command name without the `Command` suffix (checked against the SDK when the runbook ' +
  'is validated); `params` is the command input, with templates allowed anywhere inside. The result is the ' +
  'SDK output without `$metadata`, with dates as ISO-8601 strings.';
