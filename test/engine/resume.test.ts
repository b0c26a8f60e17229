import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import { MASK } from '../../src/engine/mask.js';
import { latestUnfinishedRun, readJournal, resumeRun } from '../../src/engine/resume.js';
import type { CompiledRunbook } from '../../src/runbook/types.js';
import { openRunStore } from '../../src/engine/run-store.js';
import type { AwsSettings } from '../../src/steps/types.js';
import { RDS_ITEM_NAMES, startQueryServer, toXml, type QueryServer } from '../helpers/query-server.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const RUNBOOK = `name: resume-engine
inputs:
  token: { secret: true, env: TOKEN }
  label: { default: plain }
steps:
  - id: first
    type: capture
    name: first
    value: "{{inputs.label}}-one"
  - id: second
    type: capture
    name: second
    value: "{{captures.first}}-two"
  - id: wait
    type: wait-until
    duration: 10ms
  - id: third
    type: capture
    name: third
    value: "{{captures.second}}-{{captures.first}}"
finally:
  - id: tidy
    type: capture
    name: tidied
    value: "{{captures.third}}"
`;

/** Keeps the journal up to (not including) the step-started of `stepId`, plus that start when `started`. */
function cutJournal(path: string, stepId: string, started: boolean): void {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const at = lines.findIndex((line) => line.includes(`"type":"step-started","stepId":"${stepId}"`));
  assert.ok(at > 0);
  writeFileSync(path, `${lines.slice(0, started ? at + 1 : at).join('\n')}\n`);
}

describe('resumeRun', function () {
  let ws: Workspace;
  beforeEach(async function () {
    ws = await workspace();
  });
  afterEach(async function () {
    await ws.remove();
  });

  it('continues from the first unfinished step with earlier captures restored and secrets masked', async function () {
    const env = { TOKEN: 'tok-Very-Secret-1' };
    const first = await ws.run(RUNBOOK, {
      env,
      resume: { runbook: 'x.yaml', set: { token: 'tok-Very-Secret-1', label: 'L' } },
    });
    const runDir = first.record.runDir;
    cutJournal(first.journalPath, 'wait', true);
    // A capture the resumed run cannot recompute proves the restored value is used, not a fresh one.
    const lines = readFileSync(first.journalPath, 'utf8').replace(/plain-one-two/g, 'restored-two');
    writeFileSync(first.journalPath, lines);
    assert.equal(latestUnfinishedRun(join(ws.dir, 'runs')), runDir);

    const events: string[] = [];
    const resumed = await resumeRun(first.runbook, runDir, {
      inputs: { token: 'tok-Very-Secret-1', label: 'plain' },
      env,
      onEvent: (event) => events.push(`${event.type}:${'stepId' in event ? event.stepId : ''}`),
    });
    assert.equal(resumed.record.status, 'passed');
    assert.equal(resumed.record.runId, first.record.runId);
    assert.equal(resumed.record.captures.third, 'restored-two-plain-one');
    assert.equal(resumed.record.captures.tidied, 'restored-two-plain-one');
    assert.ok(!events.includes('step-started:first'));
    assert.ok(!events.includes('step-started:second'));
    assert.ok(events.includes('step-started:wait'));
    const journal = readJournal(runDir);
    assert.ok(journal.finished);
    assert.equal(journal.events.filter((e) => e.type === 'run-started').length, 1);
    assert.equal(journal.settings?.set.label, 'L');
    assert.equal(journal.settings?.set.token, MASK);
    assert.ok(!readFileSync(first.journalPath, 'utf8').includes('tok-Very-Secret-1'));
    assert.equal(latestUnfinishedRun(join(ws.dir, 'runs')), undefined);
  });

  it('refuses a finished run, a changed outline and a changing step cut off mid-way', async function () {
    const done = await ws.run(RUNBOOK, { env: { TOKEN: 'tok2' } });
    await assert.rejects(
      resumeRun(done.runbook, done.record.runDir, { inputs: { token: 'tok2' } }),
      (error: unknown) => error instanceof UsageError && /has finished/.test(error.message),
    );

    cutJournal(done.journalPath, 'third', false);
    const changed = await ws.compile(RUNBOOK.replace('id: third', 'id: renamed'));
    await assert.rejects(
      resumeRun(changed, done.record.runDir, { inputs: { token: 'tok2' } }),
      (error: unknown) => error instanceof UsageError && /no longer match/.test(error.message),
    );

    const sql = `name: resume-sql
steps:
  - id: change
    type: sql
    connection: db
    query: UPDATE t SET n = n + 1
connections:
  db: { host: 127.0.0.1, user: u, password: p, database: d }
`;
    const runbook = await ws.compile(sql);
    const runDir = join(ws.dir, 'runs', 'cut-sql');
    const { openRunStore } = await import('../../src/engine/run-store.js');
    const store = openRunStore(join(ws.dir, 'runs'), 'cut-sql');
    store.appendEvent({
      type: 'run-started',
      runId: 'cut-sql',
      runbook: { file: runbook.file, name: runbook.name },
      startedAt: new Date().toISOString(),
      inputs: {},
      steps: [{ id: 'change', type: 'sql', cleanup: false, span: 'x:1:1' }],
      runDir,
    });
    store.appendEvent({
      type: 'step-started',
      stepId: 'change',
      index: 1,
      total: 1,
      startedAt: new Date().toISOString(),
    });
    store.close();
    await assert.rejects(
      resumeRun(runbook, runDir, { inputs: {} }),
      (error: unknown) =>
        error instanceof UsageError && /step change \(sql\) was cut off mid-way/.test(error.message),
    );
    assert.ok(!readJournal(runDir).finished, 'a refused resume writes nothing');
  });

  describe('a cut-off AWS create, reconciled (local Query-protocol server)', function () {
    let server: QueryServer;
    let aws: AwsSettings;
    before(async function () {
      server = await startQueryServer();
      aws = {
        endpoint: server.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDLABRUNTEST', secretAccessKey: 'labrun-test-secret-key' },
      };
    });
    after(async function () {
      await server.close();
    });
    beforeEach(function () {
      server.requests.length = 0;
    });

    const CREATE = `name: resume-create
steps:
  - id: create
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      UseLatestRestorableTime: true
      SourceDBClusterIdentifier: lab
      DBClusterIdentifier: lab-clone
    capture:
      endpoint: "{{result.DBCluster.Endpoint}}"
  - id: after
    type: capture
    name: after
    value: "{{captures.endpoint}}"
`;

    /** A run of CREATE whose process died inside `create`, which had started at `startedAt`. */
    async function cutOffCreate(startedAt: Date): Promise<{ runDir: string; runbook: CompiledRunbook }> {
      const runbook = await ws.compile(CREATE);
      const id = `cut-create-${startedAt.getTime()}`;
      const store = openRunStore(join(ws.dir, 'runs'), id);
      store.appendEvent({
        type: 'run-started',
        runId: id,
        runbook: { file: runbook.file, name: runbook.name },
        startedAt: startedAt.toISOString(),
        inputs: {},
        steps: [
          { id: 'create', type: 'aws', cleanup: false, span: 'x:1:1' },
          { id: 'after', type: 'capture', cleanup: false, span: 'x:1:1' },
        ],
        runDir: join(ws.dir, 'runs', id),
      });
      store.appendEvent({
        type: 'step-started',
        stepId: 'create',
        index: 1,
        total: 2,
        startedAt: startedAt.toISOString(),
      });
      store.close();
      return { runDir: join(ws.dir, 'runs', id), runbook };
    }

    const describeAs = (created: Date): void =>
      server.handle('DescribeDBClusters', () => ({
        result: toXml(
          {
            DBClusters: [
              {
                DBClusterIdentifier: 'lab-clone',
                Status: 'creating',
                Endpoint: 'lab-clone.cluster.local',
                ClusterCreateTime: created.toISOString(),
              },
            ],
          },
          RDS_ITEM_NAMES,
        ),
      }));

    it('adopts the clone the cut-off call created, without calling the create again', async function () {
      const startedAt = new Date(Date.now() - 5_000);
      const { runDir, runbook } = await cutOffCreate(startedAt);
      describeAs(new Date(startedAt.getTime() + 500));
      const resumed = await resumeRun(runbook, runDir, { inputs: {}, aws });
      assert.equal(resumed.record.status, 'passed');
      assert.deepEqual(
        server.requests.map((r) => r.action),
        ['DescribeDBClusters', 'DescribeDBClusters'],
        'one lookup to settle the step, one after the run to check what it created; no create',
      );
      const create = resumed.record.steps[0]!;
      assert.match(create.reconciled!, /adopted cluster lab-clone \(creating\), created by the cut-off call/);
      assert.equal(resumed.record.captures.after, 'lab-clone.cluster.local');
      assert.deepEqual(create.created, [{ kind: 'cluster', id: 'lab-clone' }]);
      assert.deepEqual(
        resumed.record.resources?.leaked.map((r) => [r.id, r.state]),
        [['lab-clone', 'creating']],
      );
    });

    it('runs the create again when the clone does not exist', async function () {
      const { runDir, runbook } = await cutOffCreate(new Date(Date.now() - 5_000));
      server.handle('DescribeDBClusters', () => ({
        error: { status: 404, code: 'DBClusterNotFoundFault', message: 'DBCluster lab-clone not found.' },
      }));
      server.handle('RestoreDBClusterToPointInTime', () => ({
        result: toXml(
          { DBCluster: { DBClusterIdentifier: 'lab-clone', Endpoint: 'e', Status: 'creating' } },
          RDS_ITEM_NAMES,
        ),
      }));
      const resumed = await resumeRun(runbook, runDir, { inputs: {}, aws });
      assert.equal(resumed.record.status, 'passed');
      assert.deepEqual(
        server.requests.map((r) => r.action),
        ['DescribeDBClusters', 'RestoreDBClusterToPointInTime', 'DescribeDBClusters'],
      );
      assert.match(resumed.record.steps[0]!.reconciled!, /does not exist: creating it again/);
    });

    it('refuses to adopt a cluster older than the cut-off step, and leaves the run resumable', async function () {
      const startedAt = new Date(Date.now() - 5_000);
      const { runDir, runbook } = await cutOffCreate(startedAt);
      describeAs(new Date(startedAt.getTime() - 3_600_000));
      await assert.rejects(
        resumeRun(runbook, runDir, { inputs: {}, aws }),
        (error: unknown) =>
          error instanceof UsageError &&
          /step create was cut off mid-way and cannot be settled: cluster lab-clone exists, but was created at .* before the cut-off step started/.test(
            error.message,
          ) &&
          /Delete lab-clone or give the run another identifier/.test(error.hint ?? ''),
      );
      assert.deepEqual(
        server.requests.map((r) => r.action),
        ['DescribeDBClusters'],
      );
      assert.ok(!readJournal(runDir).finished, 'the run can be resumed once the clash is sorted out');
    });

    it('refuses, resumably, when the world cannot be asked', async function () {
      const { runDir, runbook } = await cutOffCreate(new Date());
      await assert.rejects(
        resumeRun(runbook, runDir, {
          inputs: {},
          aws: { ...aws, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 },
        }),
        (error: unknown) =>
          error instanceof UsageError && /finding out what it did failed/.test(error.message),
      );
      assert.ok(!readJournal(runDir).finished);
    });
  });
});
