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
      description:
        'sysbench options without the leading --, e.g. threads, tables, table-size, time (- and _ are alike).',
      propertyNames: {
        pattern: '^[a-z][a-z0-9_-]*$',
        // The options buildArgv sets from the connection (CONNECTION_OPTIONS in ./options.ts).
        not: { pattern: '^(mysql[-_](host|port|socket|user|password|db)|db[-_]driver)$' },
        'x-message': {
          not: 'sysbench option "{key}" cannot be set here: the connection supplies the database options',
          pattern: 'sysbench option "{key}" is not an option name (lowercase letters, digits, - and _)',
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
  'and `options` maps sysbench option names (`-` and `_` alike) to values (`threads`, `tables`, ' +
  '`table-size`, `time`, ...), checked against the options sysbench lists for the workload; `mysql-host`, ' +
  '`mysql-port`, `mysql-socket`, `mysql-user`, `mysql-password`, `mysql-db` and `db-driver` come from the ' +
  'connection and cannot be set. The result holds the parsed summary: for prepare `tables` and ' +
  '`rowsInserted`; for run `transactions`, `tps`, `queries`, `qps`, `reads`, `writes`, `other`, `errors`, ' +
  '`reconnects`, `totalTimeSeconds`, `events` and `latency` (`min`, `avg`, `max`, `p95`, `sum`, in ' +
  'milliseconds); and `exitCode` for every command.';
