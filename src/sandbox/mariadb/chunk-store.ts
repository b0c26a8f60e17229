/**
 * Sealed snapshots of data directories as a content-addressed store of fixed-size chunks.
 *
 * A data directory is cut into 64 KiB chunks (four InnoDB pages); each chunk is named by its SHA-256 (128
 * bits kept) and stored once in `chunks/<2 hex>/<30 hex>`, deflated at the fastest level when the seal is
 * small (the few pages a backtrack's statements touched) and as it is past that (a whole new table: deflate
 * runs at under 100 MB/s, which would make a backtrack of a freshly loaded table take many seconds). A snapshot is a
 * manifest (`manifests/<name>.json.gz`): every directory, file and symlink with its mode, size, mtime and the
 * ids of its chunks in order. All-zero chunks (InnoDB's free pages, the unused part of a redo log) are not
 * stored at all. Consecutive snapshots of one cluster differ in the pages a few statements touched, so a
 * snapshot costs the compressed size of the chunks that changed since any snapshot still kept, not a copy of
 * the directory.
 *
 * A snapshot becomes a plain directory again by `patch`: given a directory and the manifest it matches,
 * only the chunks that differ are written, so turning the live directory into a nearby snapshot writes
 * kilobytes, not the whole directory. Chunks no manifest names any more are removed by `collectGarbage`.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
  utimes,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync, gunzip, gzip, inflateRaw, constants as zlibConstants } from 'node:zlib';
import { DataPlaneError } from './errors.js';
import { exists } from './fs-utils.js';

const inflateRawAsync = promisify(inflateRaw);
const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Bytes per chunk: small enough that a changed page costs little, large enough to keep the file count low. */
export const CHUNK_SIZE = 64 * 1024;
/** Characters of a chunk id (hex of the first 16 bytes of its SHA-256). */
const ID_LENGTH = 32;
/** The id of a chunk that is all zeros; such chunks are never stored. */
const ZERO_ID = '0'.repeat(ID_LENGTH);
/** Files are read in blocks of this many bytes and cut into chunks. */
const READ_BLOCK = 64 * CHUNK_SIZE;
/** New chunks a seal deflates; later ones are stored as they are, so a big seal costs little more than a copy. */
const DEFLATE_BUDGET = 256;
/** Chunks compressed, written or read at once (zlib runs on libuv's thread pool). */
const PARALLEL = 8;
/**
 * How far a file's mtime may be from a manifest's and still count as the same: `utimes` takes seconds as a
 * double, so a time `patch` sets comes back up to about a microsecond off. A write by the server stamps the
 * file with the time of the write, which is long after the snapshot's mtime (a seal runs with its server down).
 */
const MTIME_SLACK_MS = 0.01;
const TAG_RAW = 0;
const TAG_DEFLATE = 1;
const ZEROS = Buffer.alloc(CHUNK_SIZE);
const RAW_TAG = Buffer.of(TAG_RAW);
const DEFLATE_TAG = Buffer.of(TAG_DEFLATE);

export type ManifestEntry =
  | { path: string; kind: 'dir'; mode: number }
  | {
      path: string;
      kind: 'file';
      mode: number;
      size: number;
      mtimeMs: number;
      /** The ids of the file's chunks, concatenated (ID_LENGTH characters each). */
      chunks: string;
    }
  | { path: string; kind: 'symlink'; target: string };

export interface Manifest {
  version: 1;
  chunkSize: number;
  /** In walk order: a directory comes before what it holds. Paths are relative, with `/`. */
  entries: ManifestEntry[];
}

export interface SealStats {
  /** Chunks that were not in the store yet. */
  newChunks: number;
  /** Of those, the ones stored deflated. */
  deflatedChunks: number;
  /** Their bytes as stored (compressed). */
  storedBytes: number;
  /** Bytes of files read and hashed. */
  readBytes: number;
  /** Bytes of files taken as unchanged from the `likely` manifest, not read. */
  reusedBytes: number;
}

export class ChunkStore {
  private readonly chunksDir: string;
  private readonly manifestsDir: string;
  private known: Set<string> | undefined;
  private readonly madeDirs = new Set<string>();

  constructor(readonly dir: string) {
    this.chunksDir = join(dir, 'chunks');
    this.manifestsDir = join(dir, 'manifests');
  }

  /**
   * The manifest of `dir` as it is now; nothing is stored. A file that `likely` lists with the same size and
   * mtime is taken as unchanged and not read (see `walk`).
   */
  async scan(dir: string, likely?: Manifest): Promise<Manifest> {
    return (await this.walk(dir, false, likely)).manifest;
  }

  /**
   * Stores `dir` as snapshot `name` (replacing any snapshot of that name) and returns its manifest. `likely`
   * is a manifest `dir` was made from (written by `patch`, or sealed from the directory it was copied from
   * with its mtimes); its unchanged files are not read again.
   */
  async seal(
    dir: string,
    name: string,
    likely?: Manifest,
  ): Promise<{ manifest: Manifest; stats: SealStats }> {
    const result = await this.walk(dir, true, likely);
    await this.writeManifest(name, result.manifest);
    return result;
  }

  /** Stores `manifest` as snapshot `name`: every chunk it names must be in the store already. */
  async writeManifest(name: string, manifest: Manifest): Promise<void> {
    await mkdir(this.manifestsDir, { recursive: true });
    const path = this.manifestPath(name);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, await gzipAsync(JSON.stringify(manifest), { level: 1 }));
    await rename(temporary, path);
  }

  async read(name: string): Promise<Manifest> {
    let data: Buffer;
    try {
      data = await readFile(this.manifestPath(name));
    } catch (error) {
      throw new DataPlaneError('ToolFailed', `Snapshot ${name} is missing from ${this.manifestsDir}.`, {
        cause: error,
      });
    }
    const manifest = JSON.parse((await gunzipAsync(data)).toString('utf8')) as Manifest;
    if (manifest.version !== 1 || manifest.chunkSize !== CHUNK_SIZE) {
      throw new DataPlaneError('ToolFailed', `Snapshot ${name} is in a format this labrun cannot read.`);
    }
    return manifest;
  }

  has(name: string): Promise<boolean> {
    return exists(this.manifestPath(name));
  }

  async names(): Promise<string[]> {
    const files = await readdir(this.manifestsDir).catch(() => [] as string[]);
    return files.filter((file) => file.endsWith('.json.gz')).map((file) => file.slice(0, -'.json.gz'.length));
  }

  async remove(name: string): Promise<void> {
    await rm(this.manifestPath(name), { force: true });
  }

  /**
   * Makes `dir` hold exactly the snapshot `target`. `current` is the manifest `dir` matches now (from `scan`
   * or `seal`, with nothing written since); only what differs from it is written. Without `current`, `dir`
   * must not exist and is created from scratch.
   */
  async patch(dir: string, current: Manifest | undefined, target: Manifest): Promise<void> {
    const before = new Map((current?.entries ?? []).map((entry) => [entry.path, entry]));
    const wanted = new Map(target.entries.map((entry) => [entry.path, entry]));
    if (!current) await mkdir(dir, { recursive: false });
    // What the target does not have, or has as another kind of entry, goes first (deepest paths first).
    const obsolete = [...before.values()]
      .filter((entry) => wanted.get(entry.path)?.kind !== entry.kind)
      .sort((a, b) => b.path.length - a.path.length);
    for (const entry of obsolete) {
      await rm(join(dir, entry.path), { recursive: true, force: true });
      before.delete(entry.path);
    }
    const pool = new Pool(PARALLEL);
    for (const entry of target.entries) {
      const path = join(dir, entry.path);
      const old = before.get(entry.path);
      if (entry.kind === 'dir') {
        if (!old) await mkdir(path, { recursive: true, mode: entry.mode });
        await chmod(path, entry.mode);
      } else if (entry.kind === 'symlink') {
        if (old?.kind === 'symlink' && old.target === entry.target) continue;
        await rm(path, { force: true });
        await symlink(entry.target, path);
      } else {
        await this.patchFile(path, old?.kind === 'file' ? old : undefined, entry, pool);
      }
    }
    await pool.drain();
  }

  /** Removes every chunk no snapshot names (and leftovers of interrupted writes); returns how many. */
  async collectGarbage(): Promise<number> {
    const referenced = new Set<string>();
    for (const name of await this.names()) {
      for (const entry of (await this.read(name)).entries) {
        if (entry.kind !== 'file') continue;
        for (let at = 0; at < entry.chunks.length; at += ID_LENGTH) {
          referenced.add(entry.chunks.slice(at, at + ID_LENGTH));
        }
      }
    }
    let removed = 0;
    const known = await this.knownChunks();
    for (const prefix of await readdir(this.chunksDir).catch(() => [] as string[])) {
      for (const file of await readdir(join(this.chunksDir, prefix)).catch(() => [] as string[])) {
        const id = prefix + file;
        if (referenced.has(id)) continue;
        await rm(join(this.chunksDir, prefix, file), { force: true });
        known.delete(id);
        removed++;
      }
    }
    return removed;
  }

  // ------------------------------------------------------------------------------------------ internals

  private manifestPath(name: string): string {
    return join(this.manifestsDir, `${name}.json.gz`);
  }

  private chunkPath(id: string): string {
    return join(this.chunksDir, id.slice(0, 2), id.slice(2));
  }

  private async knownChunks(): Promise<Set<string>> {
    if (this.known) return this.known;
    const known = new Set<string>();
    for (const prefix of await readdir(this.chunksDir).catch(() => [] as string[])) {
      for (const file of await readdir(join(this.chunksDir, prefix)).catch(() => [] as string[])) {
        if (file.length === ID_LENGTH - 2) known.add(prefix + file);
      }
    }
    this.known = known;
    return known;
  }

  /**
   * Reads `root` into a manifest, storing new chunks when `store`. A file `likely` lists with the same size
   * and mtime keeps its chunk list there without being read (when storing, only if every chunk of it is in
   * the store): mariadbd writes its files in place, and every write sets the mtime to the (later) time of
   * the write, while `patch` and `cp -a` give a file the mtime of the snapshot it holds.
   */
  private async walk(
    root: string,
    store: boolean,
    likely?: Manifest,
  ): Promise<{ manifest: Manifest; stats: SealStats }> {
    const entries: ManifestEntry[] = [];
    const stats: SealStats = {
      newChunks: 0,
      deflatedChunks: 0,
      storedBytes: 0,
      readBytes: 0,
      reusedBytes: 0,
    };
    const previous = new Map<string, Extract<ManifestEntry, { kind: 'file' }>>();
    for (const entry of likely?.entries ?? []) if (entry.kind === 'file') previous.set(entry.path, entry);
    const known = store ? await this.knownChunks() : new Set<string>();
    const pool = new Pool(PARALLEL);
    const visit = async (relative: string): Promise<void> => {
      const names: Dirent[] = await readdir(join(root, relative), { withFileTypes: true });
      names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const dirent of names) {
        const path = relative ? `${relative}/${dirent.name}` : dirent.name;
        const full = join(root, path);
        const info = await lstat(full);
        if (info.isDirectory()) {
          entries.push({ path, kind: 'dir', mode: info.mode & 0o7777 });
          await visit(path);
        } else if (info.isSymbolicLink()) {
          entries.push({ path, kind: 'symlink', target: await readlink(full) });
        } else if (info.isFile()) {
          const before = previous.get(path);
          const unchanged =
            before !== undefined &&
            before.size === info.size &&
            Math.abs(before.mtimeMs - info.mtimeMs) < MTIME_SLACK_MS &&
            (!store || allKnown(before.chunks, known));
          if (unchanged) stats.reusedBytes += info.size;
          else stats.readBytes += info.size;
          const chunks = unchanged
            ? before.chunks
            : await this.hashFile(full, info.size, store ? known : undefined, pool, stats);
          entries.push({
            path,
            kind: 'file',
            mode: info.mode & 0o7777,
            size: info.size,
            mtimeMs: info.mtimeMs,
            chunks,
          });
        }
        // Sockets and fifos have no content to keep; a data directory holds none while its server is down.
      }
    };
    try {
      await visit('');
    } finally {
      await pool.drain();
    }
    return { manifest: { version: 1, chunkSize: CHUNK_SIZE, entries }, stats };
  }

  /** The chunk ids of a file; with `known`, chunks not in the store yet are written to it. */
  private async hashFile(
    path: string,
    size: number,
    known: Set<string> | undefined,
    pool: Pool,
    stats: SealStats,
  ): Promise<string> {
    const ids: string[] = [];
    const handle = await open(path, 'r');
    try {
      let block = Buffer.allocUnsafe(READ_BLOCK);
      for (let offset = 0; offset < size; offset += READ_BLOCK) {
        // A block that new chunks were taken from stays theirs until they are written: read into a fresh one.
        let shared = false;
        const { bytesRead } = await handle.read(block, 0, Math.min(READ_BLOCK, size - offset), offset);
        for (let at = 0; at < bytesRead; at += CHUNK_SIZE) {
          const chunk = block.subarray(at, Math.min(bytesRead, at + CHUNK_SIZE));
          const id = chunkId(chunk);
          ids.push(id);
          if (!known || id === ZERO_ID || known.has(id)) continue;
          known.add(id);
          shared = true;
          const deflate = stats.newChunks < DEFLATE_BUDGET;
          stats.newChunks++;
          await pool.submit(async () => {
            const stored = await this.writeChunk(id, chunk, deflate);
            stats.storedBytes += stored;
            if (deflate) stats.deflatedChunks++;
          });
        }
        if (bytesRead === 0) break;
        if (shared) block = Buffer.allocUnsafe(READ_BLOCK);
      }
    } finally {
      await handle.close();
    }
    return ids.join('');
  }

  private async writeChunk(id: string, data: Buffer, deflate: boolean): Promise<number> {
    // Synchronous on purpose: zlib's asynchronous form sets up a stream per call, which costs more than
    // deflating 64 KiB (about a millisecond, so the event loop is never held for long).
    const deflated = deflate ? deflateRawSync(data, { level: zlibConstants.Z_BEST_SPEED }) : undefined;
    const useDeflated = deflated !== undefined && deflated.length < data.length;
    const body = useDeflated ? deflated : data;
    const path = this.chunkPath(id);
    const prefixDir = join(this.chunksDir, id.slice(0, 2));
    if (!this.madeDirs.has(prefixDir)) {
      await mkdir(prefixDir, { recursive: true });
      this.madeDirs.add(prefixDir);
    }
    const temporary = `${path}.${process.pid}.tmp`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writev([useDeflated ? DEFLATE_TAG : RAW_TAG, body]);
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return body.length + 1;
  }

  private async readChunk(id: string, length: number): Promise<Buffer> {
    let body: Buffer;
    try {
      body = await readFile(this.chunkPath(id));
    } catch (error) {
      throw new DataPlaneError('ToolFailed', `Chunk ${id} is missing from ${this.chunksDir}.`, {
        cause: error,
      });
    }
    const data = body[0] === TAG_DEFLATE ? await inflateRawAsync(body.subarray(1)) : body.subarray(1);
    // Chunks are written under a temporary name and renamed, so a chunk file is whole or absent; its length
    // is checked, not its hash, which would cost as much as the write.
    if (data.length !== length) {
      throw new DataPlaneError('ToolFailed', `Chunk ${id} in ${this.chunksDir} is damaged.`);
    }
    return data;
  }

  private async patchFile(
    path: string,
    old: Extract<ManifestEntry, { kind: 'file' }> | undefined,
    entry: Extract<ManifestEntry, { kind: 'file' }>,
    pool: Pool,
  ): Promise<void> {
    const handle: FileHandle = await open(path, old ? 'r+' : 'w', entry.mode);
    const writes = new Pool(PARALLEL);
    try {
      await handle.truncate(entry.size);
      const oldSize = old?.size ?? 0;
      const count = entry.chunks.length / ID_LENGTH;
      for (let index = 0; index < count; index++) {
        const id = entry.chunks.slice(index * ID_LENGTH, (index + 1) * ID_LENGTH);
        const previous = old?.chunks.slice(index * ID_LENGTH, (index + 1) * ID_LENGTH);
        if (id === previous) continue;
        const offset = index * CHUNK_SIZE;
        const length = Math.min(CHUNK_SIZE, entry.size - offset);
        if (id === ZERO_ID) {
          // Past the old end the truncate left zeros (a hole) already.
          if (offset < oldSize) await writeAll(handle, ZEROS.subarray(0, length), offset);
          continue;
        }
        await writes.submit(async () => writeAll(handle, await this.readChunk(id, length), offset));
      }
      await writes.drain();
    } finally {
      await handle.close();
    }
    await pool.submit(async () => {
      await chmod(path, entry.mode);
      const mtime = entry.mtimeMs / 1000;
      await utimes(path, mtime, mtime);
    });
  }
}

function allKnown(chunks: string, known: Set<string>): boolean {
  for (let at = 0; at < chunks.length; at += ID_LENGTH) {
    const id = chunks.slice(at, at + ID_LENGTH);
    if (id !== ZERO_ID && !known.has(id)) return false;
  }
  return true;
}

function chunkId(chunk: Buffer): string {
  if (chunk.equals(ZEROS.subarray(0, chunk.length))) return ZERO_ID;
  return createHash('sha256').update(chunk).digest('hex').slice(0, ID_LENGTH);
}

async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

/** Runs tasks with at most `size` in flight; `submit` waits for a free slot, `drain` for all and throws. */
class Pool {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;
  private failed = false;

  constructor(private readonly size: number) {}

  async submit(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.size) await Promise.race(this.running);
    if (this.failed) throw this.failure;
    const run: Promise<void> = task()
      .catch((error: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = error;
        }
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    if (this.failed) throw this.failure;
  }
}
