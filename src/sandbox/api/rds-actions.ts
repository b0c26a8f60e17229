/**
 * The RDS operations the sandbox serves: each one decodes its parameters, calls the control plane and
 * shapes the `<{Operation}Result>` content. Adding an operation is one entry in RDS_ACTIONS.
 */
import type { ControlPlane } from '../control/control-plane.js';
import { paginate } from './pagination.js';
import type { QueryParams } from './query-params.js';
import { dbClusterBacktrackXml, dbClusterXml, dbInstanceXml } from './rds-shapes.js';
import { xmlList, type XmlObject } from './xml-response.js';

export type ActionHandler = (params: QueryParams, control: ControlPlane) => Promise<XmlObject>;

export const RDS_ACTIONS = {
  async CreateDBCluster(params, control) {
    const view = await control.createCluster({
      id: params.requiredString('DBClusterIdentifier'),
      engine: params.requiredString('Engine'),
      engineVersion: params.string('EngineVersion'),
      masterUsername: params.string('MasterUsername'),
      masterUserPassword: params.string('MasterUserPassword'),
      databaseName: params.string('DatabaseName'),
      backtrackWindow: params.integer('BacktrackWindow'),
      vpcSecurityGroupIds: params.list('VpcSecurityGroupIds', 'VpcSecurityGroupId'),
      dbSubnetGroupName: params.string('DBSubnetGroupName'),
      port: params.integer('Port'),
      availabilityZones: params.list('AvailabilityZones', 'AvailabilityZone'),
      deletionProtection: params.boolean('DeletionProtection'),
    });
    return { DBCluster: dbClusterXml(view, control.region, new Date()) };
  },

  async DescribeDBClusters(params, control) {
    const views = await control.describeClusters(params.string('DBClusterIdentifier'), params.filters());
    const { page, marker } = paginate(views, params);
    const now = new Date();
    return {
      Marker: marker,
      DBClusters: xmlList(
        'DBCluster',
        page.map((view) => dbClusterXml(view, control.region, now)),
      ),
    };
  },

  async RestoreDBClusterToPointInTime(params, control) {
    const view = await control.restoreClusterToPointInTime({
      id: params.requiredString('DBClusterIdentifier'),
      sourceId: params.string('SourceDBClusterIdentifier'),
      restoreType: params.string('RestoreType'),
      useLatestRestorableTime: params.boolean('UseLatestRestorableTime'),
      restoreToTime: params.timestamp('RestoreToTime'),
      backtrackWindow: params.integer('BacktrackWindow'),
      vpcSecurityGroupIds: params.list('VpcSecurityGroupIds', 'VpcSecurityGroupId'),
      dbSubnetGroupName: params.string('DBSubnetGroupName'),
      port: params.integer('Port'),
      deletionProtection: params.boolean('DeletionProtection'),
    });
    return { DBCluster: dbClusterXml(view, control.region, new Date()) };
  },

  async ModifyDBCluster(params, control) {
    const view = await control.modifyCluster({
      id: params.requiredString('DBClusterIdentifier'),
      backtrackWindow: params.integer('BacktrackWindow'),
      deletionProtection: params.boolean('DeletionProtection'),
      newId: params.string('NewDBClusterIdentifier'),
    });
    return { DBCluster: dbClusterXml(view, control.region, new Date()) };
  },

  async DeleteDBCluster(params, control) {
    const view = await control.deleteCluster({
      id: params.requiredString('DBClusterIdentifier'),
      skipFinalSnapshot: params.boolean('SkipFinalSnapshot'),
      finalSnapshotId: params.string('FinalDBSnapshotIdentifier'),
    });
    return { DBCluster: dbClusterXml(view, control.region, new Date()) };
  },

  async CreateDBInstance(params, control) {
    const view = await control.createInstance({
      id: params.requiredString('DBInstanceIdentifier'),
      clusterId: params.string('DBClusterIdentifier'),
      instanceClass: params.requiredString('DBInstanceClass'),
      engine: params.requiredString('Engine'),
      availabilityZone: params.string('AvailabilityZone'),
      promotionTier: params.integer('PromotionTier'),
    });
    return { DBInstance: dbInstanceXml(view, control.region) };
  },

  async DescribeDBInstances(params, control) {
    const views = control.describeInstances(params.string('DBInstanceIdentifier'), params.filters());
    const { page, marker } = paginate(views, params);
    return {
      Marker: marker,
      DBInstances: xmlList(
        'DBInstance',
        page.map((view) => dbInstanceXml(view, control.region)),
      ),
    };
  },

  async DeleteDBInstance(params, control) {
    params.boolean('SkipFinalSnapshot');
    params.boolean('DeleteAutomatedBackups');
    const view = await control.deleteInstance(params.requiredString('DBInstanceIdentifier'));
    return { DBInstance: dbInstanceXml(view, control.region) };
  },

  async BacktrackDBCluster(params, control) {
    const record = await control.backtrackCluster({
      clusterId: params.requiredString('DBClusterIdentifier'),
      backtrackTo: params.requiredTimestamp('BacktrackTo'),
      useEarliestTimeOnPointInTimeUnavailable: params.boolean('UseEarliestTimeOnPointInTimeUnavailable'),
      force: params.boolean('Force'),
    });
    // The result is the DBClusterBacktrack itself, not wrapped in a member element.
    return dbClusterBacktrackXml(record);
  },

  async DescribeDBClusterBacktracks(params, control) {
    const records = control.describeBacktracks({
      clusterId: params.requiredString('DBClusterIdentifier'),
      backtrackId: params.string('BacktrackIdentifier'),
      filters: params.filters(),
    });
    const { page, marker } = paginate(records, params);
    return {
      Marker: marker,
      DBClusterBacktracks: xmlList('DBClusterBacktrack', page.map(dbClusterBacktrackXml)),
    };
  },
} satisfies Record<string, ActionHandler>;
