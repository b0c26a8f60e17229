import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import mysql from 'mysql2/promise';
import { parsePrepare, parseRun } from '../../src/steps/sysbench/execute.js';
import { SYSBENCH_RESULT_TYPES } from '../../src/steps/sysbench/static.js';
import { argvAuditMarker, startArgvSampler } from '../helpers/argv-audit.js';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

describe('sysbench steps (real sysbench, real MariaDB)', function () {
  this.timeout(120_000);
  let db: TestMariadb;
  let ws: Workspace;

  before(async () => {
    db = await startMariadb();
    ws = await workspace();
  });
  after(async () => {
    await db?.stop();
    await ws?.remove();
  });

  it('prepares, runs and cleans up, with parsed summaries and the password masked', async () => {
    const { record, recordPath, journalPath } = await ws.run(
      `name: sysbench-steps
inputs:
  host: {}
  user: {}
  password: { secret: true }
  database: {}
  tableSize: { type: integer, default: 1000 }
connections:
  db:
    host: "{{inputs.host}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: "{{inputs.database}}"
steps:
  - id: prepare
    type: sysbench
    connection: db
    workload: oltp_write_only
    command: prepare
    options: { threads: 1, tables: 1, table-size: "{{inputs.tableSize}}" }
  - id: count
    type: sql
    connection: db
    query: SELECT COUNT(*) AS n FROM sbtest1
  - id: load
    type: sysbench
    connection: db
    workload: oltp_write_only
    command: run
    options: { threads: 1, tables: 1, table_size: "{{inputs.tableSize}}", time: 1, mysql-ignore-errors: all }
  - id: prepare-again
    type: sysbench
    connection: db
    workload: oltp_write_only
    command: prepare
    options: { tables: 1, table-size: 10 }
finally:
  - id: cleanup
    type: sysbench
    connection: db
    workload: oltp_write_only
    command: cleanup
    options: { tables: 1 }
`,
      { set: { host: db.host, user: db.user, password: db.password, database: db.database } },
    );
    const [prepare, count, load, again, cleanup] = record.steps;
    assert.equal(prepare!.status, 'passed', prepare!.error?.message);
    assert.deepEqual(prepare!.result, { tables: 1, rowsInserted: 1000, exitCode: 0 });
    assert.deepEqual((count!.result as { rows: unknown[] }).rows, [{ n: 1000 }]);
    const [program, configFile, ...argv] = (prepare!.rendered as { argv: string[] }).argv;
    assert.equal(program, 'sysbench');
    assert.match(configFile!, /^--config-file=.*\/labrun-secret-\d+-[^/]+\/sysbench\.cfg$/);
    assert.equal(
      existsSync(configFile!.slice('--config-file='.length)),
      false,
      'the password file is removed',
    );
    assert.deepEqual(argv, [
      'oltp_write_only',
      `--mysql-host=${db.host}`,
      '--mysql-port=3306',
      `--mysql-user=${db.user}`,
      `--mysql-db=${db.database}`,
      '--threads=1',
      '--tables=1',
      '--table-size=1000',
      'prepare',
    ]);

    const run = load!.result as ReturnType<typeof parseRun> & { exitCode: number };
    assert.equal(load!.status, 'passed', load!.error?.message);
    assert.ok(run.transactions > 0 && run.tps > 0 && run.queries >= run.transactions);
    assert.ok(run.latency.avg > 0 && run.latency.max >= run.latency.min);
    assert.equal(run.errors, 0);
    assert.equal(run.exitCode, 0);
    // The workload's own spelling and the mysql driver options the connection does not set reach sysbench.
    const loadArgv = (load!.rendered as { argv: string[] }).argv;
    assert.ok(loadArgv.includes('--table_size=1000') && loadArgv.includes('--mysql-ignore-errors=all'));
    // The result has exactly the members its static type declares.
    const declared = SYSBENCH_RESULT_TYPES.run;
    assert.ok(declared.kind === 'structure');
    assert.deepEqual(Object.keys(run).sort(), Object.keys(declared.members).sort());

    assert.equal(again!.status, 'failed');
    assert.equal(again!.error!.code, 'SysbenchFailed');
    assert.equal(again!.error!.kind, 'process');
    assert.match(again!.error!.message, /sysbench prepare exited with code 1:[\s\S]*already exists/);
    assert.match(again!.error!.hint ?? '', /cleanup/);
    assert.equal(cleanup!.status, 'passed');
    assert.equal(record.exitCode, 3);

    for (const path of [recordPath, journalPath]) {
      assert.ok(!(await readFile(path, 'utf8')).includes(db.password), `${path} holds no password`);
    }
  });

  // Passwords sysbench 1.0.20 reads from its --config-file as written, and ones it cannot (measured).
  const READABLE = ['q"uo\\te=d;x#y', "it's-ünïcödé", 'x'.repeat(60)];
  const UNREADABLE: Array<[string, RegExp]> = [
    ['with space9', /it contains white space/],
    ['tab\there', /it contains white space/],
    ['#leading-hash', /it starts with #/],
  ];

  async function userWithPassword(name: string, password: string): Promise<void> {
    const conn = await mysql.createConnection({ host: db.host, user: db.user, password: db.password });
    try {
      await conn.query(`CREATE OR REPLACE USER ?@'%' IDENTIFIED BY ?`, [name, password]);
      await conn.query(`GRANT ALL ON *.* TO ?@'%'`, [name]);
    } finally {
      await conn.end();
    }
  }

  const passwordRunbook = `name: sysbench-password
inputs:
  host: {}
  user: {}
  password: { secret: true }
  database: {}
connections:
  db: { host: "{{inputs.host}}", user: "{{inputs.user}}", password: "{{inputs.password}}", database: "{{inputs.database}}" }
steps:
  - id: prepare
    type: sysbench
    connection: db
    workload: oltp_write_only
    command: prepare
    options: { tables: 1, table-size: 1000 }
  # A second of load: long enough for the sampler to see a sysbench running, however loaded the machine.
  - id: load
    type: sysbench
    connection: db
    workload: oltp_read_only
    command: run
    options: { tables: 1, table-size: 1000, time: 1 }
finally:
  - id: cleanup
    type: sysbench
    connection: db
    workload: oltp_write_only
    command: cleanup
    options: { tables: 1 }
`;

  it('gives sysbench the password in a private file, never on its command line', async () => {
    for (const [i, password] of READABLE.entries()) {
      await userWithPassword(`pw${i}`, password);
      const sampler = startArgvSampler([password], {
        match: 'sysbench',
        intervalMs: 2,
        marker: argvAuditMarker(),
      });
      const { record } = await ws.run(passwordRunbook, {
        set: { host: db.host, user: `pw${i}`, password, database: db.database },
      });
      const argv = await sampler.stop();
      assert.equal(record.steps[0]!.status, 'passed', `${password}: ${record.steps[0]!.error?.message}`);
      assert.equal(record.steps[1]!.status, 'passed', `${password}: ${record.steps[1]!.error?.message}`);
      assert.equal(record.steps[2]!.status, 'passed');
      assert.deepEqual(argv.findings, [], `${password} on a command line`);
      assert.ok(argv.matched >= 1, 'the sampler saw sysbench running');
    }
  });

  it('refuses, before sysbench starts, a password sysbench cannot read from its config file', async () => {
    for (const [password, reason] of UNREADABLE) {
      const sampler = startArgvSampler([], { match: 'sysbench', intervalMs: 2, marker: argvAuditMarker() });
      const { record } = await ws.run(passwordRunbook, {
        set: { host: db.host, user: db.user, password, database: db.database },
      });
      const argv = await sampler.stop();
      const step = record.steps[0]!;
      assert.equal(step.status, 'failed');
      assert.equal(step.error!.code, 'UnsupportedPassword');
      assert.match(
        step.error!.message,
        new RegExp(`connection db cannot be given to sysbench: ${reason.source}`),
      );
      assert.match(step.error!.hint ?? '', /--config-file/);
      assert.equal(argv.matched, 0, 'no sysbench was started');
      assert.equal(record.exitCode, 3);
    }
  });

  it('parses the summaries sysbench 1.0.20 prints', () => {
    assert.deepEqual(
      parsePrepare(
        "Creating table 'sbtest1'...\nInserting 1000 records into 'sbtest1'\nCreating a secondary index on 'sbtest1'...\n" +
          "Creating table 'sbtest2'...\nInserting 1000 records into 'sbtest2'\n",
      ),
      { tables: 2, rowsInserted: 2000 },
    );
    const run = parseRun(`SQL statistics:
    queries performed:
        read:                            0
        write:                           5868
        other:                           2934
        total:                           8802
    transactions:                        1467   (1463.96 per sec.)
    queries:                             8802   (8783.75 per sec.)
    ignored errors:                      2      (0.00 per sec.)
    reconnects:                          1      (0.00 per sec.)

General statistics:
    total time:                          1.0011s
    total number of events:              1467

Latency (ms):
         min:                                    0.44
         avg:                                    0.68
         max:                                   11.36
         95th percentile:                        0.94
         sum:                                  997.77
`);
    assert.deepEqual(run, {
      transactions: 1467,
      tps: 1463.96,
      queries: 8802,
      qps: 8783.75,
      reads: 0,
      writes: 5868,
      other: 2934,
      errors: 2,
      reconnects: 1,
      totalTimeSeconds: 1.0011,
      events: 1467,
      latency: { min: 0.44, avg: 0.68, max: 11.36, p95: 0.94, sum: 997.77 },
    });
  });
});
