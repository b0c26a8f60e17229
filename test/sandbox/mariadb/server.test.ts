import assert from 'node:assert/strict';
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
});
