/**
 * The control plane's records: what the RDS and CloudFormation APIs describe. Plain JSON-able data, persisted
 * as-is in the registry file; times are ISO-8601 strings so the file stays readable.
 */

export type ClusterStatus =
  'creating' | 'available' | 'backtracking' | 'modifying' | 'deleting' | 'cloning-failed' | 'failed';

export type InstanceStatus = 'creating' | 'available' | 'deleting' | 'failed';

export type BacktrackStatus = 'PENDING' | 'APPLYING' | 'COMPLETED' | 'FAILED';

export interface ClusterRecord {
  id: string;
  resourceId: string;
  status: ClusterStatus;
  /** Why the cluster reached a failed status; shown in StatusInfos. */
  statusCause?: string;
  engine: 'aurora-mysql';
  engineVersion: string;
  masterUsername: string;
  masterPassword: string;
  databaseName?: string;
  /** Loopback address the cluster's mariadbd listens on; also its Endpoint and ReaderEndpoint. */
  host: string;
  port: number;
  /** Seconds; undefined when backtrack was never enabled, 0 once it has been disabled. */
  backtrackWindow?: number;
  cloneGroupId?: string;
  createdAt: string;
  vpcSecurityGroupIds: string[];
  dbSubnetGroup: string;
  availabilityZones: string[];
  deletionProtection: boolean;
  /** How the cluster came to be, for the log and for describing it. */
  origin:
    { kind: 'create' } | { kind: 'restore'; restoreType: 'copy-on-write' | 'full-copy'; source: string };
}

export interface InstanceRecord {
  id: string;
  resourceId: string;
  clusterId: string;
  status: InstanceStatus;
  statusCause?: string;
  instanceClass: string;
  /** The engine as the cluster reports it; `aurora` requests are recorded as aurora-mysql. */
  engine: 'aurora-mysql';
  availabilityZone: string;
  promotionTier: number;
  createdAt: string;
}

export interface BacktrackRecord {
  id: string;
  clusterId: string;
  backtrackTo: string;
  backtrackedFrom?: string;
  requestedAt: string;
  status: BacktrackStatus;
  statusCause?: string;
}

export interface StackOutput {
  key: string;
  value: string;
  description: string;
}

export interface StackRecord {
  name: string;
  id: string;
  createdAt: string;
  status: 'CREATE_COMPLETE';
  description: string;
  outputs: StackOutput[];
}

export interface RegistryState {
  version: 1;
  clusters: ClusterRecord[];
  instances: InstanceRecord[];
  backtracks: BacktrackRecord[];
  stacks: StackRecord[];
}

export function emptyState(): RegistryState {
  return { version: 1, clusters: [], instances: [], backtracks: [], stacks: [] };
}

export const ACCOUNT_ID = '123456789012';
/** What CreateDBCluster gives a cluster created without EngineVersion: an Aurora MySQL 3 version, as today. */
export const DEFAULT_ENGINE_VERSION = '8.0.mysql_aurora.3.10.0';
export const MAX_BACKTRACK_WINDOW = 259200;
