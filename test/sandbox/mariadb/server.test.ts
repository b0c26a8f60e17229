import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  findRunningServer,
  installDataDirectory,
  isDataPlaneError,
  startMariaDbServer,
  type MariaDbServer,
  type MariaDbServerOptions,
} from '../../../src/sandbox/mariadb/index.js';
import { tempHome } from './fixtures.js';

describe('startMariaDbServer', function () {
  this.timeout(60_000);
  let home: Awaited<ReturnType<typeof tempHome>>;
  let options: MariaDbServerOptions;
  const started: MariaDbServer[] = [];

  before(async () => {
    home = await tempHome();
    const datadir = join(home.home, 'data');
    await installDataDirectory(
      datadir,
      { id: 'x', host: '127.0.40.1', port: 3306, masterUsername: 'm', masterPassword: 'p' },
      join(home.home, 'bootstrap.sql'),
    );
    options = {
      datadir,
      socket: join(home.home, 's.sock'),
      pidFile: join(home.home, 'server.pid'),
      errorLog: join(home.home, 'error.log'),
      configFile: join(home.home, 'my.cnf'),
      innodbBufferPoolSize: '32M',
    };
  });

  after(async () => {
    for (const server of started) await server.stop().catch(() => undefined);
    await home.remove();
  });

  it('serves root over its socket without TCP, and stops', async () => {
    const server = await startMariaDbServer(options);
    started.push(server);
    const connection = await mysql.createConnection({ socketPath: server.socket, user: 'root' });
    const [rows] = await connection.query(
      'SELECT @@skip_networking AS off, @@log_bin AS bin, @@time_zone AS tz',
    );
    await connection.end();
    assert.deepEqual(rows, [{ off: 1, bin: 0, tz: '+00:00' }]);
    assert.equal(server.isRunning(), true);
    await server.stop();
    assert.equal(server.isRunning(), false);
    await server.stop();
  });

  it('is found again through its pid file by a later owner', async () => {
    const server = await startMariaDbServer(options);
    started.push(server);
    const found = await findRunningServer(options.configFile, options.pidFile, options.socket);
    assert.equal(found?.pid, server.pid);
    await found!.stop({ skipFlush: true });
    assert.equal(found!.isRunning(), false);
    assert.equal(await findRunningServer(options.configFile, options.pidFile, options.socket), undefined);
    // Another option file is another server, even with the same pid file.
    const again = await startMariaDbServer(options);
    started.push(again);
    assert.equal(
      await findRunningServer(join(home.home, 'other.cnf'), options.pidFile, options.socket),
      undefined,
    );
    await again.stop();
  });

  it('reports a server that exits during start-up with its error-log lines', async () => {
    const begun = Date.now();
    await assert.rejects(
      startMariaDbServer({ ...options, extra: ['no-such-option=1'] }),
      (error: unknown) =>
        isDataPlaneError(error, 'ServerStartFailed') &&
        /exited during start-up/.test(error.message) &&
        /unknown variable 'no-such-option=1'/.test(error.message),
    );
    assert.ok(Date.now() - begun < 10_000);
  });

  it('kills a server that is not ready in time', async () => {
    await assert.rejects(
      startMariaDbServer({ ...options, startupTimeoutMs: 1 }),
      (error: unknown) =>
        isDataPlaneError(error, 'ServerStartFailed') && /not ready after 1 ms/.test(error.message),
    );
    assert.equal(await findRunningServer(options.configFile, options.pidFile, options.socket), undefined);
  });

  describe('stopped with killAfterBlockingCommits', () => {
    const logged = async (): Promise<string> => readFile(options.errorLog, 'utf8').catch(() => '');
    const root = (server: MariaDbServer) =>
      mysql.createConnection({ socketPath: server.socket, user: 'root' });
    const rows = async (): Promise<number[]> => {
      const server = await startMariaDbServer(binlogged());
      started.push(server);
      const connection = await root(server);
      const [result] = await connection.query('SELECT id FROM kill_test.t ORDER BY id');
      await connection.end();
      await server.stop();
      return (result as Array<{ id: number }>).map((row) => row.id);
    };
    const binlogged = (): MariaDbServerOptions => ({
      ...options,
      serverId: 7,
      binlogBasename: join(home.home, 'binlogs', 'mysql-bin'),
    });

    before(() => mkdir(join(home.home, 'binlogs'), { recursive: true }));

    it('is killed, not shut down, and keeps what was committed but not an open transaction', async () => {
      const server = await startMariaDbServer(binlogged());
      started.push(server);
      const setup = await root(server);
      await setup.query('CREATE DATABASE kill_test');
      await setup.query('CREATE TABLE kill_test.t (id INT PRIMARY KEY) ENGINE=InnoDB');
      await setup.query('INSERT INTO kill_test.t VALUES (1), (2)');
      const open = await root(server);
      open.on('error', () => undefined);
      await open.query('BEGIN');
      await open.query('INSERT INTO kill_test.t VALUES (3)');
      const before = (await logged()).length;
      await server.stop({ killAfterBlockingCommits: true });
      assert.equal(server.isRunning(), false);
      const log = (await logged()).slice(before);
      assert.doesNotMatch(log, /Normal shutdown|Shutdown complete/, 'the server was killed, not shut down');
      setup.destroy();
      open.destroy();
      // The next start runs crash recovery: the committed rows are there, the open transaction's is not.
      assert.deepEqual(await rows(), [1, 2]);
    });

    it('is shut down instead when commits cannot be blocked in time (another session holds a table write lock)', async () => {
      // Uses the table the test before made.
      const server = await startMariaDbServer(binlogged());
      started.push(server);
      const backup = await root(server);
      backup.on('error', () => undefined);
      await backup.query('LOCK TABLES kill_test.t WRITE');
      await backup.query('INSERT INTO kill_test.t VALUES (4)');
      const before = (await logged()).length;
      await server.stop({ killAfterBlockingCommits: true });
      assert.equal(server.isRunning(), false);
      assert.match((await logged()).slice(before), /Normal shutdown/);
      backup.destroy();
      assert.deepEqual(await rows(), [1, 2, 4]);
    });
  });
});
