/**
 * Sealed snapshots of data directories as a content-addressed store of fixed-size chunks.
 *
 * A data directory is cut into 64 KiB chunks (four InnoDB pages); each chunk is named by its SHA-256 (128
 * bits kept) and stored once. The chunks a seal adds are appended to one pack file of its own
 * (`packs/<name>.pack`, each chunk a tag byte and its body), deflated at the fastest level when the seal is
 * small (the few pages a backtrack's statements touched) and as they are past that (a whole new table:
 * deflate runs at under 100 MB/s, which would make a backtrack of a freshly loaded table take many seconds).
 * The pack's index (`packs/<name>.idx`: each chunk's id, offset and stored length) is written once the pack
 * is whole, so a pack without an index is the leftover of an interrupted seal and counts for nothing. One
 * file per seal, not per chunk: storing or writing out a fresh 250 MiB table costs a few large sequential
 * writes and reads instead of four thousand file creations. A snapshot is a manifest
 * (`manifests/<name>.json.gz`): every directory, file and symlink with its mode, size, mtime and the ids of
 * its chunks in order. All-zero chunks (InnoDB's free pages, the unused part of a redo log) are not stored at
 * all. Consecutive snapshots of one cluster differ in the pages a few statements touched, so a snapshot costs
 * the compressed size of the chunks that changed since any snapshot still kept, not a copy of the directory.
 *
 * A snapshot becomes a plain directory again by `patch`: given a directory and the manifest it matches,
 * only the chunks that differ are written, so turning the live directory into a nearby snapshot writes
 * kilobytes, not the whole directory. `collectGarbage` deletes the packs no manifest names a chunk of any
 * more and rewrites those mostly dead, so dead chunks never hold more than half a pack. Stores written before
 * packs kept one file per chunk (`chunks/<2 hex>/<30 hex>`); those chunks are still read and collected.
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
/** Chunks read and written at once by `patch` (zlib and file I/O run on libuv's thread pool). */
const PARALLEL = 8;
/** A pack is written in writes of about this many bytes, or this many buffers (a tag and a body each). */
const PACK_FLUSH_BYTES = 4 * 2 ** 20;
const PACK_FLUSH_BUFFERS = 512;
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

/** Where a chunk is stored: a pack and its place in it, or (stores written before packs) a file of its own. */
type PackLocation = { pack: string; offset: number; length: number };
type Location = PackLocation | { pack: undefined };
const LEGACY: Location = { pack: undefined };

/** What a pack's index file holds: each chunk's id, offset and stored length (tag byte included). */
interface PackIndex {
  version: 1;
  chunks: Array<[id: string, offset: number, length: number]>;
}

export class ChunkStore {
  private readonly chunksDir: string;
  private readonly manifestsDir: string;
  private readonly packsDir: string;
  /** Every chunk in the store and where it is; loaded on first use. */
  private index: Map<string, Location> | undefined;
  /** The chunks each pack's index lists (some may be superseded by a copy in a later pack). */
  private packs = new Map<string, PackIndex['chunks']>();
  private lastPack = 0;

  constructor(readonly dir: string) {
    this.chunksDir = join(dir, 'chunks');
    this.manifestsDir = join(dir, 'manifests');
    this.packsDir = join(dir, 'packs');
  }

  /**
   * The manifest of `dir` as it is now; nothing is stored. A file that `likely` lists with the same size and
   * mtime is taken as unchanged and not read (see `walk`).
   */
  async scan(dir: string, likely?: Manifest): Promise<Manifest> {
    return (await this.walk(dir, undefined, likely)).manifest;
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
    await this.loadIndex();
    const writer = new PackWriter(this.packsDir, this.nextPackName());
    let result: { manifest: Manifest; stats: SealStats };
    try {
      result = await this.walk(dir, writer, likely);
      const chunks = await writer.commit();
      if (chunks.length > 0) this.packs.set(writer.name, chunks);
    } catch (error) {
      await writer.abort();
      // The chunks this seal listed as stored may never have been written: read the index again next time.
      this.index = undefined;
      throw error;
    }
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

  /** How many chunks the store holds. */
  async chunkCount(): Promise<number> {
    return (await this.loadIndex()).size;
  }

  /**
   * Makes `dir` hold exactly the snapshot `target`. `current` is the manifest `dir` matches now (from `scan`
   * or `seal`, with nothing written since); only what differs from it is written. Without `current`, `dir`
   * must not exist and is created from scratch.
   */
  async patch(dir: string, current: Manifest | undefined, target: Manifest): Promise<void> {
    await this.loadIndex();
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
    const readers = new PackReaders(this.packsDir);
    try {
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
          await this.patchFile(path, old?.kind === 'file' ? old : undefined, entry, pool, readers);
        }
      }
      await pool.drain();
    } finally {
      await pool.settle();
      await readers.close();
    }
  }

  /**
   * Removes every chunk no snapshot names, and leftovers of interrupted writes; returns how many chunks. A
   * pack none of whose chunks is named is deleted; one whose dead chunks outweigh its live ones is rewritten
   * with the live ones only.
   */
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
    const index = await this.loadIndex();
    let removed = 0;
    for (const [pack, chunks] of [...this.packs]) {
      const live = chunks.filter(([id]) => referenced.has(id) && index.get(id)?.pack === pack);
      const liveBytes = live.reduce((sum, [, , length]) => sum + length, 0);
      const allBytes = chunks.reduce((sum, [, , length]) => sum + length, 0);
      if (live.length > 0 && liveBytes * 2 >= allBytes) continue;
      if (live.length > 0) await this.repack(pack, live);
      for (const [id] of chunks) {
        if (index.get(id)?.pack !== pack) continue;
        index.delete(id);
        removed++;
      }
      this.packs.delete(pack);
      await rm(join(this.packsDir, `${pack}.idx`), { force: true });
      await rm(join(this.packsDir, `${pack}.pack`), { force: true });
    }
    // Packs without an index (an interrupted seal) and temporary files.
    for (const file of await readdir(this.packsDir).catch(() => [] as string[])) {
      const pack = /^(p\d+)\.pack$/.exec(file)?.[1];
      if (pack !== undefined && this.packs.has(pack)) continue;
      if (/^p\d+\.idx$/.test(file)) continue;
      await rm(join(this.packsDir, file), { force: true });
    }
    for (const prefix of await readdir(this.chunksDir).catch(() => [] as string[])) {
      for (const file of await readdir(join(this.chunksDir, prefix)).catch(() => [] as string[])) {
        const id = prefix + file;
        if (referenced.has(id) && index.get(id) === LEGACY) continue;
        await rm(join(this.chunksDir, prefix, file), { force: true });
        if (index.get(id) === LEGACY) {
          index.delete(id);
          removed++;
        }
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

  private nextPackName(): string {
    this.lastPack++;
    return `p${String(this.lastPack).padStart(8, '0')}`;
  }

  /** Reads every pack index (a later pack's copy of a chunk wins) and the chunk files of older stores. */
  private async loadIndex(): Promise<Map<string, Location>> {
    if (this.index) return this.index;
    const index = new Map<string, Location>();
    for (const prefix of await readdir(this.chunksDir).catch(() => [] as string[])) {
      for (const file of await readdir(join(this.chunksDir, prefix)).catch(() => [] as string[])) {
        if (file.length === ID_LENGTH - 2) index.set(prefix + file, LEGACY);
      }
    }
    const packs = new Map<string, PackIndex['chunks']>();
    const files = (await readdir(this.packsDir).catch(() => [] as string[])).sort();
    for (const file of files) {
      const number = /^p(\d+)\.(pack|idx)$/.exec(file)?.[1];
      if (number !== undefined) this.lastPack = Math.max(this.lastPack, Number(number));
      if (number === undefined || !file.endsWith('.idx')) continue;
      const pack = file.slice(0, -'.idx'.length);
      let chunks: PackIndex['chunks'];
      try {
        const parsed = JSON.parse(await readFile(join(this.packsDir, file), 'utf8')) as PackIndex;
        if (parsed.version !== 1 || !Array.isArray(parsed.chunks)) throw new Error('unknown format');
        chunks = parsed.chunks;
      } catch (error) {
        throw new DataPlaneError('ToolFailed', `Pack index ${file} in ${this.packsDir} is damaged.`, {
          cause: error,
        });
      }
      packs.set(pack, chunks);
      for (const [id, offset, length] of chunks) index.set(id, { pack, offset, length });
    }
    this.packs = packs;
    this.index = index;
    return index;
  }

  /** Copies the `live` chunks of `pack` into a new pack and points the index at the copies. */
  private async repack(pack: string, live: PackIndex['chunks']): Promise<void> {
    const writer = new PackWriter(this.packsDir, this.nextPackName());
    const readers = new PackReaders(this.packsDir);
    try {
      for (const [id, offset, length] of live) {
        const stored = await readers.read(pack, offset, length);
        await writer.append(id, stored.subarray(0, 1), stored.subarray(1));
      }
      const chunks = await writer.commit();
      this.packs.set(writer.name, chunks);
      for (const [id, offset, length] of chunks) this.index!.set(id, { pack: writer.name, offset, length });
    } catch (error) {
      await writer.abort();
      throw error;
    } finally {
      await readers.close();
    }
  }

  private isStored(id: string): boolean {
    return this.index!.has(id);
  }

  /**
   * Reads `root` into a manifest, storing new chunks with `writer`. A file `likely` lists with the same size
   * and mtime keeps its chunk list there without being read (when storing, only if every chunk of it is in
   * the store): mariadbd writes its files in place, and every write sets the mtime to the (later) time of
   * the write, while `patch` and `cp -a` give a file the mtime of the snapshot it holds.
   */
  private async walk(
    root: string,
    writer: PackWriter | undefined,
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
            (!writer || this.allStored(before.chunks));
          if (unchanged) stats.reusedBytes += info.size;
          else stats.readBytes += info.size;
          const chunks = unchanged ? before.chunks : await this.hashFile(full, info.size, writer, stats);
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
    await visit('');
    return { manifest: { version: 1, chunkSize: CHUNK_SIZE, entries }, stats };
  }

  private allStored(chunks: string): boolean {
    for (let at = 0; at < chunks.length; at += ID_LENGTH) {
      const id = chunks.slice(at, at + ID_LENGTH);
      if (id !== ZERO_ID && !this.isStored(id)) return false;
    }
    return true;
  }

  /** The chunk ids of a file; with `writer`, chunks not in the store yet are appended to its pack. */
  private async hashFile(
    path: string,
    size: number,
    writer: PackWriter | undefined,
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
          if (!writer || id === ZERO_ID || this.isStored(id)) continue;
          shared = true;
          // Synchronous on purpose: zlib's asynchronous form sets up a stream per call, which costs more
          // than deflating 64 KiB (about a millisecond, so the event loop is never held for long).
          const deflated =
            stats.newChunks < DEFLATE_BUDGET
              ? deflateRawSync(chunk, { level: zlibConstants.Z_BEST_SPEED })
              : undefined;
          const useDeflated = deflated !== undefined && deflated.length < chunk.length;
          stats.newChunks++;
          if (useDeflated) stats.deflatedChunks++;
          const location = await writer.append(
            id,
            useDeflated ? DEFLATE_TAG : RAW_TAG,
            useDeflated ? deflated : chunk,
          );
          this.index!.set(id, location);
          stats.storedBytes += location.length;
        }
        if (bytesRead === 0) break;
        if (shared) block = Buffer.allocUnsafe(READ_BLOCK);
      }
    } finally {
      await handle.close();
    }
    return ids.join('');
  }

  private async readChunk(id: string, length: number, readers: PackReaders): Promise<Buffer> {
    const location = this.index!.get(id);
    let stored: Buffer;
    try {
      if (location === undefined) throw new Error('not in any pack index');
      stored =
        location.pack === undefined
          ? await readFile(this.chunkPath(id))
          : await readers.read(location.pack, location.offset, location.length);
    } catch (error) {
      throw new DataPlaneError('ToolFailed', `Chunk ${id} is missing from ${this.dir}.`, { cause: error });
    }
    const data = stored[0] === TAG_DEFLATE ? await inflateRawAsync(stored.subarray(1)) : stored.subarray(1);
    // A pack counts only once its index is written after it, and a chunk file is written under a temporary
    // name and renamed, so a chunk is whole or absent; its length is checked, not its hash, which would cost
    // as much as the write.
    if (data.length !== length) {
      throw new DataPlaneError('ToolFailed', `Chunk ${id} in ${this.dir} is damaged.`);
    }
    return data;
  }

  private async patchFile(
    path: string,
    old: Extract<ManifestEntry, { kind: 'file' }> | undefined,
    entry: Extract<ManifestEntry, { kind: 'file' }>,
    pool: Pool,
    readers: PackReaders,
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
        await writes.submit(async () => writeAll(handle, await this.readChunk(id, length, readers), offset));
      }
      await writes.drain();
    } finally {
      await writes.settle();
      await handle.close();
    }
    await pool.submit(async () => {
      await chmod(path, entry.mode);
      const mtime = entry.mtimeMs / 1000;
      await utimes(path, mtime, mtime);
    });
  }
}

/**
 * Appends chunks to a new pack file in large writes; `commit` writes the pack's index, which makes it count.
 * The pack is created by the first write, so a seal that stores nothing leaves no file.
 */
class PackWriter {
  private handle: FileHandle | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private readonly chunks: PackIndex['chunks'] = [];

  constructor(
    private readonly dir: string,
    readonly name: string,
  ) {}

  private get packPath(): string {
    return join(this.dir, `${this.name}.pack`);
  }

  async append(id: string, tag: Buffer, body: Buffer): Promise<PackLocation> {
    const offset = this.written + this.pendingBytes;
    const length = tag.length + body.length;
    this.pending.push(tag, body);
    this.pendingBytes += length;
    this.chunks.push([id, offset, length]);
    if (this.pendingBytes >= PACK_FLUSH_BYTES || this.pending.length >= PACK_FLUSH_BUFFERS)
      await this.flush();
    return { pack: this.name, offset, length };
  }

  /** Writes what is pending, closes the pack and writes its index; returns the chunks it holds. */
  async commit(): Promise<PackIndex['chunks']> {
    if (this.chunks.length === 0) return [];
    await this.flush();
    await this.handle!.close();
    this.handle = undefined;
    const path = join(this.dir, `${this.name}.idx`);
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ version: 1, chunks: this.chunks } satisfies PackIndex));
    await rename(temporary, path);
    return this.chunks;
  }

  /** Closes and deletes the pack of a seal that failed. */
  async abort(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await rm(this.packPath, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    if (!this.handle) {
      await mkdir(this.dir, { recursive: true });
      this.handle = await open(this.packPath, 'w');
    }
    const buffers = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    const { bytesWritten } = await this.handle.writev(buffers, this.written);
    // A short write (a full disk leaves one) is finished, or fails, with plain writes.
    if (bytesWritten < bytes) {
      await writeAll(this.handle, Buffer.concat(buffers).subarray(bytesWritten), this.written + bytesWritten);
    }
    this.written += bytes;
  }
}

/** Open packs for reading, each opened once. */
class PackReaders {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(private readonly dir: string) {}

  async read(pack: string, offset: number, length: number): Promise<Buffer> {
    let handle = this.handles.get(pack);
    if (!handle) {
      handle = open(join(this.dir, `${pack}.pack`), 'r');
      this.handles.set(pack, handle);
    }
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await (await handle).read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) throw new Error(`pack ${pack} ends before offset ${offset + length}`);
      read += bytesRead;
    }
    return buffer;
  }

  async close(): Promise<void> {
    for (const handle of this.handles.values()) {
      await handle.then((opened) => opened.close()).catch(() => undefined);
    }
    this.handles.clear();
  }
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

  /** Waits for the tasks in flight, failed or not (before closing what they use). */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }
}
