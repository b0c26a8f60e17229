/**
 * The RDS response shapes (DBCluster, DBInstance, DBClusterBacktrack) built from the control plane's
 * records, with the fields an Aurora MySQL provisioned cluster reports (2 or 3, after its EngineVersion). Endpoints are the cluster's loopback
 * address, so `mysql -h <Endpoint>` and sysbench `--mysql-host` work unchanged.
 */
import { clusterArn, instanceArn } from '../control/identifiers.js';
import type { ClusterView, InstanceView } from '../control/control-plane.js';
import type { BacktrackRecord, ClusterRecord } from '../control/model.js';
import { xmlList, type XmlObject } from './xml-response.js';

const HOSTED_ZONE_ID = 'Z2R2ITUGPM61AM';
const BACKUP_WINDOW = '07:00-07:30';
const MAINTENANCE_WINDOW = 'sun:05:00-sun:05:30';

export function dbClusterXml(view: ClusterView, region: string, now: Date): XmlObject {
  const { cluster } = view;
  const ready = cluster.status === 'available' || cluster.status === 'backtracking';
  return {
    AllocatedStorage: 1,
    AvailabilityZones: xmlList('AvailabilityZone', cluster.availabilityZones),
    BackupRetentionPeriod: 1,
    DatabaseName: cluster.databaseName,
    DBClusterIdentifier: cluster.id,
    DBClusterParameterGroup: parameterGroup(cluster),
    DBSubnetGroup: cluster.dbSubnetGroup,
    Status: cluster.status,
    EarliestRestorableTime: ready ? new Date(cluster.createdAt) : undefined,
    Endpoint: cluster.host,
    ReaderEndpoint: cluster.host,
    MultiAZ: view.members.length > 1,
    Engine: cluster.engine,
    EngineVersion: cluster.engineVersion,
    LatestRestorableTime: ready ? now : undefined,
    Port: cluster.port,
    MasterUsername: cluster.masterUsername,
    DBClusterOptionGroupMemberships: {},
    PreferredBackupWindow: BACKUP_WINDOW,
    PreferredMaintenanceWindow: MAINTENANCE_WINDOW,
    ReadReplicaIdentifiers: {},
    StatusInfos: cluster.statusCause
      ? xmlList('DBClusterStatusInfo', [
          { StatusType: 'failure', Normal: false, Status: cluster.status, Message: cluster.statusCause },
        ])
      : undefined,
    DBClusterMembers: xmlList(
      'DBClusterMember',
      view.members.map((member) => ({
        DBInstanceIdentifier: member.instanceId,
        IsClusterWriter: member.isWriter,
        DBClusterParameterGroupStatus: 'in-sync',
        PromotionTier: member.promotionTier,
      })),
    ),
    VpcSecurityGroups: securityGroups(cluster),
    HostedZoneId: HOSTED_ZONE_ID,
    StorageEncrypted: false,
    DbClusterResourceId: cluster.resourceId,
    DBClusterArn: clusterArn(region, cluster.id),
    AssociatedRoles: {},
    IAMDatabaseAuthenticationEnabled: false,
    CloneGroupId: cluster.cloneGroupId,
    ClusterCreateTime: new Date(cluster.createdAt),
    EarliestBacktrackTime: view.earliestBacktrackTime,
    // AWS leaves the backtrack fields out for clusters that never had backtrack enabled.
    BacktrackWindow: cluster.backtrackWindow,
    BacktrackConsumedChangeRecords: view.changeRecords,
    EngineMode: 'provisioned',
    DeletionProtection: cluster.deletionProtection,
    HttpEndpointEnabled: false,
    ActivityStreamStatus: 'stopped',
    CopyTagsToSnapshot: false,
    CrossAccountClone: false,
    DomainMemberships: {},
    TagList: {},
    NetworkType: 'IPV4',
  };
}

export function dbInstanceXml(view: InstanceView, region: string): XmlObject {
  const { instance, cluster } = view;
  const reachable = instance.status === 'available' || instance.status === 'deleting';
  return {
    DBInstanceIdentifier: instance.id,
    DBInstanceClass: instance.instanceClass,
    Engine: instance.engine,
    DBInstanceStatus: instance.status,
    MasterUsername: cluster?.masterUsername,
    DBName: cluster?.databaseName,
    // Like RDS, an instance has no endpoint until it is up.
    Endpoint:
      reachable && cluster
        ? { Address: cluster.host, Port: cluster.port, HostedZoneId: HOSTED_ZONE_ID }
        : undefined,
    AllocatedStorage: 1,
    InstanceCreateTime: reachable ? new Date(instance.createdAt) : undefined,
    PreferredBackupWindow: BACKUP_WINDOW,
    BackupRetentionPeriod: 1,
    DBSecurityGroups: {},
    VpcSecurityGroups: cluster ? securityGroups(cluster) : {},
    DBParameterGroups: xmlList('DBParameterGroup', [
      {
        DBParameterGroupName: cluster ? parameterGroup(cluster) : undefined,
        ParameterApplyStatus: 'in-sync',
      },
    ]),
    AvailabilityZone: instance.availabilityZone,
    DBSubnetGroup: cluster
      ? {
          DBSubnetGroupName: cluster.dbSubnetGroup,
          DBSubnetGroupDescription: `Subnet group ${cluster.dbSubnetGroup} (local sandbox)`,
          VpcId: 'vpc-0sandbox000000001',
          SubnetGroupStatus: 'Complete',
          Subnets: {},
        }
      : undefined,
    PreferredMaintenanceWindow: MAINTENANCE_WINDOW,
    PendingModifiedValues: {},
    MultiAZ: false,
    EngineVersion: cluster?.engineVersion,
    AutoMinorVersionUpgrade: true,
    ReadReplicaDBInstanceIdentifiers: {},
    LicenseModel: 'general-public-license',
    OptionGroupMemberships: cluster
      ? xmlList('OptionGroupMembership', [{ OptionGroupName: optionGroup(cluster), Status: 'in-sync' }])
      : {},
    PubliclyAccessible: false,
    StatusInfos: instance.statusCause
      ? xmlList('DBInstanceStatusInfo', [
          { StatusType: 'failure', Normal: false, Status: instance.status, Message: instance.statusCause },
        ])
      : undefined,
    StorageType: 'aurora',
    DbInstancePort: 0,
    DBClusterIdentifier: instance.clusterId,
    StorageEncrypted: false,
    DbiResourceId: instance.resourceId,
    CACertificateIdentifier: 'rds-ca-rsa2048-g1',
    DomainMemberships: {},
    CopyTagsToSnapshot: false,
    MonitoringInterval: 0,
    PromotionTier: instance.promotionTier,
    DBInstanceArn: instanceArn(region, instance.id),
    IAMDatabaseAuthenticationEnabled: false,
    PerformanceInsightsEnabled: false,
    DeletionProtection: false,
    AssociatedRoles: {},
    TagList: {},
    CustomerOwnedIpEnabled: false,
    NetworkType: 'IPV4',
  };
}

export function dbClusterBacktrackXml(record: BacktrackRecord): XmlObject {
  return {
    DBClusterIdentifier: record.clusterId,
    BacktrackIdentifier: record.id,
    BacktrackTo: new Date(record.backtrackTo),
    BacktrackedFrom: record.backtrackedFrom ? new Date(record.backtrackedFrom) : undefined,
    BacktrackRequestCreationTime: new Date(record.requestedAt),
    Status: record.status,
  };
}

function parameterGroup(cluster: ClusterRecord): string {
  return `default.aurora-mysql${majorVersion(cluster)}`;
}

function optionGroup(cluster: ClusterRecord): string {
  return `default:aurora-mysql-${majorVersion(cluster).replace('.', '-')}`;
}

/** The MySQL major version of the cluster's engine: `8.0` for Aurora MySQL 3, `5.7` for 2. */
function majorVersion(cluster: ClusterRecord): string {
  return cluster.engineVersion.startsWith('8.') ? '8.0' : '5.7';
}

function securityGroups(cluster: ClusterRecord): XmlObject {
  return xmlList(
    'VpcSecurityGroupMembership',
    cluster.vpcSecurityGroupIds.map((id) => ({ VpcSecurityGroupId: id, Status: 'active' })),
  );
}
