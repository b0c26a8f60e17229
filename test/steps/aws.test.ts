import assert from 'node:assert/strict';
import { UsageError } from '../../src/core/errors.js';
import { fetchStackOutputs } from '../../src/engine/stack-outputs.js';
import type { AwsSettings } from '../../src/steps/types.js';
import { RDS_ITEM_NAMES, startQueryServer, toXml, type QueryServer } from '../helpers/query-server.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const HEADER = `name: aws-steps
inputs:
  clusterName: { default: auroralab-mysql-cluster }
  backtrackWindow: { type: integer, default: 86400 }
`;

function cluster(id: string, status: string): Record<string, unknown> {
  return {
    DBClusterIdentifier: id,
    Status: status,
    Endpoint: '127.0.1.2',
    Port: 3306,
    ClusterCreateTime: '2026-11-23T08:54:16.671950Z',
    VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }],
    DBClusterMembers: [],
  };
}

describe('aws steps (real AWS SDK v3 against a local Query-protocol server)', function () {
  this.timeout(60_000);
  let server: QueryServer;
  let ws: Workspace;
  let aws: AwsSettings;

  beforeEach(async () => {
    server = await startQueryServer();
    aws = {
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLABRUNTEST', secretAccessKey: 'labrun-test-secret-key' },
    };
  });
  afterEach(async () => {
    await server?.close();
  });
  before(async () => {
    ws = await workspace();
  });
  after(async () => {
    await ws?.remove();
  });

  it('renders params, serializes lists and timestamps, and returns the output with ISO dates', async () => {
    server.handle('RestoreDBClusterToPointInTime', () => ({
      result: toXml({ DBCluster: cluster('auroralab-mysql-cluster-clone', 'creating') }, RDS_ITEM_NAMES),
    }));
    server.handle('BacktrackDBCluster', (request) => ({
      result: toXml({
        DBClusterIdentifier: request.params.DBClusterIdentifier,
        BacktrackIdentifier: 'a5507cbc-7815-4ba8-ac23-68faaa0fcea2',
        BacktrackTo: request.params.BacktrackTo,
        Status: 'PENDING',
      }),
    }));
    const { record } = await ws.run(
      `${HEADER}
steps:
  - id: create-clone
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      UseLatestRestorableTime: true
      SourceDBClusterIdentifier: "{{inputs.clusterName}}"
      DBClusterIdentifier: "{{inputs.clusterName}}-clone"
      VpcSecurityGroupIds: [sg-1, sg-2]
      BacktrackWindow: "{{inputs.backtrackWindow}}"
    capture:
      cloneStatus: "{{result.DBCluster.Status}}"
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params:
      DBClusterIdentifier: "{{inputs.clusterName}}-clone"
      BacktrackTo: "{{isoSecond (addSeconds '2026-11-23T09:20:01.734512Z' 1)}}"
`,
      { aws },
    );
    assert.equal(record.status, 'passed', JSON.stringify(record.steps.map((s) => s.error)));
    const [restore, backtrack] = server.requests;
    assert.equal(restore!.service, 'rds');
    assert.deepEqual(restore!.params, {
      RestoreType: 'copy-on-write',
      UseLatestRestorableTime: 'true',
      SourceDBClusterIdentifier: 'auroralab-mysql-cluster',
      DBClusterIdentifier: 'auroralab-mysql-cluster-clone',
      'VpcSecurityGroupIds.VpcSecurityGroupId.1': 'sg-1',
      'VpcSecurityGroupIds.VpcSecurityGroupId.2': 'sg-2',
      BacktrackWindow: '86400',
    });
    assert.equal(backtrack!.params.BacktrackTo, '2026-11-23T09:20:02Z');
    const result = record.steps[0]!.result as { DBCluster: Record<string, unknown> };
    assert.equal(result.DBCluster.Status, 'creating');
    assert.equal(result.DBCluster.ClusterCreateTime, '2026-11-23T08:54:16.672Z');
    assert.deepEqual(result.DBCluster.VpcSecurityGroups, [{ VpcSecurityGroupId: 'sg-1', Status: 'active' }]);
    assert.equal('$metadata' in (record.steps[0]!.result as object), false);
    assert.deepEqual(record.captures, { cloneStatus: 'creating' });
    assert.deepEqual(record.steps[1]!.rendered, {
      service: 'rds',
      operation: 'BacktrackDBCluster',
      params: { DBClusterIdentifier: 'auroralab-mysql-cluster-clone', BacktrackTo: '2026-11-23T09:20:02Z' },
    });
    assert.equal(
      (record.steps[1]!.result as { BacktrackTo: string }).BacktrackTo,
      '2026-11-23T09:20:02.000Z',
    );
  });

  it('fails with the service error code, and ignoreErrors turns a listed code into a pass', async () => {
    server.handle('DescribeDBClusters', () => ({
      error: { status: 404, code: 'DBClusterNotFoundFault', message: 'DBCluster nosuch not found.' },
    }));
    server.handle('DeleteDBInstance', () => ({
      error: { status: 404, code: 'DBInstanceNotFound', message: 'DBInstance nosuch-instance not found.' },
    }));
    const { record, runbook } = await ws.run(
      `${HEADER}
steps:
  - id: delete-instance
    type: aws
    operation: DeleteDBInstance
    params: { DBInstanceIdentifier: nosuch-instance, SkipFinalSnapshot: true }
    ignoreErrors: [DBInstanceNotFound, DBInstanceNotFoundFault]
  - id: describe
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: nosuch }
`,
      { aws },
    );
    const [deleted, describe] = record.steps;
    assert.equal(deleted!.status, 'passed');
    assert.equal(deleted!.errorIgnored, true);
    assert.equal(deleted!.error!.code, 'DBInstanceNotFoundFault');
    assert.equal(describe!.status, 'failed');
    assert.equal(describe!.error!.code, 'DBClusterNotFoundFault');
    assert.equal(describe!.error!.kind, 'aws');
    assert.match(
      describe!.error!.message,
      /rds DescribeDBClusters failed: DBClusterNotFoundFault: DBCluster nosuch not found\./,
    );
    const line =
      runbook.sources[runbook.file]!.split('\n').findIndex((l) =>
        l.includes('operation: DescribeDBClusters'),
      ) + 1;
    assert.equal(describe!.error!.span, `${runbook.file}:${line}:16`);
    assert.equal(record.exitCode, 3);
  });

  it('lets the SDK retry 5xx answers', async () => {
    server.handle('DescribeDBClusters', (_request, calls) =>
      calls < 3
        ? { status: 503, body: '<html>busy</html>' }
        : { result: toXml({ DBClusters: [cluster('c1', 'available')] }, RDS_ITEM_NAMES) },
    );
    const { record } = await ws.run(
      `${HEADER}
steps:
  - id: describe
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: c1 }
    capture:
      status: "{{result.DBClusters.0.Status}}"
`,
      { aws },
    );
    assert.equal(record.status, 'passed', record.steps[0]!.error?.message);
    assert.equal(server.requests.length, 3);
    assert.deepEqual(record.captures, { status: 'available' });
  });

  it('coerces values of unknown type by the model before sending: numbers, booleans, timestamps', async () => {
    server.handle('RestoreDBClusterToPointInTime', () => ({
      result: toXml({ DBCluster: cluster('c1-clone', 'creating') }, RDS_ITEM_NAMES),
    }));
    server.handle('BacktrackDBCluster', (request) => ({
      result: toXml({
        DBClusterIdentifier: 'c1-clone',
        BacktrackTo: request.params.BacktrackTo,
        Status: 'PENDING',
      }),
    }));
    // Untyped inputs: their type is known only once rendered, so the static checks leave them to the run.
    const { record } = await ws.run(
      `${HEADER}  window: {}
  latest: {}
  to: {}
steps:
  - id: clone
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      SourceDBClusterIdentifier: c1
      DBClusterIdentifier: c1-clone
      RestoreType: copy-on-write
      UseLatestRestorableTime: "{{inputs.latest}}"
      BacktrackWindow: "{{inputs.window}}"
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params:
      DBClusterIdentifier: c1-clone
      BacktrackTo: "{{inputs.to}}"
`,
      { aws, set: { window: '86400', latest: 'true', to: '2026-11-23T09:00:00Z' } },
    );
    assert.equal(record.status, 'passed', record.steps.find((s) => s.error)?.error?.message);
    assert.equal(server.requests[0]!.params.BacktrackWindow, '86400');
    assert.equal(server.requests[0]!.params.UseLatestRestorableTime, 'true');
    // A timestamp given as a string reaches the wire: the SDK drops a string where it wants a Date.
    assert.equal(server.requests[1]!.params.BacktrackTo, '2026-11-23T09:00:00Z');
  });

  it('refuses a rendered value the model cannot take, naming the member, before sending anything', async () => {
    const run = async (set: Record<string, string>) => {
      const { record } = await ws.run(
        `${HEADER}  window: {}
  latest: {}
steps:
  - id: clone
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      DBClusterIdentifier: c1-clone
      UseLatestRestorableTime: "{{inputs.latest}}"
      BacktrackWindow: "{{inputs.window}}"
`,
        { aws, set },
      );
      assert.equal(record.status, 'failed');
      return record.steps[0]!.error!;
    };
    const window = await run({ window: 'one day', latest: 'true' });
    assert.equal(window.code, 'InvalidParameterValue');
    assert.equal(
      window.message,
      'rds RestoreDBClusterToPointInTime: BacktrackWindow must be a number, got "one day"',
    );
    assert.match(window.span ?? '', /:14:24$/);
    const latest = await run({ window: '60', latest: 'yes' });
    assert.equal(
      latest.message,
      'rds RestoreDBClusterToPointInTime: UseLatestRestorableTime must be a boolean (true or false), got "yes"',
    );
    assert.equal(latest.hint, 'Give true or false.');
    assert.equal(server.requests.length, 0);
  });

  it('polls an aws probe until the cluster is available', async () => {
    const statuses = ['creating', 'creating', 'available'];
    server.handle('DescribeDBClusters', (_request, calls) => ({
      result: toXml({ DBClusters: [cluster('c1', statuses[Math.min(calls, 3) - 1]!)] }, RDS_ITEM_NAMES),
    }));
    const { record } = await ws.run(
      `${HEADER}
steps:
  - id: wait-clone
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params:
        DBClusterIdentifier: "{{inputs.clusterName}}-clone"
    value: "{{result.DBClusters.0.Status}}"
    success: [available]
    failure: [failed, deleted]
    interval: 20ms
    timeout: 30s
`,
      { aws },
    );
    const step = record.steps[0]!;
    assert.equal(step.status, 'passed', step.error?.message);
    assert.equal((step.result as { polls: number }).polls, 3);
    assert.equal(server.requests[0]!.params.DBClusterIdentifier, 'auroralab-mysql-cluster-clone');
  });

  it('fails clearly, without a trace, on answers that are not what the service sends', async () => {
    // A 200 answer that is not XML, then one without the cluster the template reads.
    server.handle('DescribeDBClusters', (_request, calls) =>
      calls === 1
        ? { status: 200, body: 'this is not XML', contentType: 'text/xml' }
        : { result: toXml({ DBClusters: [] }, RDS_ITEM_NAMES) },
    );
    const step = (id: string) => `  - id: ${id}
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params: { DBClusterIdentifier: c1 }
    value: "{{result.DBClusters.0.Status}}"
    success: [available]
    interval: 10ms
    timeout: 2s
`;
    const run = async (id: string) => {
      const { record } = await ws.run(`${HEADER}\nsteps:\n${step(id)}`, { aws, defaultTimeoutMs: 5000 });
      const error = record.steps[0]!.error!;
      assert.equal(record.steps[0]!.status, 'failed', id);
      for (const text of [error.message, error.hint ?? ''])
        assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `${id}: no stack trace`);
      return error;
    };
    const notXml = await run('not-xml');
    assert.equal(notXml.kind, 'aws');
    assert.equal(notXml.code, 'MalformedResponse');
    assert.equal(
      notXml.message,
      'rds DescribeDBClusters failed: the answer is not a well-formed AWS response (@aws-sdk XML parse error: unexpected content.)',
    );
    assert.match(notXml.hint ?? '', /--endpoint-url/);
    const empty = await run('no-clusters');
    assert.equal(empty.kind, 'template');
    assert.equal(
      empty.message,
      'unknown reference "result.DBClusters.0.Status": result.DBClusters is an empty list',
    );
    assert.match(empty.span!, /:\d+:\d+$/);
  });

  it('reads CloudFormation with service: cloudformation, and stack outputs for inputs', async () => {
    const stack = {
      Stacks: [
        {
          StackName: 'auroralab',
          CreationTime: '2026-11-23T08:00:00Z',
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [
            { OutputKey: 'clusterName', OutputValue: 'auroralab-mysql-cluster' },
            { OutputKey: 'clusterEndpoint', OutputValue: '127.0.1.1' },
          ],
        },
      ],
    };
    server.handle('DescribeStacks', (request) =>
      request.params.StackName === 'auroralab'
        ? { result: toXml(stack) }
        : {
            error: {
              status: 400,
              code: 'ValidationError',
              message: `Stack with id ${request.params.StackName} does not exist`,
            },
          },
    );
    const { record } = await ws.run(
      `${HEADER}
steps:
  - id: stack
    type: aws
    service: cloudformation
    operation: DescribeStacks
    params: { StackName: auroralab }
    capture:
      endpoint: "{{result.Stacks.0.Outputs.1.OutputValue}}"
`,
      { aws },
    );
    assert.equal(record.status, 'passed', record.steps[0]!.error?.message);
    assert.equal(server.requests[0]!.service, 'cloudformation');
    assert.deepEqual(record.captures, { endpoint: '127.0.1.1' });

    assert.deepEqual(await fetchStackOutputs('auroralab', aws), {
      clusterName: 'auroralab-mysql-cluster',
      clusterEndpoint: '127.0.1.1',
    });
    await assert.rejects(fetchStackOutputs('nosuch', aws), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.match(
        error.message,
        /cannot read the outputs of stack nosuch: Stack with id nosuch does not exist/,
      );
      assert.match(error.hint ?? '', /stack name and the region/);
      return true;
    });
  });
});
