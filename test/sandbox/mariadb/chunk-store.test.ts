import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK_SIZE, ChunkStore } from '../../../src/sandbox/mariadb/chunk-store.js';

describe('chunk store: seals that skip unchanged files', () => {
  let root: string;
  let store: ChunkStore;
  const big = randomBytes(5 * CHUNK_SIZE + 123);
  const small = randomBytes(CHUNK_SIZE);

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'labrun-chunks-'));
    store = new ChunkStore(join(root, 'store'));
    await mkdir(join(root, 'a', 'db'), { recursive: true });
    await writeFile(join(root, 'a', 'db', 'big.ibd'), big);
    await writeFile(join(root, 'a', 'small'), small);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('takes the chunk lists of files patch wrote from the manifest they were written from', async () => {
    const first = await store.seal(join(root, 'a'), 's1');
    await store.patch(join(root, 'b'), undefined, first.manifest);
    const again = await store.seal(join(root, 'b'), 's2', first.manifest);
    assert.equal(again.stats.reusedBytes, big.length + small.length);
    assert.equal(again.stats.newChunks, 0);
    const files = (manifest: typeof first.manifest) =>
      manifest.entries.flatMap((entry) => (entry.kind === 'file' ? [[entry.path, entry.chunks]] : []));
    assert.deepEqual(files(again.manifest), files(first.manifest));
  });

  it('reads a file written in place since, even at the same size', async () => {
    const first = await store.seal(join(root, 'a'), 's1');
    await store.patch(join(root, 'b'), undefined, first.manifest);
    // As mariadbd writes a page: in place, the size unchanged.
    const page = randomBytes(16 * 1024);
    const handle = await open(join(root, 'b', 'db', 'big.ibd'), 'r+');
    await handle.write(page, 0, page.length, 2 * CHUNK_SIZE);
    await handle.close();
    const again = await store.seal(join(root, 'b'), 's2', first.manifest);
    assert.equal(again.stats.reusedBytes, small.length);
    assert.equal(again.stats.newChunks, 1);
    await store.patch(join(root, 'c'), undefined, await store.read('s2'));
    const expected = Buffer.from(big);
    page.copy(expected, 2 * CHUNK_SIZE);
    assert.deepEqual(await readFile(join(root, 'c', 'db', 'big.ibd')), expected);
    assert.deepEqual(await readFile(join(root, 'c', 'small')), small);
  });

  it('reads an unchanged file again when its chunks are not in the store', async () => {
    const first = await store.seal(join(root, 'a'), 's1');
    const other = new ChunkStore(join(root, 'other'));
    const sealed = await other.seal(join(root, 'a'), 's1', first.manifest);
    assert.equal(sealed.stats.reusedBytes, 0);
    await other.patch(join(root, 'c'), undefined, sealed.manifest);
    assert.deepEqual(await readFile(join(root, 'c', 'db', 'big.ibd')), big);
  });
});

describe('chunk store: packs', () => {
  let root: string;
  let store: ChunkStore;
  const packFiles = async (): Promise<string[]> => (await readdir(join(root, 'store', 'packs'))).sort();

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'labrun-packs-'));
    store = new ChunkStore(join(root, 'store'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  async function dirWith(name: string, files: Record<string, Buffer>): Promise<string> {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true });
    for (const [file, data] of Object.entries(files)) await writeFile(join(dir, file), data);
    return dir;
  }

  it('stores the new chunks of a seal in one pack with its index, and none for a seal that adds nothing', async () => {
    const data = randomBytes(40 * CHUNK_SIZE);
    const dir = await dirWith('a', { 'big.ibd': data, zeros: Buffer.alloc(3 * CHUNK_SIZE) });
    const first = await store.seal(dir, 's1');
    assert.equal(first.stats.newChunks, 40);
    assert.deepEqual(await packFiles(), ['p00000001.idx', 'p00000001.pack']);
    const again = await new ChunkStore(join(root, 'store')).seal(dir, 's2');
    assert.equal(again.stats.newChunks, 0, 'a fresh instance finds the chunks in the pack index');
    assert.deepEqual(await packFiles(), ['p00000001.idx', 'p00000001.pack']);
    await new ChunkStore(join(root, 'store')).patch(join(root, 'out'), undefined, again.manifest);
    assert.deepEqual(await readFile(join(root, 'out', 'big.ibd')), data);
    assert.deepEqual(await readFile(join(root, 'out', 'zeros')), Buffer.alloc(3 * CHUNK_SIZE));
  });

  it('deletes a pack no snapshot names and rewrites one that is mostly dead', async () => {
    const keep = randomBytes(2 * CHUNK_SIZE);
    const drop = randomBytes(6 * CHUNK_SIZE);
    await store.seal(await dirWith('a', { keep, drop }), 'both');
    await store.seal(await dirWith('b', { other: randomBytes(4 * CHUNK_SIZE) }), 'other');
    await store.seal(await dirWith('c', { keep }), 'keep');
    assert.equal(await store.chunkCount(), 12);
    await store.remove('both');
    await store.remove('other');
    assert.equal(await store.collectGarbage(), 10);
    assert.equal(await store.chunkCount(), 2);
    // Pack 1 held 2 live chunks of 8: its live chunks moved to a new pack; pack 2 had none left.
    const packs = await packFiles();
    assert.equal(packs.length, 2);
    assert.ok(
      packs.every((file) => !/^p0000000[12]\./.test(file)),
      `a new pack: ${packs.join(', ')}`,
    );
    const fresh = new ChunkStore(join(root, 'store'));
    assert.equal(await fresh.chunkCount(), 2);
    await fresh.patch(join(root, 'out'), undefined, await fresh.read('keep'));
    assert.deepEqual(await readFile(join(root, 'out', 'keep')), keep);
  });

  it('keeps a pack whose live chunks outweigh its dead ones', async () => {
    const keep = randomBytes(6 * CHUNK_SIZE);
    await store.seal(await dirWith('a', { keep, drop: randomBytes(2 * CHUNK_SIZE) }), 'both');
    await store.seal(await dirWith('b', { keep }), 'keep');
    await store.remove('both');
    assert.equal(await store.collectGarbage(), 0);
    assert.deepEqual(await packFiles(), ['p00000001.idx', 'p00000001.pack']);
  });

  it('ignores and then removes the pack of a seal cut off before its index was written', async () => {
    const data = randomBytes(4 * CHUNK_SIZE);
    await mkdir(join(root, 'store', 'packs'), { recursive: true });
    // What a seal leaves when the process dies between its writes and its index.
    await writeFile(join(root, 'store', 'packs', 'p00000001.pack'), Buffer.concat([Buffer.of(0), data]));
    const sealed = await store.seal(await dirWith('a', { data }), 's1');
    assert.equal(sealed.stats.newChunks, 4, 'chunks in a pack without an index are not in the store');
    assert.deepEqual(await packFiles(), ['p00000001.pack', 'p00000002.idx', 'p00000002.pack']);
    await store.collectGarbage();
    assert.deepEqual(await packFiles(), ['p00000002.idx', 'p00000002.pack']);
  });

  it('reads and collects the one-file-per-chunk layout of older stores', async () => {
    const data = randomBytes(CHUNK_SIZE);
    const id = createHash('sha256').update(data).digest('hex').slice(0, 32);
    await mkdir(join(root, 'store', 'chunks', id.slice(0, 2)), { recursive: true });
    await writeFile(
      join(root, 'store', 'chunks', id.slice(0, 2), id.slice(2)),
      Buffer.concat([Buffer.of(0), data]),
    );
    const manifest = {
      version: 1 as const,
      chunkSize: CHUNK_SIZE,
      entries: [
        { path: 'old', kind: 'file' as const, mode: 0o640, size: data.length, mtimeMs: 0, chunks: id },
      ],
    };
    await store.writeManifest('old', manifest);
    await store.patch(join(root, 'out'), undefined, manifest);
    assert.deepEqual(await readFile(join(root, 'out', 'old')), data);
    const resealed = await store.seal(join(root, 'out'), 'copy');
    assert.equal(resealed.stats.newChunks, 0, 'the old chunk file counts as stored');
    await store.remove('old');
    await store.remove('copy');
    assert.equal(await store.collectGarbage(), 1);
    assert.deepEqual(await readdir(join(root, 'store', 'chunks', id.slice(0, 2))), []);
  });
});
