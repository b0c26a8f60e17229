/**
 * BacktrackDBCluster and DescribeDBClusterBacktracks. A backtrack answers with its record in PENDING and the
 * cluster in `backtracking` (no SDK waiter exists for it, so clients poll the cluster status right away);
 * the data plane then rewinds the cluster in place: APPLYING → COMPLETED (or FAILED) and `available`.
 */
import { dataInfo, setClusterStatus, windowedEarliest, type ControlContext } from './context.js';
import { fault } from './faults.js';
import { applyFilters, BACKTRACK_FILTERS } from './filters.js';
import { newUuid } from './identifiers.js';
import type { BacktrackInput, DescribeBacktracksInput } from './inputs.js';
import type { BacktrackRecord, ClusterRecord } from './model.js';
import { describeError, floorSecond, iso } from './rules.js';

export async function backtrackCluster(ctx: ControlContext, input: BacktrackInput): Promise<BacktrackRecord> {
  const assertAvailable = (cluster: ClusterRecord) => {
    if (cluster.status !== 'available') {
      throw fault(
        'InvalidDBClusterStateFault',
        `DBCluster ${cluster.id} cannot be backtracked from status ${cluster.status}.`,
      );
    }
  };
  const cluster = ctx.registry.requireCluster(input.clusterId);
  assertAvailable(cluster);
  if (!cluster.backtrackWindow) {
    throw fault('InvalidParameterCombination', `Backtrack is not enabled for DBCluster ${cluster.id}.`);
  }
  const now = ctx.now();
  // Backtrack has 1-second resolution.
  let target = floorSecond(input.backtrackTo);
  if (target.getTime() > now.getTime()) {
    throw fault('InvalidParameterValue', `The BacktrackTo time ${iso(input.backtrackTo)} is in the future.`);
  }
  const info = await dataInfo(ctx, cluster.id);
  const earliest = info ? windowedEarliest(ctx, cluster, info) : undefined;
  if (earliest && target.getTime() < earliest.getTime()) {
    if (!input.useEarliestTimeOnPointInTimeUnavailable) {
      throw fault(
        'InvalidParameterValue',
        `The BacktrackTo time ${iso(input.backtrackTo)} is earlier than the earliest backtrack time of ` +
          `DBCluster ${cluster.id} (${iso(earliest)}). Pass UseEarliestTimeOnPointInTimeUnavailable to ` +
          'backtrack to the earliest time instead.',
      );
    }
    target = earliest;
  }
  // Checked again after the await: from here to the status change nothing yields, so of two concurrent
  // backtracks only one gets through.
  assertAvailable(cluster);
  const record: BacktrackRecord = {
    id: newUuid(),
    clusterId: cluster.id,
    backtrackTo: target.toISOString(),
    requestedAt: now.toISOString(),
    status: 'PENDING',
  };
  cluster.status = 'backtracking';
  ctx.registry.addBacktrack(record);
  await ctx.registry.persist();
  ctx.log(`cluster ${cluster.id}: backtrack ${record.id} to ${record.backtrackTo}`);
  const response = { ...record };
  ctx.tasks.background(`backtrack cluster ${cluster.id}`, [cluster.id], async () => {
    record.status = 'APPLYING';
    record.backtrackedFrom = ctx.now().toISOString();
    await ctx.registry.persist();
    try {
      // The data plane deletes the history the window no longer reaches once it is done.
      const outcome = await ctx.dataPlane.backtrack(cluster.id, target, {
        windowSeconds: cluster.backtrackWindow,
      });
      // The data plane reports the consistent instant it reached, which is what AWS lists afterwards.
      record.backtrackTo = outcome.backtrackedTo.toISOString();
      record.status = 'COMPLETED';
      ctx.log(
        `cluster ${cluster.id}: backtracked to ${record.backtrackTo} (${outcome.replayedEvents} events replayed)`,
      );
      setClusterStatus(ctx, cluster, 'available');
    } catch (error) {
      if (ctx.tasks.closing) return;
      record.status = 'FAILED';
      record.statusCause = describeError(error);
      ctx.log(`cluster ${cluster.id}: backtrack ${record.id} failed: ${record.statusCause}`);
      await recoverAfterFailedBacktrack(ctx, cluster);
    }
  });
  return response;
}

/** The cluster's backtracks, newest first, as the console and CLI list them. */
export function describeBacktracks(ctx: ControlContext, input: DescribeBacktracksInput): BacktrackRecord[] {
  const cluster = ctx.registry.requireCluster(input.clusterId);
  let records = ctx.registry.backtracks.filter((record) => record.clusterId === cluster.id);
  if (input.backtrackId !== undefined) {
    records = records.filter((record) => record.id === input.backtrackId);
    if (records.length === 0) {
      throw fault(
        'DBClusterBacktrackNotFoundFault',
        `Backtrack ${input.backtrackId} not found for DBCluster ${cluster.id}.`,
      );
    }
  }
  return applyFilters(records, input.filters ?? [], BACKTRACK_FILTERS, ctx.region)
    .map((record) => ({ ...record }))
    .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
}

/** After a failed rewind the cluster must serve again if it has instances; if it cannot, it is `failed`. */
async function recoverAfterFailedBacktrack(ctx: ControlContext, cluster: ClusterRecord): Promise<void> {
  try {
    if (ctx.registry.liveInstances(cluster.id).length > 0) await ctx.dataPlane.start(cluster.id);
    setClusterStatus(ctx, cluster, 'available');
  } catch (error) {
    setClusterStatus(
      ctx,
      cluster,
      'failed',
      `The server did not restart after a failed backtrack: ${describeError(error)}`,
    );
  }
}
