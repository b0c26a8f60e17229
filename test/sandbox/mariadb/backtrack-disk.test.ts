import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createMariaDbDataPlane,
  isDataPlaneError,
  type DataPlane,
} from '../../../src/sandbox/mariadb/index.js';
import { ChunkStore } from '../../../src/sandbox/mariadb/chunk-store.js';
import { diskUsage, exists } from '../../../src/sandbox/mariadb/fs-utils.js';
import type { ClusterStorageSpec } from '../../../src/sandbox/mariadb/types.js';
import { checksum, clusterSpec, fillTable, nextSecond, serverNow, sql, tempHome } from './fixtures.js';

const ROWS = 20_000;
const DAY = 86_400;

describe('MariaDB data plane: disk of backtracks', function () {
  this.timeout(300_000);
  let home: Awaited<ReturnType<typeof tempHome>>;
  let plane: DataPlane;
  let source: ClusterStorageSpec;
  let clone: ClusterStorageSpec;
  let dir: string;
  const marks: Array<{ at: Date; sum: number | null }> = [];

  /** A few statements spread over the table, a mark with its checksum, more statements, then back to the mark. */
  async function round(seed: number, windowSeconds: number): Promise<{ at: Date; sum: number | null }> {
    const ids = (step: number): string =>
      Array.from({ length: 50 }, (_, i) => 1 + ((seed * 7919 + i * step) % ROWS)).join(',');
    await sql(clone, `UPDATE items SET k = k + 1 WHERE id IN (${ids(104_729)})`);
    await nextSecond();
    const at = new Date(Math.floor((await serverNow(clone)).getTime() / 1000) * 1000);
    const mark = { at, sum: await checksum(clone, 'items') };
    await nextSecond();
    await sql(clone, `DELETE FROM items WHERE id IN (${ids(7_717)})`);
    await nextSecond();
    await plane.backtrack(clone.id, at, { windowSeconds });
    assert.equal(await checksum(clone, 'items'), mark.sum, `round ${seed}: the state at the mark`);
    marks.push(mark);
    return mark;
  }

  const record = async (): Promise<{ epochs: Array<{ index: number; startedAt: string }> }> =>
    JSON.parse(await readFile(join(dir, 'cluster.json'), 'utf8'));
  const chunkCount = (): Promise<number> => new ChunkStore(join(dir, 'store')).chunkCount();
  const manifests = async (): Promise<string[]> =>
    (await readdir(join(dir, 'store', 'manifests'))).map((file) => file.replace('.json.gz', '')).sort();

  before(async () => {
    home = await tempHome();
    plane = createMariaDbDataPlane({ home: home.home });
    source = await clusterSpec('disk-source');
    clone = await clusterSpec('disk-clone');
    await plane.createCluster(source);
    await fillTable(source, 'items', ROWS, 5);
    await plane.cloneCluster(source.id, clone);
    await plane.start(clone.id);
    await plane.stop(source.id);
    dir = join(home.home, 'clusters', clone.id);
    await nextSecond();
  });

  after(async () => {
    await plane?.shutdown().catch(() => undefined);
    await home?.remove();
  });

  it('grows by the chunks that changed, not by copies of the data directory', async () => {
    // Plain snapshots (the copy the first start was made from, a backtrack's end state) are sealed once the
    // cluster is quiet: measure once that is done.
    await plane.settle(clone.id);
    assert.deepEqual(await readdir(join(dir, 'snapshots')).catch(() => []), [], 'no plain snapshot is left');
    const before = (await plane.info(clone.id)).dataBytes;
    const live = await diskUsage(join(dir, 'data'));
    for (let seed = 1; seed <= 4; seed++) await round(seed, DAY);
    // A stop queues on the cluster's lock behind the seals the backtracks queued once they left more than
    // three plain copies (the clone is never quiet long enough here).
    await plane.stop(clone.id);
    await plane.start(clone.id);
    const plain = await readdir(join(dir, 'snapshots'));
    assert.ok(
      plain.length > 0 && plain.length <= 3,
      `at most three plain copies are kept: ${plain.join(', ')}`,
    );
    await plane.settle(clone.id);
    const after = (await plane.info(clone.id)).dataBytes;
    // Each backtrack used to keep two more full copies of the data directory (an end state and a new base,
    // redo log included): after four, the clone was several times its size. Now the live directory is the
    // only uncompressed copy and the snapshots share every chunk that did not change.
    assert.ok(
      after < before + live / 2,
      `after 4 backtracks ${after} bytes, before ${before} (live directory ${live})`,
    );
    assert.deepEqual(await readdir(join(dir, 'snapshots')).catch(() => []), [], 'no plain snapshot copies');
    assert.deepEqual(
      await manifests(),
      ['e0-base', 'e0-end', 'e1-base', 'e1-end', 'e2-base', 'e2-end', 'e3-base', 'e3-end', 'e4-base'],
      'a day-long window keeps every epoch',
    );
  });

  it('still reaches a time before earlier backtracks inside the window', async () => {
    await plane.backtrack(clone.id, marks[1]!.at, { windowSeconds: DAY });
    assert.equal(await checksum(clone, 'items'), marks[1]!.sum);
    assert.equal((await record()).epochs.length, 6);
  });

  it('deletes the epochs, snapshots, binlogs and chunks the window no longer reaches', async () => {
    await plane.settle(clone.id);
    const chunksBefore = await chunkCount();
    const earliestBefore = (await plane.info(clone.id)).earliestBacktrackTime;
    // The current epoch (5) began with the last backtrack; this round ends it several seconds later with a
    // 2-second window, measured back from the moment the backtrack began: epoch 5 was current then, the
    // epochs before it had ended, so only epoch 5 and the new epoch 6 remain.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const mark = await round(10, 2);
    const kept = (await record()).epochs.map((epoch) => epoch.index);
    assert.deepEqual(kept, [5, 6]);
    await plane.settle(clone.id);
    assert.deepEqual(await manifests(), ['e5-base', 'e5-end', 'e6-base']);
    assert.deepEqual((await readdir(join(dir, 'binlogs'))).sort(), ['e5', 'e6']);
    assert.ok((await chunkCount()) < chunksBefore, 'chunks only the deleted snapshots named are gone');

    const info = await plane.info(clone.id);
    assert.ok(info.earliestBacktrackTime.getTime() > earliestBefore.getTime());
    assert.ok(info.earliestBacktrackTime.getTime() <= mark.at.getTime());
    await assert.rejects(plane.backtrack(clone.id, marks[0]!.at, { windowSeconds: 2 }), (error: unknown) =>
      isDataPlaneError(error, 'BacktrackTimeOutOfRange'),
    );
    assert.equal(await checksum(clone, 'items'), mark.sum, 'a refused backtrack leaves the data alone');
  });

  it('rebuilds the live directory from the end state a backtrack sealed before it was interrupted', async () => {
    await sql(clone, 'UPDATE items SET k = k + 1 WHERE id <= 10');
    const written = await checksum(clone, 'items');
    await plane.stop(clone.id);
    // Where a backtrack of epoch 6 stands once it has sealed the end state and taken the live directory
    // as its scratch copy; then the process dies.
    await new ChunkStore(join(dir, 'store')).seal(join(dir, 'data'), 'e6-end');
    await mkdir(join(dir, 'work'), { recursive: true });
    await rename(join(dir, 'data'), join(dir, 'work', 'backtrack-e7'));
    await plane.shutdown();
    plane = createMariaDbDataPlane({ home: home.home });
    await plane.start(clone.id);
    assert.equal(await exists(join(dir, 'work')), false);
    assert.equal(await checksum(clone, 'items'), written, 'the writes of the interrupted epoch are kept');
    await nextSecond();
    const at = new Date(Math.floor((await serverNow(clone)).getTime() / 1000) * 1000);
    await nextSecond();
    await sql(clone, 'DELETE FROM items WHERE id <= 10');
    await nextSecond();
    await plane.backtrack(clone.id, at, { windowSeconds: DAY });
    assert.equal(await checksum(clone, 'items'), written);
  });

  it('rebuilds the live directory from the end state a backtrack renamed before it was interrupted', async () => {
    await sql(clone, 'UPDATE items SET k = k + 2 WHERE id <= 10');
    const written = await checksum(clone, 'items');
    const epoch = (await record()).epochs.at(-1)!.index;
    await plane.stop(clone.id);
    // Where a backtrack stands once it has kept the live directory as the epoch's end; then the process dies.
    await mkdir(join(dir, 'snapshots'), { recursive: true });
    await rename(join(dir, 'data'), join(dir, 'snapshots', `e${epoch}-end`));
    await plane.shutdown();
    plane = createMariaDbDataPlane({ home: home.home });
    await plane.start(clone.id);
    assert.equal(await checksum(clone, 'items'), written, 'the writes of the interrupted epoch are kept');
  });

  it('seals the plain snapshots of a quiet cluster by itself', async () => {
    await plane.shutdown();
    plane = createMariaDbDataPlane({ home: home.home, sealWhenQuietMs: 300 });
    await plane.start(clone.id);
    await nextSecond();
    const at = new Date(Math.floor((await serverNow(clone)).getTime() / 1000) * 1000);
    await nextSecond();
    await sql(clone, 'DELETE FROM items WHERE id <= 20');
    await nextSecond();
    await plane.backtrack(clone.id, at, { windowSeconds: DAY });
    const epoch = (await record()).epochs.at(-2)!.index;
    const plain = (): Promise<string[]> => readdir(join(dir, 'snapshots')).catch(() => []);
    assert.ok((await plain()).includes(`e${epoch}-end`), 'the end state is a plain copy at first');
    const deadline = Date.now() + 30_000;
    while ((await plain()).length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(await plain(), []);
    assert.ok((await manifests()).includes(`e${epoch}-end`), 'sealed into the store');
  });
});
