/**
 * Serializes work per key (a cluster id): one cluster's server is never started, stopped, copied or rewound by
 * two tasks at once, and its API state never changed by two requests at once. Different keys run concurrently.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `task` once every earlier task holding any of `keys` is done. Keys are taken in sorted order, so two
   * tasks that share several keys cannot deadlock.
   */
  async run<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort();
    const releases: Array<() => void> = [];
    for (const key of sorted) {
      const previous = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => held);
      this.tails.set(key, tail);
      releases.push(() => {
        release();
        // Drop the entry when nobody queued behind us, so the map does not grow forever.
        if (this.tails.get(key) === tail) this.tails.delete(key);
      });
      await previous;
    }
    try {
      return await task();
    } finally {
      for (const release of releases) release();
    }
  }

  /** Whether a task holds `key` or waits for it. */
  busy(key: string): boolean {
    return this.tails.has(key);
  }

  /** Resolves when every task queued so far on every key has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
