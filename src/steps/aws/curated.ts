/**
 * Values the generated models do not know: members the API reference documents a closed set of values for
 * although the SDK types them as plain strings, and the status vocabularies of the resources a lab waits on.
 * Each table cites the AWS documentation page it was taken from. Kept small on purpose: only what lab
 * runbooks use, so that it is reviewed when those pages change.
 */

/** A documented value AWS no longer accepts, and what to use instead. */
export interface RetiredValue {
  replacement: string;
  why: string;
}

export interface KnownValues {
  values: readonly string[];
  retired?: Readonly<Record<string, RetiredValue>>;
  /** The AWS documentation page the values come from. */
  source: string;
}

/**
 * RDS input members by name, wherever they appear in an operation's input. A value outside `values` is an
 * error; a value in `retired` is a warning naming the replacement.
 */
export const RDS_MEMBER_VALUES: Readonly<Record<string, KnownValues>> = {
  RestoreType: {
    values: ['copy-on-write', 'full-copy'],
    source:
      'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterToPointInTime.html',
  },
  Engine: {
    // CreateDBInstance's valid values, which include every engine CreateDBCluster accepts.
    values: [
      'aurora-mysql',
      'aurora-postgresql',
      'custom-oracle-ee',
      'custom-oracle-ee-cdb',
      'custom-oracle-se2',
      'custom-oracle-se2-cdb',
      'custom-sqlserver-dev',
      'custom-sqlserver-ee',
      'custom-sqlserver-se',
      'custom-sqlserver-web',
      'db2-ae',
      'db2-se',
      'mariadb',
      'mysql',
      'oracle-ee',
      'oracle-ee-cdb',
      'oracle-se2',
      'oracle-se2-cdb',
      'postgres',
      'sqlserver-dev-ee',
      'sqlserver-ee',
      'sqlserver-ex',
      'sqlserver-se',
      'sqlserver-web',
    ],
    retired: {
      aurora: {
        replacement: 'aurora-mysql',
        why: 'the Aurora MySQL 1 (MySQL 5.6) engine name, no longer among the valid values',
      },
    },
    source: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html',
  },
};

/** The vocabulary of one status field, for a wait's `success` and `failure` values. */
export interface StatusVocabulary {
  /** What the field is, for messages: "DB cluster Status". */
  field: string;
  values: readonly string[];
  /** Compare without regard to case (backtrack statuses are documented lower case, answered upper case). */
  caseInsensitive?: boolean;
  source: string;
}

/**
 * The failure states of the SDK's DBClusterAvailable/DBInstanceAvailable waiters, which a wait may list
 * although the status pages do not (`deleted` is what the waiters call a resource that is gone).
 */
const WAITER_FAILURE_STATES = [
  'deleted',
  'deleting',
  'failed',
  'incompatible-restore',
  'incompatible-parameters',
];

const CLUSTER_STATUS: StatusVocabulary = {
  field: 'DB cluster Status',
  values: unique([
    'available',
    'backing-up',
    'backtracking',
    'cloning-failed',
    'creating',
    'deleting',
    'failing-over',
    'inaccessible-encryption-credentials',
    'inaccessible-encryption-credentials-recoverable',
    'maintenance',
    'migrating',
    'migration-failed',
    'modifying',
    'promoting',
    'renaming',
    'resetting-master-credentials',
    'starting',
    'stopped',
    'stopping',
    'storage-optimization',
    'update-iam-db-auth',
    'upgrading',
    ...WAITER_FAILURE_STATES,
  ]),
  source: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Status.html',
};

const INSTANCE_STATUS: StatusVocabulary = {
  field: 'DB instance DBInstanceStatus',
  values: unique([
    'available',
    'backing-up',
    'configuring-enhanced-monitoring',
    'configuring-iam-database-auth',
    'configuring-log-exports',
    'converting-to-vpc',
    'creating',
    'delete-precheck',
    'deleting',
    'failed',
    'inaccessible-encryption-credentials',
    'inaccessible-encryption-credentials-recoverable',
    'incompatible-network',
    'incompatible-option-group',
    'incompatible-parameters',
    'incompatible-restore',
    'insufficient-capacity',
    'maintenance',
    'modifying',
    'moving-to-vpc',
    'rebooting',
    'resetting-master-credentials',
    'renaming',
    'restore-error',
    'starting',
    'stopped',
    'stopping',
    'storage-config-upgrade',
    'storage-full',
    'storage-initialization',
    'storage-optimization',
    'upgrading',
    ...WAITER_FAILURE_STATES,
  ]),
  source: 'https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/accessing-monitoring.html',
};

const BACKTRACK_STATUS: StatusVocabulary = {
  field: 'backtrack Status',
  values: ['applying', 'completed', 'failed', 'pending'],
  caseInsensitive: true,
  source: 'https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBClusterBacktrack.html',
};

/**
 * Status fields by service, operation and result path (list indexes as `*`). CloudFormation's StackStatus
 * needs no entry: the generated model has its values.
 */
export const STATUS_FIELDS: Readonly<Record<string, StatusVocabulary>> = {
  'rds DescribeDBClusters DBClusters.*.Status': CLUSTER_STATUS,
  'rds DescribeDBInstances DBInstances.*.DBInstanceStatus': INSTANCE_STATUS,
  'rds DescribeDBClusterBacktracks DBClusterBacktracks.*.Status': BACKTRACK_STATUS,
  'rds BacktrackDBCluster Status': BACKTRACK_STATUS,
};

function unique(values: string[]): string[] {
  return [...new Set(values)].sort();
}
