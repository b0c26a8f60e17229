/**
 * A cluster's snapshots, by name. A snapshot is sealed into the cluster's chunk store (see chunk-store.ts) or
 * is still a plain directory under snapshots/: the copy a clone or create just made, the live directory a
 * backtrack ended (renamed, not read), the state a backtrack replayed into a copy of a plain base. Plain
 * snapshots are sealed once the cluster is quiet (see quiet-sealer.ts) or settled; until then a plain
 * snapshot is used as it is (copied with cp when a live directory is made from it).
 */
import { readdir, rm } from 'node:fs/promises';
import { ChunkStore, type Manifest, type SealStats } from './chunk-store.js';
import { copyDirectory, exists } from './fs-utils.js';
import { snapshotDir, type ClusterPaths } from './layout.js';

export class Snapshots {
  readonly store: ChunkStore;

  constructor(private readonly paths: ClusterPaths) {
    this.store = new ChunkStore(paths.store);
  }

  /** The directory of a plain snapshot `name`, or undefined when it is sealed (or missing). */
  async plain(name: string): Promise<string | undefined> {
    const dir = snapshotDir(this.paths, name);
    return (await exists(dir)) ? dir : undefined;
  }

  async has(name: string): Promise<boolean> {
    return (await this.plain(name)) !== undefined || (await this.store.has(name));
  }

  /** Every snapshot name, plain or sealed. */
  async names(): Promise<string[]> {
    const plain = await readdir(this.paths.snapshots).catch(() => [] as string[]);
    return [...new Set([...plain, ...(await this.store.names())])].sort();
  }

  /** Seals the plain snapshot `name` into the store and removes its directory (a no-op once sealed). */
  async pack(name: string): Promise<Manifest> {
    const dir = await this.plain(name);
    if (dir === undefined) return this.store.read(name);
    const { manifest } = await this.store.seal(dir, name);
    await rm(dir, { recursive: true, force: true });
    return manifest;
  }

  /** The names of the plain snapshots, oldest epoch first (e2-end before e10-base). */
  async plainNames(): Promise<string[]> {
    const epoch = (name: string): number => Number(/^e(\d+)-/.exec(name)?.[1] ?? Infinity);
    return (await readdir(this.paths.snapshots).catch(() => [] as string[])).sort(
      (a, b) => epoch(a) - epoch(b) || (a < b ? -1 : a > b ? 1 : 0),
    );
  }

  /** Creates `target` (which must not exist) holding snapshot `name`. */
  async materialize(name: string, target: string): Promise<void> {
    const dir = await this.plain(name);
    if (dir !== undefined) await copyDirectory(dir, target);
    else await this.store.patch(target, undefined, await this.store.read(name));
  }

  /** Seals `dir` as `name`; `likely` is a manifest it was made from (see ChunkStore.seal). */
  seal(dir: string, name: string, likely?: Manifest): Promise<{ manifest: Manifest; stats: SealStats }> {
    return this.store.seal(dir, name, likely);
  }

  /** The manifest of the sealed snapshot `name`, or undefined when it is plain or missing. */
  async sealed(name: string): Promise<Manifest | undefined> {
    return (await this.store.has(name)) ? this.store.read(name) : undefined;
  }

  async remove(name: string): Promise<void> {
    await rm(snapshotDir(this.paths, name), { recursive: true, force: true });
    await this.store.remove(name);
  }
}
