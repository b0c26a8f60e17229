import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

/** The inputs and connection every runbook in this file shares. */
function header(name: string): string {
  return `name: ${name}
inputs:
  host: {}
  user: {}
  password: { secret: true }
  database: {}
connections:
  db:
    host: "{{inputs.host}}"
    port: 3306
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: "{{inputs.database}}"
`;
}

describe('sql steps (real MariaDB)', function () {
  this.timeout(120_000);
  let db: TestMariadb;
  let ws: Workspace;
  let set: Record<string, string>;

  before(async () => {
    db = await startMariadb();
    ws = await workspace();
    set = { host: db.host, user: db.user, password: db.password, database: db.database };
  });
  after(async () => {
    await db?.stop();
    await ws?.remove();
  });

  it('returns rows as plain objects, binds parameters and keeps big integers exact', async () => {
    const { record } = await ws.run(
      `${header('sql-rows')}
steps:
  - id: create
    type: sql
    connection: db
    query: CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(20), big BIGINT UNSIGNED, at DATETIME(6))
  - id: insert
    type: sql
    connection: db
    query: INSERT INTO t VALUES (?, ?, ?, ?), (2, 'b', 18446744073709551615, NULL)
    params: [1, "{{inputs.user}}-a", 4294967295, "2026-01-01 10:00:00.123456"]
  - id: select
    type: sql
    connection: db
    query: SELECT id, name, big, at FROM t WHERE id >= ? ORDER BY id
    params: [1]
    capture:
      firstName: "{{result.rows.0.name}}"
      secondBig: "{{result.rows.1.big}}"
  - id: checksum
    type: sql
    connection: db
    query: CHECKSUM TABLE t
`,
      { set },
    );
    assert.equal(record.status, 'passed', JSON.stringify(record.steps.map((s) => s.error)));
    const [, insert, select, checksum] = record.steps;
    assert.equal((insert!.result as { affectedRows: number }).affectedRows, 2);
    assert.deepEqual(select!.result, {
      rows: [
        { id: 1, name: `${db.user}-a`, big: 4294967295, at: '2026-01-01T10:00:00.123Z' },
        { id: 2, name: 'b', big: '18446744073709551615', at: null },
      ],
      rowCount: 2,
      affectedRows: 0,
    });
    assert.deepEqual(record.captures, { firstName: `${db.user}-a`, secondBig: '18446744073709551615' });
    const row = (checksum!.result as { rows: Array<{ Table: string; Checksum: unknown }> }).rows[0]!;
    assert.equal(row.Table, `${db.database}.t`);
    assert.equal(typeof row.Checksum, 'number');
    assert.deepEqual(select!.rendered, {
      connection: 'db',
      query: 'SELECT id, name, big, at FROM t WHERE id >= ? ORDER BY id',
      params: [1],
    });
  });

  it('fails with the MySQL error code and the position of the query', async () => {
    const { record, runbook } = await ws.run(
      `${header('sql-error')}
steps:
  - id: missing
    type: sql
    connection: db
    query: SELECT * FROM no_such_table
`,
      { set },
    );
    assert.equal(record.status, 'failed');
    assert.equal(record.exitCode, 3);
    const error = record.steps[0]!.error!;
    assert.equal(error.code, 'ER_NO_SUCH_TABLE');
    assert.equal(error.kind, 'sql');
    assert.match(error.message, /no_such_table' doesn't exist/);
    const text = runbook.sources[runbook.file]!;
    const line = text.split('\n').findIndex((l) => l.includes('query: SELECT * FROM no_such_table')) + 1;
    assert.equal(error.span, `${runbook.file}:${line}:12`);
  });

  it('points a connection failure at the connection and keeps the password out of the record', async () => {
    const { record, recordPath } = await ws.run(
      `${header('sql-connect')}
steps:
  - id: denied
    type: sql
    connection: db
    query: SELECT 1
`,
      { set: { ...set, password: 'wrong-password-xyz' } },
    );
    const error = record.steps[0]!.error!;
    assert.equal(error.code, 'ER_ACCESS_DENIED_ERROR');
    assert.match(error.message, /cannot connect to db/);
    assert.match(error.hint ?? '', /user and password/);
    assert.match(error.span ?? '', /:8:3$/);
    const onDisk = await readFile(recordPath, 'utf8');
    assert.ok(!onDisk.includes('wrong-password-xyz'));
  });

  it('reconnects once when the server restarted between two steps', async () => {
    let restart: Promise<number> | undefined;
    const { record } = await ws.run(
      `${header('sql-reconnect')}
steps:
  - id: before
    type: sql
    connection: db
    query: SELECT CONNECTION_ID() AS id
  - id: pause
    type: wait-until
    duration: 2s
  - id: after
    type: sql
    connection: db
    query: SELECT CONNECTION_ID() AS id, 1 AS ok
`,
      {
        set,
        onEvent: (event) => {
          if (event.type === 'step-finished' && event.stepId === 'before') {
            restart = db.restart().then(() => Date.now());
          }
        },
      },
    );
    const restartedAt = await restart;
    assert.ok(restartedAt, 'the server was restarted');
    const after = record.steps[2]!;
    assert.equal(after.status, 'passed', after.error?.message);
    assert.ok(Date.parse(after.startedAt!) > restartedAt!, 'the restart finished before the last step');
    assert.equal((after.result as { rows: Array<{ ok: number }> }).rows[0]!.ok, 1);
  });

  it('aborts a statement that runs past the step timeout', async () => {
    const started = Date.now();
    const { record } = await ws.run(
      `${header('sql-timeout')}
steps:
  - id: slow
    type: sql
    connection: db
    query: SELECT SLEEP(5)
    timeout: 500ms
  - id: next
    type: sql
    connection: db
    query: SELECT 1
`,
      { set },
    );
    assert.ok(Date.now() - started < 4000, 'the run did not wait for the statement');
    const [slow, next] = record.steps;
    assert.equal(slow!.status, 'failed');
    assert.equal(slow!.error!.code, 'StepTimeout');
    assert.equal(slow!.error!.kind, 'timeout');
    assert.match(slow!.error!.message, /timed out after 500ms/);
    assert.equal(next!.status, 'skipped');
    assert.equal(record.exitCode, 3);
  });

  it('kills a CPU-bound statement on the server at the step timeout, not only its connection', async () => {
    // BENCHMARK does not notice its client going away: only KILL QUERY stops it.
    const { record } = await ws.run(
      `${header('sql-kill')}
steps:
  - id: busy
    type: sql
    connection: db
    query: SELECT BENCHMARK(5000000000, MD5('labrun-kill-me')) AS b
    timeout: 1s
`,
      { set },
    );
    assert.equal(record.steps[0]!.error?.code, 'StepTimeout');
    const admin = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
    });
    try {
      const running = async (): Promise<unknown[]> =>
        (
          await admin.query(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%labrun-kill-me%' AND ID <> CONNECTION_ID()",
          )
        )[0] as unknown[];
      const deadline = Date.now() + 3000;
      while ((await running()).length > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(await running(), [], 'the statement no longer runs on the server');
    } finally {
      await admin.end();
    }
  });

  /**
   * Kills the connection of the first statement matching `marker` as soon as it runs, and reports how many
   * distinct executions of it it saw until `stop()`.
   */
  async function killFirst(marker: string): Promise<{ stop(): Promise<{ killed: number; runs: number }> }> {
    const admin = await mysql.createConnection({
      host: db.host,
      port: db.port,
      user: db.user,
      password: db.password,
      database: db.database,
    });
    const seen = new Set<string>();
    let killed = 0;
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        const [rows] = await admin.query(
          'SELECT ID AS id, QUERY_ID AS q FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID()',
          [`%${marker}%`],
        );
        for (const row of rows as Array<{ id: number; q: number }>) {
          seen.add(`${row.id}/${row.q}`);
          if (killed === 0) {
            killed += 1;
            await admin.query(`KILL CONNECTION ${Number(row.id)}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    return {
      async stop() {
        stopped = true;
        await loop;
        await admin.end();
        return { killed, runs: seen.size };
      },
    };
  }

  it('sends a read once more on a fresh connection when the connection is lost while it runs', async () => {
    const killer = await killFirst('lost-read-marker');
    const { record } = await ws.run(
      `${header('sql-lost-read')}
steps:
  - id: read
    type: sql
    connection: db
    query: SELECT SLEEP(1) AS slept, 'lost-read-marker' AS marker
`,
      { set },
    );
    const { killed, runs } = await killer.stop();
    assert.equal(killed, 1, 'the first execution was killed');
    assert.equal(runs, 2, 'the read ran a second time');
    assert.equal(record.steps[0]!.status, 'passed', record.steps[0]!.error?.message);
    assert.equal((record.steps[0]!.result as { rows: Array<{ slept: number }> }).rows[0]!.slept, 0);
  });

  it('does not send a write again when the connection is lost while it runs', async () => {
    const killer = await killFirst('lost-write-marker');
    const { record } = await ws.run(
      `${header('sql-lost-write')}
steps:
  - id: table
    type: sql
    connection: db
    query: CREATE TABLE lost_write (note VARCHAR(40))
  - id: write
    type: sql
    connection: db
    query: INSERT INTO lost_write SELECT CONCAT('lost-write-marker', SLEEP(1))
`,
      { set },
    );
    const { killed, runs } = await killer.stop();
    assert.equal(killed, 1);
    assert.equal(runs, 1, 'the write ran once only');
    const write = record.steps[1]!;
    assert.equal(write.status, 'failed');
    assert.equal(record.exitCode, 3);
    assert.match(write.error!.message, /may or may not have taken effect, so it was not retried/);
  });
});
