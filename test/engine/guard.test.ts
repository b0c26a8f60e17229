/**
 * The destructive-step guard: statically (compileRunbook with guardDestructive) and at run time (runRunbook
 * with guardDestructive), against a local Query-protocol server and a real MariaDB; and hostile stack output
 * values that must reach MariaDB and sysbench as data.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { UsageError } from '../../src/core/errors.js';
import { resolveRunInputs } from '../../src/engine/inputs.js';
import { runRunbook } from '../../src/engine/interpreter.js';
import { compileRunbook } from '../../src/runbook/index.js';
import type { AwsSettings } from '../../src/steps/types.js';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { RDS_ITEM_NAMES, startQueryServer, toXml, type QueryServer } from '../helpers/query-server.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const DB_HEADER = `inputs:
  host: {}
  user: {}
  password: { secret: true }
  database: {}
  statement: { default: "SELECT 1" }
connections:
  keep:
    host: "{{inputs.host}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: "{{inputs.database}}"
  scratch:
    host: "{{inputs.host}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: "{{inputs.database}}"
    disposable: true
`;

describe('destructive-step guard', function () {
  this.timeout(120_000);
  let ws: Workspace;

  before(async () => {
    ws = await workspace();
  });
  after(async () => {
    await ws?.remove();
  });

  describe('static check', () => {
    const compile = async (yaml: string, guardDestructive: boolean) => {
      const file = await ws.write({ [`static-${Math.random().toString(36).slice(2)}.yaml`]: yaml });
      return compileRunbook(file, { guardDestructive });
    };
    const dropOn = (connection: string) => `name: drop-${connection}
${DB_HEADER}steps:
  - id: drop
    type: sql
    connection: ${connection}
    query: "  -- tidy up\\n  drop table sbtest1"
`;

    it('refuses a DROP on a connection that is not disposable, at the query, naming both ways out', async () => {
      const { runbook, diagnostics } = await compile(dropOn('keep'), true);
      assert.equal(runbook, undefined);
      assert.equal(diagnostics.length, 1);
      const [d] = diagnostics;
      assert.equal(d!.code, 'destructive-step');
      assert.equal(d!.severity, 'error');
      assert.match(d!.message, /step "drop" runs DROP on connection "keep", which is not disposable/);
      assert.equal(`${d!.span!.start.line}:${d!.span!.start.col}`, '24:12');
      assert.match(d!.hint!, /`disposable: true`/);
      assert.match(d!.hint!, /--allow-destructive/);
    });

    it('accepts a DROP on a disposable connection, and anything when the guard is off', async () => {
      const scratch = await compile(dropOn('scratch'), true);
      assert.deepEqual(scratch.diagnostics, []);
      assert.ok(scratch.runbook?.connections.scratch?.disposable);
      assert.equal(scratch.runbook?.connections.keep?.disposable, false);
      const allowed = await compile(dropOn('keep'), false);
      assert.deepEqual(allowed.diagnostics, []);
    });

    it('does not refuse reads that only mention DROP, nor a literal cluster an earlier step creates', async () => {
      const { diagnostics } = await compile(
        `name: reads
${DB_HEADER}steps:
  - id: read
    type: sql
    connection: keep
    query: SELECT 'DROP TABLE t' AS text
  - id: create
    type: aws
    operation: CreateDBCluster
    params: { DBClusterIdentifier: made-here, Engine: aurora-mysql }
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params: { DBClusterIdentifier: made-here, BacktrackTo: "2026-01-01T00:00:00Z" }
`,
        true,
      );
      assert.deepEqual(diagnostics, []);
    });
  });

  describe('run time, aws steps (local Query-protocol server)', () => {
    let server: QueryServer;
    let aws: AwsSettings;
    beforeEach(async () => {
      server = await startQueryServer();
      aws = {
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLABRUNTEST', secretAccessKey: 'labrun-test-secret-key' },
      };
      const cluster = (id: string) => ({
        result: toXml(
          { DBCluster: { DBClusterIdentifier: id, Status: 'creating', DBClusterMembers: [] } },
          RDS_ITEM_NAMES,
        ),
      });
      server.handle('RestoreDBClusterToPointInTime', (request) =>
        cluster(request.params.DBClusterIdentifier ?? ''),
      );
      server.handle('BacktrackDBCluster', (request) => ({
        result: toXml({
          DBClusterIdentifier: request.params.DBClusterIdentifier,
          BacktrackIdentifier: 'a5507cbc-7815-4ba8-ac23-68faaa0fcea2',
          BacktrackTo: request.params.BacktrackTo,
          Status: 'PENDING',
        }),
      }));
      server.handle('DeleteDBCluster', (request) => cluster(request.params.DBClusterIdentifier ?? ''));
      // Every cluster the tests name exists, unless a test says otherwise.
      server.handle('DescribeDBClusters', (request) => ({
        result: toXml(
          {
            DBClusters: [{ DBClusterIdentifier: request.params.DBClusterIdentifier, Status: 'available' }],
          },
          RDS_ITEM_NAMES,
        ),
      }));
    });
    afterEach(async () => {
      await server?.close();
    });

    const HEADER = `inputs:
  clusterName: { default: auroralab-mysql-cluster }
`;
    const restore = (extra = '') => `  - id: create-clone
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      UseLatestRestorableTime: true
      SourceDBClusterIdentifier: "{{inputs.clusterName}}"
      DBClusterIdentifier: "{{inputs.clusterName}}-clone"
${extra}`;
    const backtrack = (target: string) => `  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params:
      DBClusterIdentifier: "${target}"
      BacktrackTo: "2026-11-23T09:20:02Z"
`;

    it('refuses a BacktrackDBCluster on a cluster known only at run time that the run did not create, calling nothing', async () => {
      const { record, runbook } = await ws.run(
        `name: backtrack-source
${HEADER}steps:
  - id: target
    type: capture
    name: target
    value: "{{inputs.clusterName}}"
${backtrack('{{captures.target}}')}  - id: after
    type: capture
    name: after
    value: x
finally:
  - id: delete
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: "{{captures.target}}", SkipFinalSnapshot: true }
`,
        { aws, guardDestructive: true },
      );
      assert.deepEqual(
        server.requests.map((r) => [r.action, r.params.DBClusterIdentifier]),
        [
          ['DescribeDBClusters', 'auroralab-mysql-cluster'],
          ['DescribeDBClusters', 'auroralab-mysql-cluster'],
        ],
        'the guard looked the cluster up (it exists); neither the backtrack nor the delete reached the server',
      );
      const [, refused, after, deleted] = record.steps;
      assert.equal(refused!.status, 'failed');
      assert.equal(refused!.attempts, 0);
      assert.equal(refused!.error!.code, 'DestructiveStepRefused');
      assert.equal(refused!.error!.kind, 'guard');
      assert.match(
        refused!.error!.message,
        /refused to call BacktrackDBCluster on cluster "auroralab-mysql-cluster": this run did not create it and the runbook does not declare it disposable; nothing was called/,
      );
      assert.match(refused!.error!.hint!, /disposable: \{clusters: \[\.\.\.\]\}.*--allow-destructive/);
      const span = runbook.steps[1]!.spans['/params/DBClusterIdentifier']!;
      assert.equal(refused!.error!.span, `${span.file}:${span.start.line}:${span.start.col}`);
      assert.equal(after!.status, 'skipped');
      assert.equal(deleted!.error!.code, 'DestructiveStepRefused');
      assert.equal(record.status, 'failed');
      assert.equal(record.exitCode, 3);
    });

    it('refuses a target known from the inputs before the run starts: no run directory, no call', async () => {
      const yaml = `name: delete-source
${HEADER}steps:
  - id: first
    type: capture
    name: first
    value: x
${restore()}  - id: wait
    type: wait-until
    duration: 1ms
finally:
  - id: delete-source
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: "{{inputs.clusterName}}", SkipFinalSnapshot: true }
`;
      const runs = (): string[] =>
        existsSync(join(ws.dir, 'runs')) ? readdirSync(join(ws.dir, 'runs')) : [];
      const before = runs();
      await assert.rejects(
        ws.run(yaml, { aws, guardDestructive: true }),
        (error: unknown) =>
          error instanceof UsageError &&
          /step delete-source: refused to call DeleteDBCluster on cluster "auroralab-mysql-cluster": this run did not create it/.test(
            error.message,
          ) &&
          error.diagnostics[0]?.code === 'destructive-step' &&
          error.diagnostics[0]?.span?.start.line ===
            yaml.split('\n').findIndex((line) => line.includes('"{{inputs.clusterName}}", Skip')) + 1,
      );
      assert.deepEqual(server.requests, [], 'nothing was called');
      assert.deepEqual(runs(), before, 'no run was started');

      // The clone it creates, named from the same input, is the run's to delete.
      const clone = yaml.replace('"{{inputs.clusterName}}", Skip', '"{{inputs.clusterName}}-clone", Skip');
      const { record } = await ws.run(clone, { aws, guardDestructive: true });
      assert.equal(record.status, 'passed', JSON.stringify(record.steps.map((s) => s.error)));
    });

    it('leaves targets after a create named only at run time to the run-time check', async () => {
      const { record } = await ws.run(
        `name: late-name
${HEADER}steps:
  - id: name
    type: capture
    name: cloneName
    value: "{{inputs.clusterName}}-clone"
${restore().replace('"{{inputs.clusterName}}-clone"', '"{{captures.cloneName}}"')}${backtrack('{{inputs.clusterName}}-clone')}`,
        { aws, guardDestructive: true },
      );
      // Before the run, the clone's name was unknown, so the backtrack on an input-named cluster could be it.
      assert.deepEqual(
        server.requests.map((r) => r.action),
        ['RestoreDBClusterToPointInTime', 'BacktrackDBCluster', 'DescribeDBClusters'],
      );
      assert.equal(record.status, 'passed');
    });

    it('accepts a backtrack and delete of the clone an earlier step created', async () => {
      const { record } = await ws.run(
        `name: backtrack-clone
${HEADER}steps:
${restore()}${backtrack('{{inputs.clusterName}}-clone')}finally:
  - id: delete
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: "{{inputs.clusterName}}-clone", SkipFinalSnapshot: true }
`,
        { aws, guardDestructive: true },
      );
      assert.equal(record.status, 'passed', JSON.stringify(record.steps.map((s) => s.error)));
      assert.deepEqual(
        server.requests.map((r) => [r.action, r.params.DBClusterIdentifier]),
        [
          ['RestoreDBClusterToPointInTime', 'auroralab-mysql-cluster-clone'],
          ['BacktrackDBCluster', 'auroralab-mysql-cluster-clone'],
          ['DeleteDBCluster', 'auroralab-mysql-cluster-clone'],
          // After finally: is the clone the run created really gone?
          ['DescribeDBClusters', 'auroralab-mysql-cluster-clone'],
        ],
      );
      assert.deepEqual(
        record.resources?.created.map((r) => [r.kind, r.id, r.stepId]),
        [['cluster', 'auroralab-mysql-cluster-clone', 'create-clone']],
      );
    });

    it('does not count a create whose error was ignored; accepts a cluster declared disposable', async () => {
      server.handle('RestoreDBClusterToPointInTime', () => ({
        error: { status: 400, code: 'DBClusterAlreadyExistsFault', message: 'DB Cluster already exists' },
      }));
      const taken = await ws.run(
        `name: clone-exists
${HEADER}steps:
${restore('    ignoreErrors: [DBClusterAlreadyExistsFault]\n')}${backtrack('{{inputs.clusterName}}-clone')}`,
        { aws, guardDestructive: true },
      );
      assert.equal(taken.record.steps[1]!.error?.code, 'DestructiveStepRefused');
      assert.deepEqual(
        server.requests.map((r) => r.action),
        ['RestoreDBClusterToPointInTime', 'DescribeDBClusters'],
        "the clone exists and is not the run's: it is looked up, never backtracked",
      );

      const declared = await ws.run(
        `name: declared
${HEADER}disposable:
  clusters: ["{{inputs.clusterName}}-scratch"]
steps:
${backtrack('{{inputs.clusterName}}-scratch')}`,
        { aws, guardDestructive: true },
      );
      assert.equal(declared.record.status, 'passed', JSON.stringify(declared.record.steps[0]!.error));
      assert.equal(server.requests.at(-1)!.params.DBClusterIdentifier, 'auroralab-mysql-cluster-scratch');
    });

    describe('a cleanup of what a failed create never made', () => {
      const yaml = `name: clone-fails
${HEADER}steps:
${restore()}  - id: wait-clone
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params: { DBClusterIdentifier: "{{inputs.clusterName}}-clone" }
    value: "{{result.DBClusters.0.Status}}"
    success: [available]
    interval: 10ms
  - id: create-clone-instance
    type: aws
    operation: CreateDBInstance
    params:
      DBClusterIdentifier: "{{inputs.clusterName}}-clone"
      DBInstanceIdentifier: "{{inputs.clusterName}}-clone-instance"
      DBInstanceClass: db.r6g.large
      Engine: aurora-mysql
finally:
  - id: delete-clone-instance
    type: aws
    operation: DeleteDBInstance
    params: { DBInstanceIdentifier: "{{inputs.clusterName}}-clone-instance", SkipFinalSnapshot: true }
  - id: delete-clone-cluster
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: "{{inputs.clusterName}}-clone", SkipFinalSnapshot: true }
`;
      const notFound = (code: string, what: string) => () => ({
        error: { status: 404, code, message: `${what} not found.` },
      });

      it('is skipped, "nothing to delete", after the service says the target does not exist: one failure is one failure', async () => {
        server.handle('RestoreDBClusterToPointInTime', () => ({
          error: {
            status: 400,
            code: 'InvalidParameterValue',
            message: 'The source cluster is not available',
          },
        }));
        server.handle('DescribeDBClusters', notFound('DBClusterNotFoundFault', 'DBCluster'));
        server.handle('DescribeDBInstances', notFound('DBInstanceNotFound', 'DBInstance'));
        const { record } = await ws.run(yaml, { aws, guardDestructive: true });
        assert.deepEqual(
          record.steps.map((s) => [s.id, s.status, s.reason ?? s.error?.code]),
          [
            ['create-clone', 'failed', 'InvalidParameterValue'],
            ['wait-clone', 'skipped', 'an earlier step failed'],
            ['create-clone-instance', 'skipped', 'an earlier step failed'],
            [
              'delete-clone-instance',
              'skipped',
              'nothing to delete: auroralab-mysql-cluster-clone-instance does not exist',
            ],
            [
              'delete-clone-cluster',
              'skipped',
              'nothing to delete: auroralab-mysql-cluster-clone does not exist',
            ],
          ],
        );
        assert.equal(record.steps.filter((s) => s.status === 'failed').length, 1);
        assert.equal(record.status, 'failed');
        assert.equal(record.exitCode, 3);
        assert.deepEqual(
          server.requests.map((r) => [
            r.action,
            r.params.DBInstanceIdentifier ?? r.params.DBClusterIdentifier,
          ]),
          [
            ['RestoreDBClusterToPointInTime', 'auroralab-mysql-cluster-clone'],
            ['DescribeDBInstances', 'auroralab-mysql-cluster-clone-instance'],
            ['DescribeDBClusters', 'auroralab-mysql-cluster-clone'],
          ],
          'nothing was deleted',
        );
      });

      it("is still refused when the target exists and is not the run's, and when it cannot be looked up", async () => {
        server.handle('RestoreDBClusterToPointInTime', () => ({
          error: { status: 400, code: 'DBClusterAlreadyExistsFault', message: 'DB Cluster already exists' },
        }));
        // The instance cannot be looked up (the endpoint does not know the action); the cluster exists.
        const { record } = await ws.run(yaml, { aws, guardDestructive: true });
        const [, , , instance, cluster] = record.steps;
        assert.equal(instance!.status, 'failed');
        assert.equal(instance!.error!.code, 'DestructiveStepRefused');
        assert.match(
          instance!.error!.message,
          /refused to call DeleteDBInstance on instance "auroralab-mysql-cluster-clone-instance": .* looking it up failed \(rds DescribeDBInstances failed: InvalidAction/,
        );
        assert.equal(cluster!.status, 'failed');
        assert.equal(cluster!.error!.code, 'DestructiveStepRefused');
        assert.match(cluster!.error!.hint!, /it existed before this run \(creating it failed\)/);
        assert.ok(!server.requests.some((r) => r.action.startsWith('Delete')), 'nothing was deleted');
      });
    });

    it('calls anything when the guard is off', async () => {
      const { record } = await ws.run(
        `name: unguarded\n${HEADER}steps:\n${backtrack('{{inputs.clusterName}}')}`,
        {
          aws,
        },
      );
      assert.equal(record.status, 'passed');
      assert.deepEqual(
        server.requests.map((r) => r.action),
        ['BacktrackDBCluster'],
      );
    });
  });

  describe('run time and hostile values (real MariaDB, real sysbench)', () => {
    let db: TestMariadb;
    let set: Record<string, string>;
    let conn: mysql.Connection;
    before(async () => {
      db = await startMariadb();
      set = { host: db.host, user: db.user, password: db.password, database: db.database };
      conn = await mysql.createConnection({
        host: db.host,
        user: db.user,
        password: db.password,
        database: db.database,
      });
    });
    after(async () => {
      await conn?.end();
      await db?.stop();
    });
    const tables = async (): Promise<string[]> => {
      const [rows] = await conn.query('SHOW TABLES');
      return (rows as Array<Record<string, string>>).map((row) => Object.values(row)[0]!).sort();
    };

    it('refuses a templated DROP on a non-disposable connection before or at run time; runs it on a disposable one', async () => {
      await conn.query('CREATE TABLE kept (id INT)');
      await conn.query('CREATE TABLE dropped (id INT)');
      const yaml = (connection: string, table: string, statement: string) => `name: drop-${table}
${DB_HEADER}steps:
  - id: statement
    type: capture
    name: statement
    value: "{{inputs.statement}}"
  - id: drop
    type: sql
    connection: ${connection}
    query: "${statement} ${table}"
`;
      // Known from the inputs: refused before the run starts.
      await assert.rejects(
        ws.run(yaml('keep', 'kept', '{{inputs.statement}}'), {
          set: { ...set, statement: 'DROP TABLE' },
          guardDestructive: true,
        }),
        (error: unknown) =>
          error instanceof UsageError &&
          /step drop: refused to run DROP on connection "keep", which is not disposable; nothing was run/.test(
            error.message,
          ),
      );
      // Known only from a capture: refused when the step is reached.
      const refused = await ws.run(yaml('keep', 'kept', '{{captures.statement}}'), {
        set: { ...set, statement: 'DROP TABLE' },
        guardDestructive: true,
      });
      assert.equal(refused.record.exitCode, 3);
      assert.equal(refused.record.steps[1]!.error!.code, 'DestructiveStepRefused');
      assert.match(
        refused.record.steps[1]!.error!.message,
        /refused to run DROP on connection "keep", which is not disposable; nothing was run/,
      );
      const accepted = await ws.run(yaml('scratch', 'dropped', '{{inputs.statement}}'), {
        set: { ...set, statement: 'DROP TABLE' },
        guardDestructive: true,
      });
      assert.equal(accepted.record.status, 'passed', accepted.record.steps[1]!.error?.message);
      assert.deepEqual(await tables(), ['kept']);
      await conn.query('DROP TABLE kept');
    });

    it('a hostile stack output reaches MariaDB and sysbench as data, and nothing else happens', async () => {
      const sentinel = await mkdtemp(join(tmpdir(), 'labrun-hostile-'));
      try {
        await conn.query('CREATE TABLE t (v VARCHAR(200))');
        const sqlValue = "x'; DROP TABLE t; --";
        const shellValue = `1; touch ${sentinel}/pwned $(touch ${sentinel}/pwned2)`;
        const file = await ws.write({
          'hostile.yaml': `name: hostile
inputs:
  host: {}
  user: {}
  password: { secret: true }
  database: {}
  label: { stackOutput: label }
  threads: { stackOutput: threads }
connections:
  db:
    host: "{{inputs.host}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: "{{inputs.database}}"
steps:
  - id: insert
    type: sql
    connection: db
    query: INSERT INTO t (v) VALUES (?)
    params: ["{{inputs.label}}"]
  - id: read
    type: sql
    connection: db
    query: SELECT v FROM t WHERE v = ?
    params: ["{{inputs.label}}"]
  - id: bench
    type: sysbench
    connection: db
    workload: oltp_read_only
    command: run
    options: { threads: "{{inputs.threads}}", tables: 1, time: 1 }
`,
        });
        const { runbook } = compileRunbook(file, { guardDestructive: true });
        assert.ok(runbook);
        const inputs = resolveRunInputs(runbook, {
          set,
          stackOutputs: { label: sqlValue, threads: shellValue },
          env: {},
        });
        const { record } = await runRunbook(runbook, {
          inputs,
          runsDir: join(ws.dir, 'runs'),
          env: {},
          guardDestructive: true,
        });
        const [insert, read, bench] = record.steps;
        assert.equal(insert!.status, 'passed', insert!.error?.message);
        assert.deepEqual((read!.result as { rows: unknown[] }).rows, [{ v: sqlValue }]);
        assert.deepEqual(await tables(), ['t'], 'table t is still there and nothing else was created');
        const [rows] = await conn.query('SELECT v FROM t');
        assert.deepEqual(rows, [{ v: sqlValue }]);

        const argv = (bench!.rendered as { argv: string[] }).argv;
        assert.ok(argv.includes(`--threads=${shellValue}`), JSON.stringify(argv));
        // sysbench got the value as one argument (it fails: the value is no number, and sbtest1 does not exist);
        // no shell ever saw it.
        assert.equal(bench!.status, 'failed');
        assert.equal(existsSync(join(sentinel, 'pwned')), false);
        assert.equal(existsSync(join(sentinel, 'pwned2')), false);
      } finally {
        await rm(sentinel, { recursive: true, force: true });
      }
    });
  });
});
