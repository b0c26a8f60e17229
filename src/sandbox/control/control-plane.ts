/**
 * The sandbox's control plane: the RDS and CloudFormation semantics (identifiers, statuses, validations,
 * clone groups, backtrack records, stacks) over the data plane's real servers. Every operation validates and
 * records its new status before it returns, so a caller that polls right away already sees `creating`,
 * `backtracking` or `deleting`; the slow data-plane work then runs in the background, one task at a time per
 * cluster. The operations themselves live in cluster-, instance- and backtrack-operations.ts.
 */
import type { RestartFault } from '../api/fault-injection.js';
import { backtrackCluster, describeBacktracks } from './backtrack-operations.js';
import {
  createCluster,
  deleteCluster,
  describeClusters,
  modifyCluster,
  restoreClusterToPointInTime,
} from './cluster-operations.js';
import type { ClusterView, ControlContext, InstanceView, RestorableDataPlane } from './context.js';
import { fault } from './faults.js';
import { parseHostBase } from './host-allocator.js';
import { SANDBOX_REGION } from './lab-stack.js';
import type {
  BacktrackInput,
  CreateClusterInput,
  CreateInstanceInput,
  DeleteClusterInput,
  DescribeBacktracksInput,
  Filter,
  ModifyClusterInput,
  RestoreClusterInput,
} from './inputs.js';
import { createInstance, deleteInstance, describeInstances } from './instance-operations.js';
import type { BacktrackRecord, ClusterRecord, InstanceRecord, StackRecord } from './model.js';
import { recoverRegistry } from './recovery.js';
import { RestartFaults, type RestartableDataPlane } from './restart-faults.js';
import { Registry } from './registry.js';
import type { RegistryStore } from './registry-store.js';
import { TaskRunner } from './task-runner.js';

export type { ClusterView, InstanceView, RestorableDataPlane } from './context.js';

export interface ControlPlaneOptions {
  dataPlane: RestorableDataPlane;
  /** Where the registry is persisted; without one the state lives in memory only. */
  store?: RegistryStore;
  region?: string;
  /** First loopback address handed to a cluster (default 127.0.1.1); later clusters get the next free ones. */
  hostBase?: string;
  log?: (line: string) => void;
  /** Pause before each background transition, so tests can watch intermediate statuses. */
  transitionDelayMs?: number;
  clock?: () => Date;
  /**
   * Behave like today's AWS where the sandbox is otherwise lenient: refuse the retired engine name `aurora`,
   * Aurora MySQL 1 versions and instance classes not offered for Aurora MySQL 3 (default false).
   */
  strict?: boolean;
  /** Faults to inject into the data plane (tests only): crash-restarts of clusters' servers. */
  faults?: { restarts: readonly RestartFault[] };
}

export class ControlPlane {
  readonly region: string;
  readonly strict: boolean;
  private readonly ctx: ControlContext;
  private readonly restartFaults: RestartFaults | undefined;

  constructor(options: ControlPlaneOptions) {
    const log = options.log ?? (() => undefined);
    const hostBase = options.hostBase ?? '127.0.1.1';
    parseHostBase(hostBase);
    const clock = options.clock ?? (() => new Date());
    this.region = options.region ?? SANDBOX_REGION;
    this.strict = options.strict ?? false;
    this.ctx = {
      region: this.region,
      hostBase,
      registry: new Registry(options.store, log),
      dataPlane: options.dataPlane,
      tasks: new TaskRunner(log, options.transitionDelayMs),
      log,
      strict: this.strict,
      now: clock,
    };
    const restarts = options.faults?.restarts ?? [];
    if (restarts.length > 0) {
      const dataPlane = options.dataPlane as Partial<RestartableDataPlane>;
      if (typeof dataPlane.restart !== 'function')
        throw new Error('restart faults need a data plane that can restart servers');
      this.restartFaults = new RestartFaults(this.ctx, dataPlane as RestartableDataPlane, restarts);
    }
  }

  /** Loads the persisted registry, tidies up work a previous run left unfinished, restarts serving clusters. */
  async resume(): Promise<void> {
    await this.ctx.registry.load();
    await recoverRegistry(this.ctx);
    this.restartFaults?.start();
  }

  /** Resolves when no background task is running. */
  whenIdle(): Promise<void> {
    return this.ctx.tasks.whenIdle();
  }

  /** Stops every server. Background work cut short here is tidied up by the next `resume`. */
  async shutdown(): Promise<void> {
    await this.restartFaults?.close();
    const settled = this.ctx.tasks.close();
    await this.ctx.dataPlane.shutdown();
    await settled;
    await this.ctx.registry.persist();
  }

  createCluster(input: CreateClusterInput): Promise<ClusterView> {
    return createCluster(this.ctx, input);
  }

  describeClusters(id?: string, filters: Filter[] = []): Promise<ClusterView[]> {
    return describeClusters(this.ctx, id, filters);
  }

  restoreClusterToPointInTime(input: RestoreClusterInput): Promise<ClusterView> {
    return restoreClusterToPointInTime(this.ctx, input);
  }

  modifyCluster(input: ModifyClusterInput): Promise<ClusterView> {
    return modifyCluster(this.ctx, input);
  }

  deleteCluster(input: DeleteClusterInput): Promise<ClusterView> {
    return deleteCluster(this.ctx, input);
  }

  createInstance(input: CreateInstanceInput): Promise<InstanceView> {
    return createInstance(this.ctx, input);
  }

  describeInstances(id?: string, filters: Filter[] = []): InstanceView[] {
    return describeInstances(this.ctx, id, filters);
  }

  deleteInstance(id: string): Promise<InstanceView> {
    return deleteInstance(this.ctx, id);
  }

  backtrackCluster(input: BacktrackInput): Promise<BacktrackRecord> {
    return backtrackCluster(this.ctx, input);
  }

  describeBacktracks(input: DescribeBacktracksInput): BacktrackRecord[] {
    return describeBacktracks(this.ctx, input);
  }

  async putStack(stack: StackRecord): Promise<void> {
    this.ctx.registry.putStack(stack);
    await this.ctx.registry.persist();
  }

  /** Every stack, or the one named (by name or stack id); a missing one is CloudFormation's ValidationError. */
  describeStacks(nameOrId?: string): StackRecord[] {
    const stacks = [...this.ctx.registry.stacks];
    if (nameOrId === undefined) return stacks;
    const stack = stacks.find((s) => s.name === nameOrId || s.id === nameOrId);
    if (!stack) throw fault('ValidationError', `Stack with id ${nameOrId} does not exist`);
    return [stack];
  }

  findCluster(id: string): ClusterRecord | undefined {
    return this.ctx.registry.findCluster(id);
  }

  findInstance(id: string): InstanceRecord | undefined {
    return this.ctx.registry.findInstance(id);
  }
}
