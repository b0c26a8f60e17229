/**
 * Serialises the data plane's work per cluster: one cluster's server is never started, stopped, copied or
 * rewound by two operations at once, while different clusters proceed in parallel.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `task` after every earlier task holding any of `keys`; keys are taken sorted, so no deadlock. */
  async run<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const releases: Array<() => void> = [];
    for (const key of [...new Set(keys)].sort()) {
      const previous = this.tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => held);
      this.tails.set(key, tail);
      releases.push(() => {
        release();
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
}
