/**
 * Keeps the registry (clusters, instances, backtracks, stacks) on disk so a restarted daemon picks up where
 * it stopped. Writes are atomic (temp file, fsync, rename) and serialized, so a crash never leaves half a file
 * and two quick changes never race each other to the disk. A file that cannot be read whole (bad JSON, an
 * unknown version, a missing list) is an error, never taken as empty. The file holds the clusters' master
 * passwords, as the service's own store does, so only its owner may read it (mode 0600).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { emptyState, type RegistryState } from './model.js';

export const REGISTRY_FILE = 'registry.json';

const LISTS = ['clusters', 'instances', 'backtracks', 'stacks'] as const;

export class RegistryStore {
  readonly file: string;
  private pending: Promise<void> = Promise.resolve();

  constructor(home: string) {
    this.file = path.join(home, REGISTRY_FILE);
  }

  /** The saved state; an empty one only when there is no file at all (a new home). */
  async load(): Promise<RegistryState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw error;
    }
    let parsed: Partial<Record<string, unknown>>;
    try {
      parsed = JSON.parse(text) as Partial<Record<string, unknown>>;
    } catch (error) {
      throw new Error(`${this.file} is not valid JSON (${(error as Error).message}); it was left as it is`);
    }
    if (parsed.version !== 1) {
      throw new Error(`${this.file} has an unknown format version (${String(parsed.version)})`);
    }
    const missing = LISTS.filter((key) => !Array.isArray(parsed[key]));
    if (missing.length > 0) {
      throw new Error(`${this.file} is incomplete (no ${missing.join(', ')} list); it was left as it is`);
    }
    return parsed as unknown as RegistryState;
  }

  /** Writes a snapshot of `state` after any write already under way. */
  save(state: RegistryState): Promise<void> {
    const text = JSON.stringify(state, null, 2) + '\n';
    const write = this.pending.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    });
    // One failed write must not poison every later one.
    this.pending = write.catch(() => undefined);
    return write;
  }
}
