import assert from 'node:assert/strict';
import {
  createMariaDbDataPlane,
  isDataPlaneError,
  type DataPlane,
} from '../../../src/sandbox/mariadb/index.js';
import type { ClusterStorageSpec } from '../../../src/sandbox/mariadb/types.js';
import {
  checksum,
  clusterSpec,
  fillTable,
  nextSecond,
  serverNow,
  sql,
  tableExists,
  tempHome,
} from './fixtures.js';

const second = (date: Date, plus = 0): Date =>
  new Date(Math.floor(date.getTime() / 1000) * 1000 + plus * 1000);

describe('MariaDB data plane: backtrack', function () {
  this.timeout(180_000);
  let home: Awaited<ReturnType<typeof tempHome>>;
  let plane: DataPlane;
  let spec: ClusterStorageSpec;
  let original: number | null;
  let recreated: number | null;
  let beforeDrop: Date;
  let afterDrop: Date;
  let afterRecreate: Date;

  before(async () => {
    home = await tempHome();
    plane = createMariaDbDataPlane({ home: home.home });
    spec = await clusterSpec('rewind');
    await plane.createCluster(spec);
    // Changes in the cluster's first (partial) second would belong to its earliest backtrack time.
    await nextSecond();

    // The lab's timeline: data, marker, DROP, marker, a pause, the table re-created with other data.
    await fillTable(spec, 'sbtest1', 3000, 11);
    original = await checksum(spec, 'sbtest1');
    await nextSecond();
    beforeDrop = await serverNow(spec);
    await sql(spec, 'DROP TABLE sbtest1');
    afterDrop = await serverNow(spec);
    await nextSecond();
    await nextSecond();
    await fillTable(spec, 'sbtest1', 3000, 13);
    recreated = await checksum(spec, 'sbtest1');
    await nextSecond();
    afterRecreate = await serverNow(spec);
  });

  after(async () => {
    await plane?.shutdown().catch(() => undefined);
    await home?.remove();
  });

  it('has distinct data sets to tell apart', () => {
    assert.ok(original !== null && recreated !== null);
    assert.notEqual(original, recreated);
  });

  it('goes back to just after the DROP: the table is absent', async () => {
    const outcome = await plane.backtrack(spec.id, second(afterDrop, 1));
    assert.equal(outcome.backtrackedTo.getTime(), second(afterDrop, 1).getTime());
    assert.ok(outcome.replayedEvents > 0, 'the DROP is replayed from the base');
    assert.equal((await plane.info(spec.id)).running, true, 'a running cluster is running again');
    assert.equal(await tableExists(spec, 'sbtest1'), false);
  });

  it('goes further back to just before the DROP: the original data is back', async () => {
    await plane.backtrack(spec.id, second(beforeDrop));
    assert.equal(await checksum(spec, 'sbtest1'), original);
  });

  it('goes forward again into the rewound interval', async () => {
    await plane.backtrack(spec.id, second(afterDrop, 1));
    assert.equal(await tableExists(spec, 'sbtest1'), false);
    const outcome = await plane.backtrack(spec.id, second(afterRecreate));
    assert.equal(outcome.replayedEvents, 0, 'the end state of the first epoch is used as it is');
    assert.equal(await checksum(spec, 'sbtest1'), recreated);
  });

  it('follows the timeline as lived: writes after a backtrack, then back into the abandoned interval', async () => {
    await plane.backtrack(spec.id, second(beforeDrop));
    await nextSecond();
    await sql(spec, 'INSERT INTO sbtest1 VALUES (100000, 1, "after the backtrack")');
    const withWrite = await checksum(spec, 'sbtest1');
    assert.notEqual(withWrite, original);
    await nextSecond();
    const afterWrite = await serverNow(spec);
    await nextSecond();

    // Into the interval abandoned by the first backtrack: the table was dropped then, and the new row unknown.
    await plane.backtrack(spec.id, second(afterDrop, 1));
    assert.equal(await tableExists(spec, 'sbtest1'), false);
    // And to the moment after the new row was written, on the lineage that wrote it.
    const outcome = await plane.backtrack(spec.id, second(afterWrite));
    assert.equal(outcome.backtrackedTo.getTime(), second(afterWrite).getTime());
    assert.equal(await checksum(spec, 'sbtest1'), withWrite);
    assert.deepEqual(await sql(spec, 'SELECT c FROM sbtest1 WHERE id = 100000'), [
      { c: 'after the backtrack' },
    ]);
  });

  it('refuses targets in the future or before the cluster existed, without stopping it', async () => {
    const info = await plane.info(spec.id);
    await assert.rejects(plane.backtrack(spec.id, new Date(Date.now() + 60_000)), (error: unknown) => {
      assert.ok(isDataPlaneError(error, 'BacktrackTimeOutOfRange'));
      assert.match(error.message, /in the future/);
      return true;
    });
    await assert.rejects(
      plane.backtrack(spec.id, new Date(info.earliestBacktrackTime.getTime() - 1000)),
      (error: unknown) =>
        isDataPlaneError(error, 'BacktrackTimeOutOfRange') && /earliest/.test(error.message),
    );
    const after = await plane.info(spec.id);
    assert.equal(after.running, true);
    assert.equal(after.pid, info.pid);
  });

  it('backtracks to the earliest time: the empty database it was created with', async () => {
    const { earliestBacktrackTime } = await plane.info(spec.id);
    const outcome = await plane.backtrack(spec.id, earliestBacktrackTime);
    assert.equal(outcome.replayedEvents, 0);
    assert.deepEqual(await sql(spec, 'SHOW TABLES'), []);
  });

  it('keeps its timeline across data planes, and backtracks a stopped cluster without starting it', async () => {
    await plane.shutdown();
    plane = createMariaDbDataPlane({ home: home.home });
    await plane.backtrack(spec.id, second(afterRecreate));
    assert.equal((await plane.info(spec.id)).running, false);
    await plane.start(spec.id);
    assert.equal(await checksum(spec, 'sbtest1'), recreated);
    const info = await plane.info(spec.id);
    assert.ok(info.changeRecords > 0);
  });
});
