/**
 * DB cluster operations: create, describe, restore (clone or point-in-time copy), modify, delete. Each one
 * checks everything and records the new status without yielding in between, so concurrent calls cannot both
 * pass a check; the data-plane work then runs in the background under the cluster's lock.
 */
import {
  clusterView,
  dataInfo,
  setClusterStatus,
  storageSpec,
  type ClusterView,
  type ControlContext,
} from './context.js';
import { fault } from './faults.js';
import { applyFilters, CLUSTER_FILTERS } from './filters.js';
import { newUuid, normalizeIdentifier, resourceId } from './identifiers.js';
import type {
  CreateClusterInput,
  DeleteClusterInput,
  Filter,
  ModifyClusterInput,
  RestoreClusterInput,
} from './inputs.js';
import { DEFAULT_ENGINE_VERSION, type ClusterRecord } from './model.js';
import {
  checkBacktrackWindow,
  checkEngine,
  checkEngineVersion,
  checkPort,
  describeError,
  floorSecond,
  isRetiredEngineVersion,
  iso,
} from './rules.js';

const DEFAULT_SECURITY_GROUP = 'sg-0sandbox00000001';

export async function createCluster(ctx: ControlContext, input: CreateClusterInput): Promise<ClusterView> {
  const id = normalizeIdentifier('DBClusterIdentifier', input.id);
  const engine = checkEngine(input.engine, ctx.strict);
  const engineVersion = checkEngineVersion(input.engineVersion, ctx.strict) ?? DEFAULT_ENGINE_VERSION;
  if (!input.masterUsername)
    throw fault('MissingParameter', 'The parameter MasterUsername must be provided.');
  if (!input.masterUserPassword) {
    throw fault('MissingParameter', 'The parameter MasterUserPassword must be provided.');
  }
  if (input.masterUserPassword.length < 8) {
    throw fault(
      'InvalidParameterValue',
      'The parameter MasterUserPassword is not a valid password: it needs at least 8 characters.',
    );
  }
  const backtrackWindow = checkBacktrackWindow(input.backtrackWindow);
  const port = checkPort(input.port);
  ctx.registry.assertNewCluster(id);
  const cluster: ClusterRecord = {
    id,
    resourceId: resourceId('cluster'),
    status: 'creating',
    engine,
    engineVersion,
    masterUsername: input.masterUsername,
    masterPassword: input.masterUserPassword,
    databaseName: input.databaseName,
    host: ctx.registry.allocateHost(ctx.hostBase),
    port,
    backtrackWindow: backtrackWindow || undefined,
    createdAt: ctx.now().toISOString(),
    vpcSecurityGroupIds: input.vpcSecurityGroupIds?.length
      ? input.vpcSecurityGroupIds
      : [DEFAULT_SECURITY_GROUP],
    dbSubnetGroup: input.dbSubnetGroupName ?? 'default',
    availabilityZones: input.availabilityZones?.length
      ? input.availabilityZones
      : ['a', 'b', 'c'].map((suffix) => `${ctx.region}${suffix}`),
    deletionProtection: input.deletionProtection ?? false,
    origin: { kind: 'create' },
  };
  ctx.registry.addCluster(cluster);
  await ctx.registry.persist();
  ctx.log(`cluster ${id}: creating on ${cluster.host}:${cluster.port}`);
  ctx.tasks.background(`create cluster ${id}`, [id], async () => {
    try {
      await ctx.dataPlane.createCluster(storageSpec(cluster));
      // A cluster without instances has no compute in Aurora; its server only runs while it has one.
      if (ctx.registry.liveInstances(id).length === 0) await ctx.dataPlane.stop(id);
      setClusterStatus(ctx, cluster, 'available');
    } catch (error) {
      setClusterStatus(ctx, cluster, 'failed', `Creating the cluster's data failed: ${describeError(error)}`);
    }
  });
  return clusterView(ctx, cluster);
}

export async function describeClusters(
  ctx: ControlContext,
  id: string | undefined,
  filters: Filter[],
): Promise<ClusterView[]> {
  const clusters = id === undefined ? [...ctx.registry.clusters] : [ctx.registry.requireCluster(id)];
  const kept = applyFilters(clusters, filters, CLUSTER_FILTERS, ctx.region).sort((a, b) =>
    a.id.localeCompare(b.id),
  );
  return Promise.all(kept.map((cluster) => clusterView(ctx, cluster)));
}

/**
 * A copy-on-write clone (joins the source's clone group) or a full copy, of the source as it is now or, for a
 * full copy with RestoreToTime, as it was then (rebuilt by the data plane from the source's history).
 */
export async function restoreClusterToPointInTime(
  ctx: ControlContext,
  input: RestoreClusterInput,
): Promise<ClusterView> {
  const id = normalizeIdentifier('DBClusterIdentifier', input.id);
  if (!input.sourceId)
    throw fault('MissingParameter', 'The parameter SourceDBClusterIdentifier must be provided.');
  const restoreType = input.restoreType ?? 'full-copy';
  if (restoreType !== 'copy-on-write' && restoreType !== 'full-copy') {
    throw fault(
      'InvalidParameterValue',
      `Invalid RestoreType "${restoreType}": use copy-on-write or full-copy.`,
    );
  }
  const restoreTo = input.restoreToTime;
  if (input.useLatestRestorableTime && restoreTo) {
    throw fault(
      'InvalidParameterCombination',
      'Cannot specify both RestoreToTime and UseLatestRestorableTime.',
    );
  }
  if (restoreType === 'copy-on-write' && restoreTo) {
    throw fault(
      'InvalidParameterCombination',
      'RestoreToTime cannot be specified when RestoreType is copy-on-write; use UseLatestRestorableTime.',
    );
  }
  if (!input.useLatestRestorableTime && !restoreTo) {
    throw fault(
      'InvalidParameterCombination',
      'Either RestoreToTime or UseLatestRestorableTime must be specified.',
    );
  }
  const backtrackWindow = checkBacktrackWindow(input.backtrackWindow);
  const port = input.port === undefined ? undefined : checkPort(input.port);
  const now = ctx.now();
  if (restoreTo && restoreTo.getTime() > now.getTime()) {
    throw fault('InvalidParameterValue', `RestoreToTime ${iso(restoreTo)} is in the future.`);
  }
  // The only await comes before the checks: from here to the registration nothing yields, so a concurrent
  // call cannot slip in between a check and the state change it guards.
  const sourceInfo = restoreTo
    ? await dataInfo(ctx, ctx.registry.requireCluster(input.sourceId).id)
    : undefined;
  const source = ctx.registry.requireCluster(input.sourceId);
  if (source.status !== 'available') {
    throw fault(
      'InvalidDBClusterStateFault',
      `DBCluster ${source.id} is in status ${source.status}; it must be available to be restored from.`,
    );
  }
  // The copy would run the source's version: strict, one AWS no longer offers (Aurora MySQL 1) is refused.
  if (ctx.strict && isRetiredEngineVersion(source.engineVersion)) {
    throw fault(
      'InvalidParameterCombination',
      `Cannot find version ${source.engineVersion} for aurora-mysql (the version of DBCluster ${source.id})`,
    );
  }
  const copyOnWrite = restoreType === 'copy-on-write';
  if (
    copyOnWrite &&
    !ctx.registry.liveInstances(source.id).some((instance) => instance.status === 'available')
  ) {
    throw fault(
      'InvalidDBClusterStateFault',
      `DBCluster ${source.id} has no available DB instance; a cluster can only be cloned while it has one.`,
    );
  }
  if (backtrackWindow > 0 && !source.backtrackWindow) {
    throw fault(
      'InvalidParameterCombination',
      `Backtrack cannot currently be enabled for this cluster (the source ${source.id} does not have backtrack enabled).`,
    );
  }
  if (restoreTo) {
    const earliest = sourceInfo?.earliestBacktrackTime;
    if (!earliest)
      throw fault('InvalidDBClusterStateFault', `DBCluster ${source.id} has no restorable history yet.`);
    if (floorSecond(restoreTo).getTime() < earliest.getTime()) {
      throw fault(
        'InvalidParameterValue',
        `RestoreToTime ${iso(restoreTo)} is before the earliest restorable time of DBCluster ${source.id} ` +
          `(${iso(earliest)}).`,
      );
    }
  }
  ctx.registry.assertNewCluster(id);

  // The first clone puts the source in a clone group; every later copy-on-write clone joins it.
  if (copyOnWrite && !source.cloneGroupId) source.cloneGroupId = newUuid();
  const cluster: ClusterRecord = {
    ...structuredClone(source),
    id,
    resourceId: resourceId('cluster'),
    status: 'creating',
    statusCause: undefined,
    host: ctx.registry.allocateHost(ctx.hostBase),
    port: port ?? source.port,
    backtrackWindow: backtrackWindow || undefined,
    cloneGroupId: copyOnWrite ? source.cloneGroupId : undefined,
    createdAt: now.toISOString(),
    vpcSecurityGroupIds: input.vpcSecurityGroupIds?.length
      ? input.vpcSecurityGroupIds
      : source.vpcSecurityGroupIds,
    dbSubnetGroup: input.dbSubnetGroupName ?? source.dbSubnetGroup,
    deletionProtection: input.deletionProtection ?? false,
    origin: { kind: 'restore', restoreType, source: source.id },
  };
  ctx.registry.addCluster(cluster);
  await ctx.registry.persist();
  ctx.log(`cluster ${id}: ${restoreType} restore of ${source.id} on ${cluster.host}:${cluster.port}`);
  ctx.tasks.background(`restore cluster ${id}`, [source.id, id], async () => {
    try {
      const { copiedAt } = await ctx.dataPlane.cloneCluster(source.id, storageSpec(cluster), { restoreTo });
      const asOf = restoreTo ? ` as of ${iso(restoreTo)}` : '';
      ctx.log(`cluster ${id}: copy of ${source.id}${asOf} made at ${iso(copiedAt)}`);
      setClusterStatus(ctx, cluster, 'available');
    } catch (error) {
      const status = copyOnWrite ? 'cloning-failed' : 'failed';
      setClusterStatus(ctx, cluster, status, `Restoring from ${source.id} failed: ${describeError(error)}`);
    }
  });
  return clusterView(ctx, cluster);
}

export async function modifyCluster(ctx: ControlContext, input: ModifyClusterInput): Promise<ClusterView> {
  const cluster = ctx.registry.requireCluster(input.id);
  if (
    input.newId !== undefined &&
    normalizeIdentifier('NewDBClusterIdentifier', input.newId) !== cluster.id
  ) {
    throw fault(
      'InvalidParameterValue',
      'Renaming a DB cluster (NewDBClusterIdentifier) is not supported by the sandbox.',
    );
  }
  if (cluster.status !== 'available') {
    throw fault(
      'InvalidDBClusterStateFault',
      `DBCluster ${cluster.id} is in status ${cluster.status}, not available.`,
    );
  }
  if (input.backtrackWindow !== undefined) {
    const window = checkBacktrackWindow(input.backtrackWindow);
    if (!cluster.backtrackWindow) {
      throw fault(
        'InvalidParameterCombination',
        `Backtrack is not enabled for DBCluster ${cluster.id}. ` +
          'It can only be enabled when a cluster is created or restored, and once disabled it stays disabled.',
      );
    }
    // 0 disables backtrack for good: a window of 0 never counts as enabled again.
    cluster.backtrackWindow = window;
  }
  if (input.deletionProtection !== undefined) cluster.deletionProtection = input.deletionProtection;
  await ctx.registry.persist();
  return clusterView(ctx, cluster);
}

export async function deleteCluster(ctx: ControlContext, input: DeleteClusterInput): Promise<ClusterView> {
  const cluster = ctx.registry.requireCluster(input.id);
  if (!input.skipFinalSnapshot) {
    if (!input.finalSnapshotId) {
      throw fault(
        'InvalidParameterCombination',
        'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is true.',
      );
    }
    throw fault(
      'InvalidParameterValue',
      'Final snapshots are not supported by the sandbox; pass SkipFinalSnapshot=true.',
    );
  }
  if (cluster.deletionProtection) {
    throw fault(
      'InvalidParameterCombination',
      'Cannot delete protected Cluster, please disable deletion protection and try again.',
    );
  }
  if (ctx.registry.liveInstances(cluster.id).length > 0) {
    throw fault(
      'InvalidDBClusterStateFault',
      'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
    );
  }
  if (!['available', 'failed', 'cloning-failed'].includes(cluster.status)) {
    throw fault(
      'InvalidDBClusterStateFault',
      `DBCluster ${cluster.id} is in status ${cluster.status}; it cannot be deleted now.`,
    );
  }
  cluster.status = 'deleting';
  await ctx.registry.persist();
  const view = await clusterView(ctx, cluster);
  ctx.log(`cluster ${cluster.id}: deleting`);
  ctx.tasks.background(`delete cluster ${cluster.id}`, [cluster.id], () => finishDeleteCluster(ctx, cluster));
  return view;
}

/** Destroys a `deleting` cluster's data and forgets it. */
export async function finishDeleteCluster(ctx: ControlContext, cluster: ClusterRecord): Promise<void> {
  try {
    await ctx.dataPlane.destroy(cluster.id);
  } catch (error) {
    setClusterStatus(ctx, cluster, 'failed', `Deleting the cluster's data failed: ${describeError(error)}`);
    return;
  }
  if (ctx.tasks.closing) return;
  ctx.registry.removeCluster(cluster);
  await ctx.registry.persist();
  ctx.log(`cluster ${cluster.id}: deleted`);
}
