/**
 * A small lab that includes one parameterised step group twice, run by the built CLI against a real
 * sandbox: two copy-on-write clones of the lab cluster made by the same create-and-wait group (`as: one`,
 * `as: two`, each with its own identifier), each waited for with an `until` template, read through its own
 * renamed captures over SQL, and both deleted in `finally` by one delete group included twice, guarded by
 * `steps.<id>.status`. Afterwards the sandbox holds the source cluster only.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../../src/engine/record.js';
import { labrun } from '../helpers/labrun-cli.js';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';

const CREATE_GROUP = `kind: steps
params:
  cluster: {type: string, description: Identifier of the clone.}
  backtrackWindow: {type: integer, default: 0}
requires:
  inputs: [clusterName, pollInterval]
steps:
  - id: create
    title: Clone the lab cluster as {{params.cluster}}
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      UseLatestRestorableTime: true
      SourceDBClusterIdentifier: "{{inputs.clusterName}}"
      DBClusterIdentifier: "{{params.cluster}}"
      BacktrackWindow: "{{params.backtrackWindow}}"
  - id: wait
    title: Wait for {{params.cluster}}
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params: {DBClusterIdentifier: "{{params.cluster}}"}
    until: "{{and (eq result.DBClusters.0.Status \\"available\\") (gte result.DBClusters.0.ClusterCreateTime steps.create.result.DBCluster.ClusterCreateTime)}}"
    interval: "{{inputs.pollInterval}}"
    backoff: 1
    timeout: 2m
    capture:
      endpoint: "{{result.DBClusters.0.Endpoint}}"
  - id: add-instance
    type: aws
    operation: CreateDBInstance
    params:
      DBInstanceClass: db.r5.large
      Engine: aurora-mysql
      DBClusterIdentifier: "{{params.cluster}}"
      DBInstanceIdentifier: "{{params.cluster}}-instance"
  - id: wait-instance
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBInstances
      params: {DBInstanceIdentifier: "{{params.cluster}}-instance"}
    value: "{{result.DBInstances.0.DBInstanceStatus}}"
    success: [available]
    failure: [failed, deleted, deleting]
    interval: "{{inputs.pollInterval}}"
    backoff: 1
    timeout: 2m
`;

const DELETE_GROUP = `kind: steps
params:
  cluster: {type: string}
  created: {type: string, description: Status of the step that created the cluster.}
requires:
  inputs: [pollInterval]
steps:
  - id: delete-instance
    type: aws
    if: "{{eq params.created \\"passed\\"}}"
    operation: DeleteDBInstance
    params: {DBInstanceIdentifier: "{{params.cluster}}-instance", SkipFinalSnapshot: true}
    ignoreErrors: [DBInstanceNotFound, DBInstanceNotFoundFault]
  - id: delete-cluster
    type: aws
    if: "{{eq params.created \\"passed\\"}}"
    operation: DeleteDBCluster
    params: {DBClusterIdentifier: "{{params.cluster}}", SkipFinalSnapshot: true}
    retry: {attempts: 20, interval: "{{inputs.pollInterval}}", on: [InvalidDBClusterStateFault]}
    ignoreErrors: [DBClusterNotFoundFault]
  - id: wait-gone
    type: wait-until
    if: "{{eq steps.delete-cluster.status \\"passed\\"}}"
    probe:
      type: aws
      operation: DescribeDBClusters
      params: {DBClusterIdentifier: "{{params.cluster}}"}
    value: "{{result.DBClusters.0.Status}}"
    success: [DBClusterNotFoundFault]
    interval: "{{inputs.pollInterval}}"
    backoff: 1
    timeout: 2m
`;

const LAB = `name: two-clones
title: Two clones from one parameterised group
inputs:
  clusterName: {stackOutput: clusterName}
  dbUser: {env: DBUSER, default: masteruser}
  dbPassword: {env: DBPASS, secret: true}
  database: {default: mylab}
  pollInterval: {default: 200ms}
connections:
  one:
    host: "{{captures.oneEndpoint}}"
    user: "{{inputs.dbUser}}"
    password: "{{inputs.dbPassword}}"
    database: "{{inputs.database}}"
  two:
    host: "{{captures.twoEndpoint}}"
    user: "{{inputs.dbUser}}"
    password: "{{inputs.dbPassword}}"
    database: "{{inputs.database}}"
steps:
  - include: groups/create.steps.yaml
    as: one
    with: {cluster: "{{inputs.clusterName}}-one", backtrackWindow: 3600}
  - include: groups/create.steps.yaml
    as: two
    with: {cluster: "{{inputs.clusterName}}-two"}
  - id: count-one
    type: sql
    connection: one
    query: SELECT COUNT(*) AS n FROM sbtest1
  - id: count-two
    type: sql
    connection: two
    query: SELECT COUNT(*) AS n FROM sbtest1
  - id: same-rows
    type: assert
    that:
      - actual: "{{steps.count-one.result.rows.0.n}}"
        equals: "{{steps.count-two.result.rows.0.n}}"
      - actual: "{{captures.oneEndpoint}}"
        notEquals: "{{captures.twoEndpoint}}"
finally:
  - include: groups/delete.steps.yaml
    as: one
    with: {cluster: "{{inputs.clusterName}}-one", created: "{{steps.one-create.status}}"}
  - include: groups/delete.steps.yaml
    as: two
    with: {cluster: "{{inputs.clusterName}}-two", created: "{{steps.two-create.status}}"}
`;

describe('a parameterised group included twice, run against the sandbox', function () {
  this.timeout(600_000);
  let home = '';
  let work = '';
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.105.1',
  });

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'labrun-groups-home-'));
    work = await mkdtemp(join(tmpdir(), 'labrun-groups-work-'));
    await mkdir(join(work, 'groups'));
    await writeFile(join(work, 'groups/create.steps.yaml'), CREATE_GROUP);
    await writeFile(join(work, 'groups/delete.steps.yaml'), DELETE_GROUP);
    await writeFile(join(work, 'two-clones.yaml'), LAB);
    const up = await labrun(['sandbox', 'up', '--table-size', '500'], { env: env(), timeout: 300_000 });
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${String(up.stdout)}\n${String(up.stderr)}`);
  });

  after(async function () {
    if (home) {
      await labrun(['sandbox', 'down', '--purge'], { env: env() });
      await rm(home, { recursive: true, force: true });
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('validates, runs both instances with their own ids and captures, and cleans both up', async () => {
    const file = join(work, 'two-clones.yaml');
    const validate = await labrun(['validate', file], { env: env() });
    assert.equal(validate.exitCode, 0, `${String(validate.stdout)}\n${String(validate.stderr)}`);

    const runs = join(work, 'runs');
    const run = await labrun(
      ['run', file, '--sandbox', '--runs-dir', runs, '--json', join(work, 'record.json')],
      {
        env: env(),
        timeout: 400_000,
      },
    );
    assert.equal(run.exitCode, 0, `run failed:\n${String(run.stdout)}\n${String(run.stderr)}`);
    const record = JSON.parse(readFileSync(join(work, 'record.json'), 'utf8')) as RunRecord;
    assert.equal(record.status, 'passed');
    assert.deepEqual(
      record.steps.map((s) => [s.id, s.status]),
      [
        ['one-create', 'passed'],
        ['one-wait', 'passed'],
        ['one-add-instance', 'passed'],
        ['one-wait-instance', 'passed'],
        ['two-create', 'passed'],
        ['two-wait', 'passed'],
        ['two-add-instance', 'passed'],
        ['two-wait-instance', 'passed'],
        ['count-one', 'passed'],
        ['count-two', 'passed'],
        ['same-rows', 'passed'],
        ['one-delete-instance', 'passed'],
        ['one-delete-cluster', 'passed'],
        ['one-wait-gone', 'passed'],
        ['two-delete-instance', 'passed'],
        ['two-delete-cluster', 'passed'],
        ['two-wait-gone', 'passed'],
      ],
    );
    const byId = new Map(record.steps.map((s) => [s.id, s]));
    // Each instance's parameters reached the API: its own identifier and backtrack window.
    const created = (id: string) =>
      (byId.get(id)!.result as { DBCluster: Record<string, unknown> }).DBCluster;
    assert.equal(created('one-create').DBClusterIdentifier, 'auroralab-mysql-cluster-one');
    assert.equal(created('two-create').DBClusterIdentifier, 'auroralab-mysql-cluster-two');
    assert.equal(created('one-create').BacktrackWindow, 3600);
    assert.equal(created('two-create').BacktrackWindow ?? 0, 0);
    // The until template rendered true, and each instance captured under its own name.
    assert.equal((byId.get('one-wait')!.result as { observed: unknown }).observed, true);
    assert.ok(String(record.captures.oneEndpoint).length > 0);
    assert.notEqual(record.captures.oneEndpoint, record.captures.twoEndpoint);
    const rows = (id: string) => (byId.get(id)!.result as { rows: Array<{ n: number }> }).rows[0]!.n;
    assert.equal(rows('count-one'), 500);
    assert.equal(rows('count-two'), 500);
    await assertOnlySourceCluster(home);
  });
});
