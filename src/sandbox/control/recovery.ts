/**
 * Brings a registry loaded after a restart back to a consistent state: work that was under way when the
 * previous daemon stopped is finished or marked failed, and the clusters that have instances serve again.
 */
import { finishDeleteCluster } from './cluster-operations.js';
import { setInstanceStatus, type ControlContext } from './context.js';
import { describeError } from './rules.js';

export async function recoverRegistry(ctx: ControlContext): Promise<void> {
  const { registry } = ctx;
  const now = ctx.now().toISOString();
  for (const cluster of registry.clusters) {
    if (cluster.status === 'creating') {
      const clone = cluster.origin.kind === 'restore' && cluster.origin.restoreType === 'copy-on-write';
      cluster.status = clone ? 'cloning-failed' : 'failed';
      cluster.statusCause = 'The sandbox stopped while the cluster was being created.';
    } else if (cluster.status === 'backtracking') {
      cluster.status = 'available';
    }
  }
  for (const record of registry.backtracks) {
    if (record.status === 'PENDING' || record.status === 'APPLYING') {
      record.status = 'FAILED';
      record.statusCause = 'The sandbox stopped while the backtrack was under way.';
      record.backtrackedFrom ??= now;
    }
  }
  // An instance being deleted was as good as gone; one being created only needed its server started.
  registry.removeInstances((instance) => instance.status === 'deleting');
  for (const instance of registry.instances) {
    if (instance.status === 'creating') instance.status = 'available';
  }
  await registry.persist();

  for (const cluster of registry.clusters) {
    if (cluster.status === 'deleting') {
      ctx.tasks.background(`delete cluster ${cluster.id}`, [cluster.id], () =>
        finishDeleteCluster(ctx, cluster),
      );
    }
  }
  const serving = registry.clusters.filter(
    (cluster) => cluster.status === 'available' && registry.liveInstances(cluster.id).length > 0,
  );
  await Promise.all(
    serving.map(async (cluster) => {
      try {
        await ctx.tasks.exclusive([cluster.id], () => ctx.dataPlane.start(cluster.id));
        ctx.log(`cluster ${cluster.id}: serving on ${cluster.host}:${cluster.port}`);
      } catch (error) {
        const cause = `The server did not start: ${describeError(error)}`;
        for (const instance of registry.liveInstances(cluster.id))
          setInstanceStatus(ctx, instance, 'failed', cause);
        ctx.log(`cluster ${cluster.id}: ${cause}`);
      }
    }),
  );
  await registry.persist();
}
