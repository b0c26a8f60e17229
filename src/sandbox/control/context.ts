/**
 * What every control-plane operation works with, and the shared steps around it: recording the outcome of
 * background work, describing a cluster or instance as it is at one instant, asking the data plane.
 */
import type { CloneOptions } from '../mariadb/index.js';
import type { ClusterDataInfo, ClusterStorageSpec, DataPlane } from '../mariadb/types.js';
import type { ClusterRecord, InstanceRecord } from './model.js';
import type { Registry } from './registry.js';
import type { TaskRunner } from './task-runner.js';

/** The data plane, able to copy a cluster as it was at a past instant (a point-in-time restore). */
export type RestorableDataPlane = DataPlane & {
  cloneCluster(
    sourceId: string,
    target: ClusterStorageSpec,
    options?: CloneOptions,
  ): Promise<{ copiedAt: Date }>;
};

export interface ControlContext {
  readonly region: string;
  /** First loopback address handed to a cluster. */
  readonly hostBase: string;
  readonly registry: Registry;
  readonly dataPlane: RestorableDataPlane;
  readonly tasks: TaskRunner;
  readonly log: (line: string) => void;
  /**
   * Refuse what today's AWS refuses where the sandbox is otherwise lenient: the retired engine name `aurora`,
   * Aurora MySQL 1 versions, instance classes not offered for Aurora MySQL 3 (rules.ts).
   */
  readonly strict: boolean;
  now(): Date;
}

export interface ClusterView {
  cluster: ClusterRecord;
  members: Array<{ instanceId: string; isWriter: boolean; promotionTier: number }>;
  earliestBacktrackTime?: Date;
  changeRecords?: number;
  dataBytes?: number;
}

export interface InstanceView {
  instance: InstanceRecord;
  cluster?: ClusterRecord;
  isWriter: boolean;
}

/** Records the outcome of background work, unless the sandbox is stopping (the next start tidies up). */
export function setClusterStatus(
  ctx: ControlContext,
  cluster: ClusterRecord,
  status: ClusterRecord['status'],
  cause?: string,
): void {
  if (ctx.tasks.closing) return;
  cluster.status = status;
  cluster.statusCause = cause;
  ctx.log(`cluster ${cluster.id}: ${status}${cause ? ` (${cause})` : ''}`);
  void ctx.registry.persist();
}

export function setInstanceStatus(
  ctx: ControlContext,
  instance: InstanceRecord,
  status: InstanceRecord['status'],
  cause?: string,
): void {
  // A deletion requested while the instance was being created wins over the creation's outcome.
  if (ctx.tasks.closing || instance.status === 'deleting') return;
  instance.status = status;
  instance.statusCause = cause;
  ctx.log(`instance ${instance.id}: ${status}${cause ? ` (${cause})` : ''}`);
  void ctx.registry.persist();
}

export function storageSpec(cluster: ClusterRecord): ClusterStorageSpec {
  return {
    id: cluster.id,
    host: cluster.host,
    port: cluster.port,
    masterUsername: cluster.masterUsername,
    masterPassword: cluster.masterPassword,
    databaseName: cluster.databaseName,
  };
}

/** The data plane's view of a cluster, or undefined when it has no data (yet). */
export async function dataInfo(ctx: ControlContext, id: string): Promise<ClusterDataInfo | undefined> {
  try {
    return await ctx.dataPlane.info(id);
  } catch {
    return undefined;
  }
}

/** The data plane's earliest time, bounded by the backtrack window, rounded up to a whole second. */
export function windowedEarliest(ctx: ControlContext, cluster: ClusterRecord, info: ClusterDataInfo): Date {
  const windowStart = ctx.now().getTime() - (cluster.backtrackWindow ?? 0) * 1000;
  const earliest = Math.max(info.earliestBacktrackTime.getTime(), windowStart);
  return new Date(Math.ceil(earliest / 1000) * 1000);
}

/** A snapshot of the cluster as it is now: background work may change the record while this is rendered. */
export async function clusterView(ctx: ControlContext, live: ClusterRecord): Promise<ClusterView> {
  const cluster = structuredClone(live);
  const writer = ctx.registry.writerOf(cluster.id);
  const view: ClusterView = {
    cluster,
    members: ctx.registry.members(cluster.id).map((instance) => ({
      instanceId: instance.id,
      isWriter: instance === writer,
      promotionTier: instance.promotionTier,
    })),
  };
  if (cluster.status === 'creating' || cluster.status === 'deleting' || cluster.status.endsWith('failed')) {
    return view;
  }
  const info = await dataInfo(ctx, cluster.id);
  if (info) {
    view.dataBytes = info.dataBytes;
    if (cluster.backtrackWindow) {
      view.earliestBacktrackTime = windowedEarliest(ctx, cluster, info);
      view.changeRecords = info.changeRecords;
    }
  }
  return view;
}

export function instanceView(ctx: ControlContext, live: InstanceRecord): InstanceView {
  const cluster = ctx.registry.findCluster(live.clusterId);
  return {
    instance: { ...live },
    cluster: cluster ? structuredClone(cluster) : undefined,
    isWriter: ctx.registry.writerOf(live.clusterId) === live,
  };
}
