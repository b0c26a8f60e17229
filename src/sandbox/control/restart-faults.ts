/**
 * The `restart=<clusterId>@<delay>` faults (fault-injection.ts), for tests: `delay` after a cluster is first
 * seen available (at daemon start for one that exists then, else when its create or clone finishes), its
 * mariadbd is killed with SIGKILL and started again through InnoDB crash recovery, once. Connections are
 * refused meanwhile, as when an Aurora writer crashes and restarts.
 *
 * The restart runs under the cluster's task lock, so it never overlaps a clone, backtrack, instance change or
 * delete of that cluster: when one is under way it waits for it. It waits too while the cluster is not
 * available or has no running server (a clone before its instance exists), and gives up on a cluster that is
 * deleted or failed. Every decision goes to the daemon log as a `fault: restart ...` line.
 */
import type { RestartFault } from '../api/fault-injection.js';
import type { RestartOptions, RestartOutcome } from '../mariadb/data-plane.js';
import { isDataPlaneError } from '../mariadb/errors.js';
import { setInstanceStatus, type ControlContext } from './context.js';
import { describeError } from './rules.js';

/** A data plane that can restart a cluster's server (the MariaDB one can). */
export interface RestartableDataPlane {
  restart(id: string, options?: RestartOptions): Promise<RestartOutcome | undefined>;
}

/** How often clusters are looked at while a fault waits for its cluster. */
const WATCH_MS = 100;

type Attempt = RestartOutcome | 'wait' | 'skip';

export class RestartFaults {
  private readonly pending: RestartFault[];
  /** Armed faults whose delay has not run out: timer -> cluster id. */
  private readonly timers = new Map<NodeJS.Timeout, string>();
  private readonly running = new Set<Promise<void>>();
  private watcher: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly ctx: ControlContext,
    private readonly dataPlane: RestartableDataPlane,
    faults: readonly RestartFault[],
  ) {
    this.pending = [...faults];
  }

  /** Starts watching for the faults' clusters to become available. */
  start(): void {
    if (this.closed || this.watcher || this.pending.length === 0) return;
    this.watch();
    if (this.pending.length > 0) this.watcher = setInterval(() => this.watch(), WATCH_MS);
  }

  /** Cancels the faults not yet carried out and waits for one under way. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watcher) clearInterval(this.watcher);
    for (const [timer, id] of this.timers) {
      clearTimeout(timer);
      this.ctx.log(`fault: restart of cluster ${id} not carried out: the sandbox stops first`);
    }
    this.timers.clear();
    for (const fault of this.pending)
      this.ctx.log(
        `fault: restart of cluster ${fault.clusterId} not carried out: the cluster was never available`,
      );
    await Promise.allSettled([...this.running]);
  }

  /** Arms the timer of every fault whose cluster is available now. */
  private watch(): void {
    for (const fault of [...this.pending]) {
      if (this.ctx.registry.findCluster(fault.clusterId)?.status !== 'available') continue;
      this.pending.splice(this.pending.indexOf(fault), 1);
      this.ctx.log(
        `fault: restart of cluster ${fault.clusterId} armed: its mariadbd is killed in ${fault.delayMs} ms`,
      );
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const run = this.fire(fault.clusterId).finally(() => this.running.delete(run));
        this.running.add(run);
      }, fault.delayMs);
      this.timers.set(timer, fault.clusterId);
    }
    if (this.pending.length === 0 && this.watcher) {
      clearInterval(this.watcher);
      this.watcher = undefined;
    }
  }

  private async fire(id: string): Promise<void> {
    let waiting: string | undefined;
    while (!this.closed) {
      // Judged before queueing for the lock as well as under it, so that a wait is logged with its reason.
      const state = this.state(id);
      if (state === 'skip') return;
      let attempt: Attempt = 'wait';
      if (state === 'ready') {
        try {
          attempt = await this.ctx.tasks.exclusive([id], () => this.attempt(id));
        } catch (error) {
          this.failed(id, error);
          return;
        }
      }
      if (attempt === 'skip') return;
      if (attempt !== 'wait') {
        this.ctx.log(
          `fault: restart of cluster ${id}: mariadbd pid ${attempt.previousPid} killed (SIGKILL); ` +
            `pid ${attempt.pid} serving again after ${attempt.downMs} ms (InnoDB crash recovery)`,
        );
        return;
      }
      const why = this.waitReason(id);
      if (why !== waiting) this.ctx.log(`fault: restart of cluster ${id} waits: ${why}`);
      waiting = why;
      await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    }
  }

  /** One try, under the cluster's task lock: restart now, wait and try again, or give up for good. */
  private async attempt(id: string): Promise<Attempt> {
    const state = this.state(id);
    if (state !== 'ready') return state;
    try {
      return (await this.dataPlane.restart(id, { crash: true })) ?? 'wait';
    } catch (error) {
      if (!isDataPlaneError(error, 'ClusterNotFound')) throw error;
      this.ctx.log(`fault: restart of cluster ${id} skipped: the cluster has no data any more`);
      return 'skip';
    }
  }

  /** Whether the cluster can be restarted now, must be waited for, or is gone for good (logged). */
  private state(id: string): 'ready' | 'wait' | 'skip' {
    if (this.closed) return 'skip';
    const cluster = this.ctx.registry.findCluster(id);
    if (!cluster || cluster.status === 'deleting' || cluster.status.endsWith('failed')) {
      this.ctx.log(
        `fault: restart of cluster ${id} skipped: the cluster ${cluster ? `is ${cluster.status}` : 'is gone'}`,
      );
      return 'skip';
    }
    if (cluster.status !== 'available' || !this.hasAvailableInstance(id)) return 'wait';
    return 'ready';
  }

  private hasAvailableInstance(id: string): boolean {
    return this.ctx.registry.liveInstances(id).some((instance) => instance.status === 'available');
  }

  private waitReason(id: string): string {
    const cluster = this.ctx.registry.findCluster(id);
    if (cluster && cluster.status !== 'available') return `the cluster is ${cluster.status}`;
    if (!this.hasAvailableInstance(id)) return 'the cluster has no available instance';
    return 'the cluster has no running server';
  }

  /** A server that does not come back leaves the cluster's instances failed, as a failed start does. */
  private failed(id: string, error: unknown): void {
    const cause = `The server did not start again after an injected crash: ${describeError(error)}`;
    this.ctx.log(`fault: restart of cluster ${id} failed: ${describeError(error)}`);
    for (const instance of this.ctx.registry.liveInstances(id))
      setInstanceStatus(this.ctx, instance, 'failed', cause);
  }
}
