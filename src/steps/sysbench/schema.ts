import type { StepSchemaFragment } from '../../runbook/schema/fragment.js';

export const SYSBENCH_WORKLOADS = [
  'oltp_read_only',
  'oltp_read_write',
  'oltp_write_only',
  'oltp_point_select',
  'oltp_insert',
  'oltp_delete',
  'oltp_update_index',
  'oltp_update_non_index',
  'select_random_points',
  'select_random_ranges',
  'bulk_insert',
] as const;

export const schema = {
  properties: {
    connection: { $ref: '#/$defs/connectionName' },
    workload: {
      enum: [...SYSBENCH_WORKLOADS],
      description: 'A sysbench built-in workload.',
    },
    command: {
      enum: ['prepare', 'run', 'cleanup'],
      description: 'prepare creates and loads the tables, run drives the workload, cleanup drops the tables.',
    },
    options: {
      type: 'object',
      description: 'sysbench options without the leading --, e.g. threads, tables, table-size, time.',
      propertyNames: {
        pattern: '^[a-z][a-z0-9-]*$',
        not: { pattern: '^(mysql-|pgsql-|db-driver$)' },
        'x-message': {
          not: 'sysbench option "{key}" cannot be set here: the connection supplies the database options',
          pattern: 'sysbench option "{key}" is not an option name (lowercase letters, digits and -)',
        },
      },
      additionalProperties: {
        type: ['string', 'number', 'boolean'],
      },
    },
  },
  required: ['connection', 'workload', 'command'],
} satisfies StepSchemaFragment;

export const docs =
  'Runs the real sysbench binary (with an argument vector, never a shell) against a named connection. ' +
  '`workload` is a built-in workload such as `oltp_write_only`, `command` is `prepare`, `run` or `cleanup`, ' +
  'and `options` maps sysbench option names to values (`threads`, `tables`, `table-size`, `time`, ...); the ' +
  '`mysql-*` options come from the connection and cannot be set. The result holds the parsed summary: for ' +
  'prepare `tables` and `rowsInserted`, for run `transactions`, `tps`, `queries`, `qps`, latency ' +
  '`min/avg/max/p95`, `errors` and `reconnects`, plus `exitCode`.';
