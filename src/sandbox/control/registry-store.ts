/**
 * Keeps the registry (clusters, instances, backtracks, stacks) on disk so a restarted daemon picks up where
 * it stopped. Writes are atomic (temp file + rename) and serialized, so a crash never leaves half a file and
 * two quick changes never race each other to the disk. The file holds the clusters' master passwords, as
 * the service's own store does, so only its owner may read it (mode 0600).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { emptyState, type RegistryState } from './model.js';

export const REGISTRY_FILE = 'registry.json';

export class RegistryStore {
  readonly file: string;
  private pending: Promise<void> = Promise.resolve();

  constructor(home: string) {
    this.file = path.join(home, REGISTRY_FILE);
  }

  async load(): Promise<RegistryState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<RegistryState>;
    if (parsed.version !== 1) {
      throw new Error(`${this.file} has an unknown format version (${String(parsed.version)})`);
    }
    return { ...emptyState(), ...parsed } as RegistryState;
  }

  /** Writes a snapshot of `state` after any write already under way. */
  save(state: RegistryState): Promise<void> {
    const text = JSON.stringify(state, null, 2) + '\n';
    const write = this.pending.then(async () => {
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, text, { encoding: 'utf8', mode: 0o600 });
      await rename(tmp, this.file);
    });
    // One failed write must not poison every later one.
    this.pending = write.catch(() => undefined);
    return write;
  }
}
