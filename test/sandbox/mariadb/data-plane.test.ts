import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createMariaDbDataPlane,
  isDataPlaneError,
  startMariaDbServer,
  type DataPlane,
} from '../../../src/sandbox/mariadb/index.js';
import type { ClusterStorageSpec } from '../../../src/sandbox/mariadb/types.js';
import { clusterSpec, portIsFree, sql, tempHome } from './fixtures.js';

describe('MariaDB data plane: create, start, stop', function () {
  this.timeout(120_000);
  let home: Awaited<ReturnType<typeof tempHome>>;
  const planes: DataPlane[] = [];
  let spec: ClusterStorageSpec;

  const newPlane = (): DataPlane => {
    const plane = createMariaDbDataPlane({ home: home.home });
    planes.push(plane);
    return plane;
  };

  before(async () => {
    home = await tempHome();
    spec = await clusterSpec('lab-cluster');
  });

  after(async () => {
    for (const plane of planes) await plane.shutdown().catch(() => undefined);
    await home.remove();
  });

  it('creates a running cluster the master user can use', async () => {
    const plane = newPlane();
    await plane.createCluster(spec);
    const rows = await sql<{ user: string; db: string; tz: string; cs: string; binlog: string; fmt: string }>(
      spec,
      `SELECT CURRENT_USER() AS user, DATABASE() AS db, @@time_zone AS tz, @@character_set_server AS cs,
              @@log_bin AS binlog, @@binlog_format AS fmt`,
    );
    assert.deepEqual(rows[0], {
      user: 'masteruser@%',
      db: 'mylab',
      tz: '+00:00',
      cs: 'utf8mb4',
      binlog: 1,
      fmt: 'ROW',
    });
    const grants = await sql<Record<string, string>>(spec, 'SHOW GRANTS');
    assert.match(
      Object.values(grants[0] ?? {})[0] ?? '',
      /GRANT ALL PRIVILEGES ON \*\.\* TO `masteruser`@`%`.*WITH GRANT OPTION/,
    );
    const info = await plane.info(spec.id);
    assert.equal(info.running, true);
    assert.ok(info.pid && info.pid > 0);
    assert.ok(info.dataBytes > 10_000_000, `dataBytes ${info.dataBytes}`);
    assert.ok(info.earliestBacktrackTime.getTime() <= Date.now() + 1000);
    assert.deepEqual(await plane.list(), ['lab-cluster']);
  });

  it('refuses a second cluster with the same id', async () => {
    const plane = planes[0]!;
    await assert.rejects(plane.createCluster(spec), (error) =>
      isDataPlaneError(error, 'ClusterAlreadyExists'),
    );
  });

  it('keeps data across stop and start, and counts binlog change records', async () => {
    const plane = planes[0]!;
    const before = (await plane.info(spec.id)).changeRecords;
    await sql(
      spec,
      'CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))',
      "INSERT INTO t VALUES (1, 'one'), (2, 'two')",
    );
    assert.ok((await plane.info(spec.id)).changeRecords > before);
    await plane.stop(spec.id);
    const stopped = await plane.info(spec.id);
    assert.equal(stopped.running, false);
    assert.equal(stopped.pid, undefined);
    assert.equal(await portIsFree(spec.host, spec.port), true);
    await plane.stop(spec.id);
    await plane.start(spec.id);
    await plane.start(spec.id);
    assert.deepEqual(await sql(spec, 'SELECT v FROM t ORDER BY id'), [{ v: 'one' }, { v: 'two' }]);
  });

  it('lets a new data plane over the same home adopt, stop and restart the cluster', async () => {
    const first = planes[0]!;
    const pid = (await first.info(spec.id)).pid;
    // The first data plane "crashes": it is never shut down and its server keeps running.
    const second = newPlane();
    const adopted = await second.info(spec.id);
    assert.equal(adopted.running, true);
    assert.equal(adopted.pid, pid);
    await second.shutdown();
    assert.equal(processAlive(pid!), false, 'the orphaned server is gone after shutdown()');
    assert.equal((await second.info(spec.id)).running, false);
    await second.start(spec.id);
    assert.deepEqual(await sql(spec, 'SELECT COUNT(*) AS n FROM t'), [{ n: 2 }]);
    const record = JSON.parse(await readFile(join(home.home, 'clusters', spec.id, 'cluster.json'), 'utf8'));
    assert.equal(record.spec.id, spec.id);
    assert.equal(JSON.stringify(record).includes(spec.masterPassword), false, 'no password on disk');
  });

  it('stops the replay server and clears the scratch files of an interrupted backtrack', async () => {
    const plane = planes[planes.length - 1]!;
    const dir = join(home.home, 'clusters', spec.id);
    await plane.stop(spec.id);
    const scratch = join(dir, 'work', 'backtrack-e1');
    await cp(join(dir, 'data'), scratch, { recursive: true });
    const replay = await startMariaDbServer({
      datadir: scratch,
      socket: join(dir, 'replay.sock'),
      pidFile: join(dir, 'replay.pid'),
      errorLog: join(dir, 'replay-error.log'),
      configFile: join(dir, 'replay.cnf'),
      innodbBufferPoolSize: '32M',
    });
    const fresh = newPlane();
    assert.equal((await fresh.info(spec.id)).running, false);
    assert.equal(processAlive(replay.pid), false);
    assert.equal(existsSync(join(dir, 'work')), false);
    await fresh.start(spec.id);
  });

  it('treats the pid file of a killed server as stale', async () => {
    const plane = planes[planes.length - 1]!;
    const pid = (await plane.info(spec.id)).pid!;
    process.kill(pid, 'SIGKILL');
    while (processAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    const fresh = newPlane();
    assert.equal((await fresh.info(spec.id)).running, false);
    await fresh.start(spec.id);
    assert.deepEqual(await sql(spec, 'SELECT COUNT(*) AS n FROM t'), [{ n: 2 }]);
  });

  it('reports a taken port quickly with the server error and leaves nothing running', async () => {
    const plane = planes[planes.length - 1]!;
    const other = { ...(await clusterSpec('port-taken')), host: spec.host };
    const started = Date.now();
    await assert.rejects(plane.createCluster(other), (error: unknown) => {
      assert.ok(isDataPlaneError(error, 'ServerStartFailed'), String(error));
      assert.match(error.message, /Address already in use/);
      assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace in the message');
      return true;
    });
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(await plane.list(), ['lab-cluster'], 'the failed cluster left no data');
  });

  it('refuses unknown clusters and impossible ids with typed errors', async () => {
    const plane = planes[planes.length - 1]!;
    await assert.rejects(plane.info('nope'), (error) => isDataPlaneError(error, 'ClusterNotFound'));
    await assert.rejects(plane.start('nope'), (error) => isDataPlaneError(error, 'ClusterNotFound'));
    await assert.rejects(plane.backtrack('nope', new Date()), (error) =>
      isDataPlaneError(error, 'ClusterNotFound'),
    );
    await assert.rejects(plane.createCluster({ ...spec, id: '../escape' }), (error) =>
      isDataPlaneError(error, 'InvalidClusterId'),
    );
  });

  it('destroys a cluster: server stopped, data gone', async () => {
    const plane = planes[planes.length - 1]!;
    await plane.destroy(spec.id);
    assert.deepEqual(await plane.list(), []);
    assert.equal(await portIsFree(spec.host, spec.port), true);
    await plane.destroy(spec.id);
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
