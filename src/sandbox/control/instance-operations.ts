/**
 * DB instance operations. An instance is the cluster's compute: the cluster's mariadbd runs while the
 * cluster has at least one instance, so creating the first instance starts it and deleting the last stops it.
 */
import { instanceView, setInstanceStatus, type ControlContext, type InstanceView } from './context.js';
import { fault } from './faults.js';
import { applyFilters, INSTANCE_FILTERS } from './filters.js';
import { normalizeIdentifier, resourceId } from './identifiers.js';
import type { CreateInstanceInput, Filter } from './inputs.js';
import type { InstanceRecord } from './model.js';
import { checkInstanceClass, describeError, retiredEngine } from './rules.js';

export async function createInstance(ctx: ControlContext, input: CreateInstanceInput): Promise<InstanceView> {
  const id = normalizeIdentifier('DBInstanceIdentifier', input.id);
  if (!input.instanceClass)
    throw fault('MissingParameter', 'The parameter DBInstanceClass must be provided.');
  if (!input.engine) throw fault('MissingParameter', 'The parameter Engine must be provided.');
  if (!input.clusterId) {
    throw fault(
      'InvalidParameterCombination',
      'The sandbox only runs DB instances that belong to a DB cluster; pass DBClusterIdentifier.',
    );
  }
  if (ctx.registry.findInstance(id)) throw fault('DBInstanceAlreadyExists', 'DB instance already exists');
  const cluster = ctx.registry.findCluster(input.clusterId);
  if (!cluster) {
    throw fault(
      'DBClusterNotFoundFault',
      `The source cluster could not be found or cannot be accessed: ${input.clusterId}`,
    );
  }
  const engine = input.engine.toLowerCase();
  // `aurora` (the retired Aurora MySQL 1 name the older guides use): lenient, taken as the cluster's
  // aurora-mysql; strict, refused as AWS refuses it today.
  if (engine === 'aurora' && ctx.strict) throw retiredEngine(input.engine);
  if (engine !== 'aurora' && engine !== cluster.engine) {
    throw fault(
      'InvalidParameterCombination',
      `The engine name requested for your DB instance (${input.engine}) ` +
        `doesn't match the engine name of your DB cluster (${cluster.engine}).`,
    );
  }
  checkInstanceClass(input.instanceClass, cluster.engineVersion, ctx.strict);
  if (cluster.status !== 'available') {
    throw fault(
      'InvalidDBClusterStateFault',
      `DBCluster ${cluster.id} is in status ${cluster.status}; instances can only be added while it is available.`,
    );
  }
  const instance: InstanceRecord = {
    id,
    resourceId: resourceId('db'),
    clusterId: cluster.id,
    status: 'creating',
    instanceClass: input.instanceClass,
    engine: cluster.engine,
    availabilityZone: input.availabilityZone ?? cluster.availabilityZones[0] ?? `${ctx.region}a`,
    promotionTier: input.promotionTier ?? 1,
    createdAt: ctx.now().toISOString(),
  };
  ctx.registry.addInstance(instance);
  await ctx.registry.persist();
  ctx.log(`instance ${id}: creating in cluster ${cluster.id}`);
  ctx.tasks.background(`create instance ${id}`, [cluster.id], async () => {
    try {
      await ctx.dataPlane.start(cluster.id);
      setInstanceStatus(ctx, instance, 'available');
    } catch (error) {
      setInstanceStatus(
        ctx,
        instance,
        'failed',
        `The cluster's server did not start: ${describeError(error)}`,
      );
    }
  });
  return instanceView(ctx, instance);
}

export function describeInstances(
  ctx: ControlContext,
  id: string | undefined,
  filters: Filter[],
): InstanceView[] {
  const instances = id === undefined ? [...ctx.registry.instances] : [ctx.registry.requireInstance(id)];
  return applyFilters(instances, filters, INSTANCE_FILTERS, ctx.region)
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((instance) => instanceView(ctx, instance));
}

export async function deleteInstance(ctx: ControlContext, id: string): Promise<InstanceView> {
  const instance = ctx.registry.requireInstance(id);
  if (instance.status === 'deleting') {
    throw fault('InvalidDBInstanceState', `DB instance ${instance.id} is already being deleted.`);
  }
  instance.status = 'deleting';
  await ctx.registry.persist();
  const view = instanceView(ctx, instance);
  ctx.log(`instance ${instance.id}: deleting`);
  ctx.tasks.background(`delete instance ${instance.id}`, [instance.clusterId], async () => {
    try {
      if (ctx.registry.liveInstances(instance.clusterId).length === 0)
        await ctx.dataPlane.stop(instance.clusterId);
    } finally {
      ctx.registry.removeInstances((other) => other === instance);
      await ctx.registry.persist();
      ctx.log(`instance ${instance.id}: deleted`);
    }
  });
  return view;
}
