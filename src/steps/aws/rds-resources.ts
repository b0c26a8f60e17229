/** The RDS operations that create, or delete, rewind, change or disrupt, a cluster or instance. */
import type { ResourceKind } from '../static-types.js';

/**
 * RDS operations that delete, rewind, change or disrupt an existing cluster or instance: the parameter naming
 * it, and whether the operation deletes it (`removes`).
 */
export const DESTRUCTIVE_AWS_OPERATIONS: Readonly<
  Record<string, { kind: ResourceKind; param: string; removes?: boolean }>
> = {
  BacktrackDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  DeleteDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier', removes: true },
  ModifyDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  FailoverDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RebootDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  StopDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  PromoteReadReplicaDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  DeleteDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier', removes: true },
  ModifyDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RebootDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  StopDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  PromoteReadReplica: { kind: 'instance', param: 'DBInstanceIdentifier' },
};

/** RDS operations that create a cluster or instance: the parameter naming the new resource. */
export const CREATING_AWS_OPERATIONS: Readonly<Record<string, { kind: ResourceKind; param: string }>> = {
  CreateDBCluster: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RestoreDBClusterToPointInTime: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RestoreDBClusterFromSnapshot: { kind: 'cluster', param: 'DBClusterIdentifier' },
  RestoreDBClusterFromS3: { kind: 'cluster', param: 'DBClusterIdentifier' },
  CreateDBInstance: { kind: 'instance', param: 'DBInstanceIdentifier' },
  CreateDBInstanceReadReplica: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RestoreDBInstanceFromDBSnapshot: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RestoreDBInstanceFromS3: { kind: 'instance', param: 'DBInstanceIdentifier' },
  RestoreDBInstanceToPointInTime: { kind: 'instance', param: 'TargetDBInstanceIdentifier' },
};
