import assert from 'node:assert/strict';
import { copyFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import {
  findCut,
  isChangeEvent,
  listBinlogFiles,
  readEventHeaders,
  tallyBinlog,
} from '../../../src/sandbox/mariadb/binlog-scan.js';
import { createMariaDbDataPlane, type DataPlane } from '../../../src/sandbox/mariadb/index.js';
import { clusterSpec, nextSecond, sql, tempHome } from './fixtures.js';

describe('binlog header scanning', function () {
  this.timeout(60_000);
  let home: Awaited<ReturnType<typeof tempHome>>;
  let plane: DataPlane;
  let files: string[];
  let secondOfInsert: number;

  before(async () => {
    home = await tempHome();
    plane = createMariaDbDataPlane({ home: home.home });
    const spec = await clusterSpec('scan');
    await plane.createCluster(spec);
    await sql(spec, 'CREATE TABLE t (id INT PRIMARY KEY, v MEDIUMTEXT)');
    await nextSecond();
    secondOfInsert = Math.floor(Date.now() / 1000);
    await sql(spec, "INSERT INTO t VALUES (1, REPEAT('x', 600000)), (2, 'y')");
    await nextSecond();
    await plane.stop(spec.id);
    await plane.start(spec.id);
    await sql(spec, 'UPDATE t SET v = "z" WHERE id = 2');
    await plane.stop(spec.id);
    files = await listBinlogFiles(join(home.home, 'clusters', spec.id, 'binlogs', 'e0'));
  });

  after(async () => {
    await plane.shutdown();
    await home.remove();
  });

  it("lists an epoch's files in order, one per server start", () => {
    assert.deepEqual(
      files.map((file) => file.slice(file.lastIndexOf('/') + 1)),
      ['mysql-bin.000001', 'mysql-bin.000002'],
    );
  });

  it('walks every event of a file, ending exactly at its end', async () => {
    const events = [];
    for await (const event of readEventHeaders(files[0]!)) events.push(event);
    assert.equal(events[0]?.type, 15, 'a binlog starts with its format description');
    assert.equal(events.at(-1)?.type, 3, 'a cleanly closed binlog ends with a stop event');
    const last = events.at(-1)!;
    assert.equal(last.offset + last.length, (await stat(files[0]!)).size);
    // CREATE TABLE and the INSERT: GTID + query, GTID + annotate/table map/rows/xid.
    assert.ok(events.filter((event) => isChangeEvent(event.type)).length >= 6);
  });

  it('counts incrementally, and skips an event that is still being written', async () => {
    const partial = join(home.home, 'partial-binlog');
    await copyFile(files[0]!, partial);
    const size = (await stat(partial)).size;
    const full = await tallyBinlog(partial);
    assert.equal(full.end, size);
    await truncate(partial, size - 10);
    const cut = await tallyBinlog(partial);
    assert.ok(cut.end < size - 10);
    await copyFile(files[0]!, partial);
    assert.deepEqual(await tallyBinlog(partial, cut), full);
  });

  it('cuts where mariadb-binlog --stop-datetime stops: at the first event of the target second', async () => {
    const all = await findCut(files, secondOfInsert + 3600);
    assert.equal(all.cutsLog, false);
    assert.deepEqual(all.files, files);
    const beforeInsert = await findCut(files, secondOfInsert);
    assert.equal(beforeInsert.cutsLog, true);
    assert.deepEqual(beforeInsert.files, files.slice(0, 1));
    const afterInsert = await findCut(files, secondOfInsert + 1);
    assert.ok(afterInsert.changeEvents > beforeInsert.changeEvents);
    assert.ok(all.changeEvents > afterInsert.changeEvents);
  });
});
