/**
 * Runs the slow data-plane work of an API call after the call has returned, one task at a time per cluster,
 * and keeps track of it so tests and shutdown can wait for it.
 */
import { KeyedMutex } from '../keyed-mutex.js';
import { describeError } from './rules.js';

export class TaskRunner {
  private readonly locks = new KeyedMutex();
  private readonly running = new Set<Promise<void>>();
  private stopping = false;

  constructor(
    private readonly log: (line: string) => void,
    /** Pause before each background transition, so tests can watch intermediate statuses. */
    private readonly delayMs = 0,
  ) {}

  /** True once shutdown began: outcomes of work cut short are then left for the next start to tidy up. */
  get closing(): boolean {
    return this.stopping;
  }

  /** Queues `work` behind every task holding any of `keys` (cluster ids) and returns at once. */
  background(what: string, keys: string[], work: () => Promise<void>): void {
    const task = this.locks
      .run(keys, async () => {
        if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        if (this.stopping) return;
        await work();
      })
      .catch((error: unknown) => this.log(`${what} failed: ${describeError(error)}`))
      .finally(() => this.running.delete(task));
    this.running.add(task);
  }

  /** Runs `work` under the keys' locks and waits for it. */
  exclusive<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    return this.locks.run(keys, work);
  }

  /** Resolves when no background task is running. */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Marks the runner as closing and waits for what is under way to finish or fail. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running]);
  }
}
