/**
 * The `Filters` the Describe operations accept. Each filter name maps to the values a record matches on;
 * values compare case-insensitively (AWS documents lower-case backtrack statuses but reports upper-case).
 */
import { fault } from './faults.js';
import { clusterArn, instanceArn } from './identifiers.js';
import type { Filter } from './inputs.js';
import type { BacktrackRecord, ClusterRecord, InstanceRecord } from './model.js';

type FilterTable<T> = Record<string, (item: T, region: string) => string[]>;

export const CLUSTER_FILTERS: FilterTable<ClusterRecord> = {
  'db-cluster-id': (cluster, region) => [cluster.id, clusterArn(region, cluster.id)],
  'db-cluster-resource-id': (cluster) => [cluster.resourceId],
  'clone-group-id': (cluster) => (cluster.cloneGroupId ? [cluster.cloneGroupId] : []),
  engine: (cluster) => [cluster.engine],
};

export const INSTANCE_FILTERS: FilterTable<InstanceRecord> = {
  'db-cluster-id': (instance, region) => [instance.clusterId, clusterArn(region, instance.clusterId)],
  'db-instance-id': (instance, region) => [instance.id, instanceArn(region, instance.id)],
  'dbi-resource-id': (instance) => [instance.resourceId],
  engine: (instance) => [instance.engine],
};

export const BACKTRACK_FILTERS: FilterTable<BacktrackRecord> = {
  'db-cluster-backtrack-id': (record) => [record.id],
  'db-cluster-backtrack-status': (record) => [record.status],
};

/** The items every filter matches; an unknown filter name is refused, listing the valid ones. */
export function applyFilters<T>(items: T[], filters: Filter[], table: FilterTable<T>, region: string): T[] {
  let kept = items;
  for (const filter of filters) {
    // Only the table's own names: `constructor` or `__proto__` are not filters.
    const pick = Object.hasOwn(table, filter.name) ? table[filter.name] : undefined;
    if (!pick) {
      throw fault(
        'InvalidParameterValue',
        `Unrecognized filter name: ${filter.name}. Valid names are ${Object.keys(table).join(', ')}.`,
      );
    }
    const wanted = new Set(filter.values.map((value) => value.toLowerCase()));
    kept = kept.filter((item) => pick(item, region).some((value) => wanted.has(value.toLowerCase())));
  }
  return kept;
}
