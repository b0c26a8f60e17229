import assert from 'node:assert/strict';
import { execa } from 'execa';
import { withSysbenchPassword } from '../../../src/core/private-file.js';
import {
  createMariaDbDataPlane,
  isDataPlaneError,
  type DataPlane,
} from '../../../src/sandbox/mariadb/index.js';
import type { ClusterStorageSpec } from '../../../src/sandbox/mariadb/types.js';
import { checksum, clusterSpec, fillTable, nextSecond, portIsFree, sql, tempHome } from './fixtures.js';

describe('MariaDB data plane: clone', function () {
  this.timeout(180_000);
  let home: Awaited<ReturnType<typeof tempHome>>;
  let plane: DataPlane;
  let source: ClusterStorageSpec;
  let clone: ClusterStorageSpec;
  let sourceChecksum: number | null;
  let itemsChecksum: number | null;

  before(async () => {
    home = await tempHome();
    plane = createMariaDbDataPlane({ home: home.home });
    source = await clusterSpec('source');
    clone = await clusterSpec('source-clone');
    await plane.createCluster(source);
    await withSysbenchPassword(source.masterPassword, (passwordArgs) =>
      execa('sysbench', [
        ...passwordArgs,
        'oltp_write_only',
        '--db-driver=mysql',
        `--mysql-host=${source.host}`,
        `--mysql-port=${source.port}`,
        `--mysql-user=${source.masterUsername}`,
        `--mysql-db=${source.databaseName}`,
        '--tables=1',
        '--table-size=10000',
        '--threads=1',
        'prepare',
      ]),
    );
    await fillTable(source, 'items', 5000, 7);
    sourceChecksum = await checksum(source, 'sbtest1');
    itemsChecksum = await checksum(source, 'items');
  });

  after(async () => {
    await plane?.shutdown().catch(() => undefined);
    await home?.remove();
  });

  it('copies the running source and leaves the clone stopped', async () => {
    const before = Date.now();
    const { copiedAt } = await plane.cloneCluster(source.id, clone);
    assert.ok(copiedAt.getTime() >= before && copiedAt.getTime() <= Date.now(), copiedAt.toISOString());
    const info = await plane.info(clone.id);
    assert.equal(info.running, false);
    assert.equal(await portIsFree(clone.host, clone.port), true, 'no compute until started');
    assert.equal(info.earliestBacktrackTime.getTime(), Math.ceil(copiedAt.getTime() / 1000) * 1000);
    assert.deepEqual(await plane.list(), ['source', 'source-clone']);
  });

  it('serves the same data with the same credentials once started', async () => {
    await plane.start(clone.id);
    assert.ok(sourceChecksum !== null && itemsChecksum !== null);
    assert.equal(await checksum(clone, 'sbtest1'), sourceChecksum);
    assert.equal(await checksum(clone, 'items'), itemsChecksum);
    const [cloneId] = await sql<{ id: number }>(clone, 'SELECT @@server_id AS id');
    const [sourceId] = await sql<{ id: number }>(source, 'SELECT @@server_id AS id');
    assert.notEqual(cloneId?.id, sourceId?.id, 'the clone has its own server_id');
  });

  it('is independent of the source afterwards, both ways', async () => {
    await sql(clone, 'DELETE FROM sbtest1 WHERE id <= 100');
    await sql(source, 'UPDATE items SET k = k + 1 WHERE id = 1');
    assert.equal(await checksum(source, 'sbtest1'), sourceChecksum);
    assert.notEqual(await checksum(clone, 'sbtest1'), sourceChecksum);
    assert.equal(await checksum(clone, 'items'), itemsChecksum);
    assert.notEqual(await checksum(source, 'items'), itemsChecksum);
  });

  it('copies a stopped source too, and clones a clone', async () => {
    const cloneChecksum = await checksum(clone, 'sbtest1');
    await plane.stop(clone.id);
    const second = await clusterSpec('clone-of-clone');
    await plane.cloneCluster(clone.id, second);
    await plane.start(second.id);
    assert.equal(await checksum(second, 'sbtest1'), cloneChecksum);
    await plane.destroy(second.id);
  });

  it('refuses a missing source or an existing target and leaves no half-made cluster', async () => {
    const stray = await clusterSpec('stray');
    await assert.rejects(plane.cloneCluster('missing', stray), (error) =>
      isDataPlaneError(error, 'ClusterNotFound'),
    );
    await assert.rejects(plane.cloneCluster(source.id, clone), (error) =>
      isDataPlaneError(error, 'ClusterAlreadyExists'),
    );
    assert.deepEqual(await plane.list(), ['source', 'source-clone']);
  });

  it('restores a copy of the source as it was at an earlier second', async () => {
    await nextSecond();
    const then = await checksum(source, 'items');
    await nextSecond();
    const restoreTo = new Date();
    await nextSecond();
    await sql(source, 'DELETE FROM items WHERE id > 4000');
    assert.notEqual(await checksum(source, 'items'), then);
    const restored = await clusterSpec('restored');
    await plane.cloneCluster(source.id, restored, { restoreTo });
    const info = await plane.info(restored.id);
    assert.equal(info.running, false);
    assert.ok(
      info.earliestBacktrackTime.getTime() > restoreTo.getTime(),
      'its own history starts when it is made',
    );
    await plane.start(restored.id);
    assert.equal(await checksum(restored, 'items'), then);
    assert.equal(await checksum(restored, 'sbtest1'), sourceChecksum);
    await plane.destroy(restored.id);
  });
});
