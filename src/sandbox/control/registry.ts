/**
 * The control plane's state in memory: clusters, instances, backtrack records and stacks, with the lookups
 * and checks every operation shares. Changes are saved through the RegistryStore when one is given.
 */
import { fault } from './faults.js';
import { allocateHost } from './host-allocator.js';
import { identifierFromArn } from './identifiers.js';
import {
  emptyState,
  type BacktrackRecord,
  type ClusterRecord,
  type InstanceRecord,
  type RegistryState,
  type StackRecord,
} from './model.js';
import type { RegistryStore } from './registry-store.js';
import { describeError } from './rules.js';

const LIVE_INSTANCE = new Set<InstanceRecord['status']>(['creating', 'available']);

export class Registry {
  private state: RegistryState = emptyState();
  /** Only a state that was read completely from the store is ever written back to it. */
  private loaded: boolean;

  constructor(
    private readonly store: RegistryStore | undefined,
    private readonly log: (line: string) => void,
  ) {
    this.loaded = store === undefined;
  }

  async load(): Promise<void> {
    if (!this.store) return;
    this.state = await this.store.load();
    this.loaded = true;
  }

  /**
   * Saves the current state; a failed save is logged, since the state in memory stays authoritative. Before
   * the saved state was read (a daemon that failed to start, e.g. on a port in use), nothing is written: the
   * empty state in memory would erase it.
   */
  async persist(): Promise<void> {
    if (!this.store) return;
    if (!this.loaded) {
      this.log('the registry was not read, so it is not saved');
      return;
    }
    try {
      await this.store.save(this.state);
    } catch (error) {
      this.log(`could not save the registry: ${describeError(error)}`);
    }
  }

  get clusters(): readonly ClusterRecord[] {
    return this.state.clusters;
  }

  get instances(): readonly InstanceRecord[] {
    return this.state.instances;
  }

  get backtracks(): readonly BacktrackRecord[] {
    return this.state.backtracks;
  }

  get stacks(): readonly StackRecord[] {
    return this.state.stacks;
  }

  addCluster(cluster: ClusterRecord): void {
    this.state.clusters.push(cluster);
  }

  /** Forgets a cluster and its backtrack history. */
  removeCluster(cluster: ClusterRecord): void {
    this.state.clusters = this.state.clusters.filter((other) => other !== cluster);
    this.state.backtracks = this.state.backtracks.filter((record) => record.clusterId !== cluster.id);
  }

  addInstance(instance: InstanceRecord): void {
    this.state.instances.push(instance);
  }

  removeInstances(drop: (instance: InstanceRecord) => boolean): void {
    this.state.instances = this.state.instances.filter((instance) => !drop(instance));
  }

  addBacktrack(record: BacktrackRecord): void {
    this.state.backtracks.push(record);
  }

  putStack(stack: StackRecord): void {
    this.state.stacks = [...this.state.stacks.filter((other) => other.name !== stack.name), stack];
  }

  findCluster(id: string): ClusterRecord | undefined {
    const wanted = identifierFromArn(id, 'cluster');
    return this.state.clusters.find((cluster) => cluster.id === wanted);
  }

  findInstance(id: string): InstanceRecord | undefined {
    const wanted = identifierFromArn(id, 'db');
    return this.state.instances.find((instance) => instance.id === wanted);
  }

  requireCluster(id: string): ClusterRecord {
    const cluster = this.findCluster(id);
    if (!cluster) throw fault('DBClusterNotFoundFault', `DBCluster ${id} not found.`);
    return cluster;
  }

  requireInstance(id: string): InstanceRecord {
    const instance = this.findInstance(id);
    if (!instance) throw fault('DBInstanceNotFound', `DBInstance ${id} not found.`);
    return instance;
  }

  assertNewCluster(id: string): void {
    if (this.state.clusters.some((cluster) => cluster.id === id)) {
      throw fault('DBClusterAlreadyExistsFault', `DB Cluster ${id} already exists`);
    }
  }

  /** The cluster's instances that are (or are becoming) compute: the server runs while there is one. */
  liveInstances(clusterId: string): InstanceRecord[] {
    return this.state.instances.filter(
      (instance) => instance.clusterId === clusterId && LIVE_INSTANCE.has(instance.status),
    );
  }

  /** The cluster's instances, oldest first; the first one not being deleted is the writer. */
  members(clusterId: string): InstanceRecord[] {
    return this.state.instances
      .filter((instance) => instance.clusterId === clusterId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  writerOf(clusterId: string): InstanceRecord | undefined {
    return this.members(clusterId).find((instance) => instance.status !== 'deleting');
  }

  allocateHost(base: string): string {
    return allocateHost(
      base,
      this.state.clusters.map((cluster) => cluster.host),
    );
  }
}
