/**
 * What each control-plane operation takes, already decoded from the wire (strings, numbers, booleans, Dates)
 * but not yet validated: the control plane owns every rule about values.
 */

export interface Filter {
  name: string;
  values: string[];
}

export interface CreateClusterInput {
  id: string;
  engine: string;
  engineVersion?: string;
  masterUsername?: string;
  masterUserPassword?: string;
  databaseName?: string;
  backtrackWindow?: number;
  vpcSecurityGroupIds?: string[];
  dbSubnetGroupName?: string;
  port?: number;
  availabilityZones?: string[];
  deletionProtection?: boolean;
}

export interface RestoreClusterInput {
  id: string;
  sourceId?: string;
  restoreType?: string;
  useLatestRestorableTime?: boolean;
  restoreToTime?: Date;
  backtrackWindow?: number;
  vpcSecurityGroupIds?: string[];
  dbSubnetGroupName?: string;
  port?: number;
  deletionProtection?: boolean;
}

export interface ModifyClusterInput {
  id: string;
  backtrackWindow?: number;
  deletionProtection?: boolean;
  newId?: string;
}

export interface DeleteClusterInput {
  id: string;
  skipFinalSnapshot?: boolean;
  finalSnapshotId?: string;
}

export interface CreateInstanceInput {
  id: string;
  clusterId?: string;
  instanceClass?: string;
  engine?: string;
  availabilityZone?: string;
  promotionTier?: number;
}

export interface BacktrackInput {
  clusterId: string;
  backtrackTo: Date;
  useEarliestTimeOnPointInTimeUnavailable?: boolean;
  force?: boolean;
}

export interface DescribeBacktracksInput {
  clusterId: string;
  backtrackId?: string;
  filters?: Filter[];
}
