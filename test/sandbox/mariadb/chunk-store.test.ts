import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
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
