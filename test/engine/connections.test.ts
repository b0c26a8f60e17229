/**
 * SQL sessions across a server that goes away and comes back, on a real mariadbd run by the sandbox's data
 * plane (127.0.33.2-9): a session that was connected waits for the server with backoff, bounded by the
 * step's signal and its own cap, and says how long it tried; a read step rides out a crash-restart; a write
 * cut off by a crash fails saying it may or may not have taken effect, and is not sent again.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { ConnectionPool, type ConnectionPoolOptions } from '../../src/engine/connections.js';
import { StepError } from '../../src/core/errors.js';
import { createMariaDbDataPlane, type MariaDbDataPlane } from '../../src/sandbox/mariadb/index.js';
import type { ClusterStorageSpec } from '../../src/sandbox/mariadb/types.js';
import { workspace, type Workspace } from '../helpers/runbook.js';
import { freeHost } from '../helpers/loopback.js';

// One of the secrets the suite-wide audit looks for (test/helpers/secret-audit.ts).
const PASSWORD = 'Tr0ub4dor-secret-value';
const CLUSTER = 'sessions';

function header(name: string): string {
  return `name: ${name}
inputs:
  host: {}
  password: { secret: true }
connections:
  db:
    host: "{{inputs.host}}"
    port: 3306
    user: masteruser
    password: "{{inputs.password}}"
    database: mylab
`;
}

describe('SQL sessions across a server restart (real MariaDB)', function () {
  this.timeout(180_000);
  let home = '';
  let plane: MariaDbDataPlane;
  let spec: ClusterStorageSpec;
  let ws: Workspace;
  const pools: ConnectionPool[] = [];

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-sessions-'));
    plane = createMariaDbDataPlane({ home });
    spec = {
      id: CLUSTER,
      host: await freeHost('127.0.33', 2, 9),
      port: 3306,
      masterUsername: 'masteruser',
      masterPassword: PASSWORD,
      databaseName: 'mylab',
    };
    await plane.createCluster(spec);
    await admin(
      'CREATE TABLE t (id INT PRIMARY KEY, c CHAR(40) NOT NULL)',
      'INSERT INTO t SELECT seq, SHA1(seq) FROM seq_1_to_500',
      'CREATE TABLE marks (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(20) NOT NULL)',
    );
    ws = await workspace();
  });
  afterEach(async () => {
    for (const pool of pools.splice(0)) await pool.closeAll();
    await plane.start(CLUSTER);
  });
  after(async () => {
    await plane?.shutdown().catch(() => undefined);
    await ws?.remove();
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function admin(...statements: string[]): Promise<unknown[]> {
    const connection = await mysql.createConnection({
      host: spec.host,
      user: 'masteruser',
      password: PASSWORD,
      database: 'mylab',
    });
    try {
      let rows: unknown[] = [];
      for (const statement of statements)
        [rows] = (await connection.query(statement)) as [unknown[], unknown];
      return rows;
    } finally {
      await connection.end();
    }
  }

  function pool(options: Partial<ConnectionPoolOptions> = {}): ConnectionPool {
    const created = new ConnectionPool({
      settings: async () => ({
        host: spec.host,
        port: 3306,
        user: 'masteruser',
        password: PASSWORD,
        database: 'mylab',
      }),
      spanOf: () => undefined,
      ...options,
    });
    pools.push(created);
    return created;
  }

  const never = new AbortController().signal;

  it('waits for a server it was connected to until it takes connections again', async () => {
    const session = pool().session('db');
    await session.run('SELECT 1', [], never);
    await plane.stop(CLUSTER);
    const started = Date.now();
    const read = session.run('SELECT COUNT(*) AS n FROM t', [], never);
    await sleep(1500);
    await plane.start(CLUSTER);
    const result = await read;
    assert.equal(result.rows[0]!.n, 500);
    assert.ok(Date.now() - started >= 1500, 'the read waited for the server');
  });

  it('gives up after its cap, naming the connection, the address and how long it tried', async () => {
    const session = pool({ reconnectWaitMs: 1200 }).session('db');
    await session.run('SELECT 1', [], never);
    await plane.stop(CLUSTER);
    const started = Date.now();
    const error = await session.run('SELECT 1', [], never).then(
      () => assert.fail('the read must fail while the server is down'),
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    assert.ok(error instanceof StepError, String(error));
    assert.equal(error.code, 'ECONNREFUSED');
    assert.equal(error.kind, 'sql');
    assert.match(
      error.message,
      new RegExp(
        `^cannot connect to db \\(masteruser@${spec.host.replaceAll('.', '\\.')}:3306\\): .*ECONNREFUSED.*` +
          'the server went away and did not take connections again: tried for 1\\.\\d s \\(\\d+ attempts\\)$',
      ),
    );
    assert.ok(!error.message.includes(PASSWORD) && !(error.hint ?? '').includes(PASSWORD));
    assert.ok(took >= 1100 && took < 5000, `gave up after ${took} ms`);
  });

  it('stops waiting as soon as the step is aborted', async () => {
    const session = pool().session('db');
    await session.run('SELECT 1', [], never);
    await plane.stop(CLUSTER);
    const controller = new AbortController();
    const reason = new StepError('timed out after 400ms', { code: 'StepTimeout', kind: 'timeout' });
    setTimeout(() => controller.abort(reason), 400);
    const started = Date.now();
    await assert.rejects(session.run('SELECT 1', [], controller.signal), (e) => e === reason);
    assert.ok(Date.now() - started < 1500, 'the abort ended the wait');
  });

  it('waits for a first connection to a server that is starting until it takes connections', async () => {
    await plane.stop(CLUSTER);
    const session = pool().session('db');
    const started = Date.now();
    const read = session.run('SELECT COUNT(*) AS n FROM t', [], never);
    await sleep(1500);
    await plane.start(CLUSTER);
    const result = await read;
    assert.equal(result.rows[0]!.n, 500);
    assert.ok(Date.now() - started >= 1500, 'the first connection waited for the server');
  });

  it('reports a first connection where nothing listens after its bounded wait, naming what it waited for', async () => {
    const nowhere = await freeHost('127.0.33', 2, 9);
    const session = new ConnectionPool({
      settings: async () => ({ host: nowhere, port: 3306, user: 'masteruser', password: PASSWORD }),
      spanOf: () => undefined,
      firstConnectWaitMs: 1200,
    }).session('db');
    const started = Date.now();
    await assert.rejects(session.run('SELECT 1', [], never), (e: unknown) => {
      assert.ok(e instanceof StepError);
      assert.equal(e.code, 'ECONNREFUSED');
      assert.match(
        e.message,
        new RegExp(
          `^cannot connect to db \\(masteruser@${nowhere.replaceAll('.', '\\.')}:3306\\): .*ECONNREFUSED.*` +
            'nothing took connections there: tried for 1\\.\\d s \\(\\d+ attempts\\)$',
        ),
      );
      assert.match(e.hint ?? '', /Nothing listens there/);
      return true;
    });
    const took = Date.now() - started;
    assert.ok(took >= 1100 && took < 5000, `gave up after ${took} ms`);
  });

  it('reports at once a first connection whose host name does not resolve', async () => {
    const session = pool({
      settings: async () => ({ host: 'no-such-host.invalid', port: 3306, user: 'u', password: PASSWORD }),
    }).session('db');
    const started = Date.now();
    await assert.rejects(session.run('SELECT 1', [], never), (e: unknown) => {
      assert.ok(e instanceof StepError);
      assert.match(e.code, /^(ENOTFOUND|EAI_AGAIN)$/);
      assert.doesNotMatch(e.message, /tried for/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'no waiting for a name that does not resolve');
  });

  it('keeps an sql read step working when the server crashes while it runs', async () => {
    let restart: ReturnType<MariaDbDataPlane['restart']> | undefined;
    const { record } = await ws.run(
      `${header('read-across-crash')}
steps:
  - id: before
    type: sql
    connection: db
    query: SELECT COUNT(*) AS n FROM t
  - id: cut
    type: sql
    connection: db
    query: SELECT SLEEP(2) AS slept, COUNT(*) AS n, CONNECTION_ID() AS id FROM t
  - id: after
    type: sql
    connection: db
    query: SELECT COUNT(*) AS n, SUM(CRC32(c)) AS sum FROM t
`,
      {
        set: { host: spec.host, password: PASSWORD },
        onEvent: (event) => {
          if (event.type === 'step-started' && event.stepId === 'cut') {
            restart = sleep(500).then(() => plane.restart(CLUSTER, { crash: true }));
          }
        },
      },
    );
    const outcome = await restart;
    assert.ok(outcome, 'the server was running and was restarted');
    assert.notEqual(outcome.pid, outcome.previousPid);
    for (const step of record.steps)
      assert.equal(step.status, 'passed', `${step.id}: ${step.error?.message}`);
    const rows = (id: string) => (record.steps.find((s) => s.id === id)!.result as { rows: unknown[] }).rows;
    assert.deepEqual(rows('cut'), [{ slept: 0, n: 500, id: (rows('cut')[0] as { id: number }).id }]);
    assert.equal((rows('after')[0] as { n: number }).n, 500);
    assert.equal(record.status, 'passed');
  });

  it('fails a write cut off by a crash, saying it may or may not have taken effect, and never resends it', async () => {
    let restart: ReturnType<MariaDbDataPlane['restart']> | undefined;
    const { record, recordPath } = await ws.run(
      `${header('write-across-crash')}
steps:
  - id: cut-write
    type: sql
    connection: db
    query: INSERT INTO marks (note) SELECT 'cut' FROM seq_1_to_1 WHERE SLEEP(2) = 0
  - id: never
    type: sql
    connection: db
    query: SELECT 1
`,
      {
        set: { host: spec.host, password: PASSWORD },
        onEvent: (event) => {
          if (event.type === 'step-started' && event.stepId === 'cut-write') {
            restart = sleep(500).then(() => plane.restart(CLUSTER, { crash: true }));
          }
        },
      },
    );
    assert.ok(await restart, 'the server was restarted');
    const [cut, never] = record.steps;
    assert.equal(cut!.status, 'failed');
    assert.equal(cut!.error!.kind, 'sql');
    assert.match(cut!.error!.code, /^(PROTOCOL_CONNECTION_LOST|ECONNRESET)$/);
    assert.match(cut!.error!.message, /may or may not have taken effect, so it was not retried/);
    assert.equal(never!.status, 'skipped');
    assert.equal(record.exitCode, 3);
    assert.ok(!(await readFile(recordPath, 'utf8')).includes(PASSWORD), 'the record keeps the password out');
    // A resent INSERT would have committed its row by now.
    await sleep(2500);
    assert.deepEqual(await admin("SELECT COUNT(*) AS n FROM marks WHERE note = 'cut'"), [{ n: 0 }]);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
