/**
 * The RDS and CloudFormation APIs through the real AWS SDK v3 against the sandbox server, over the real
 * MariaDB data plane: every operation, the SDK waiters, the SDK's exception classes, parsed lists and
 * timestamps, status lifecycles visible when each call returns, concurrency, and a restart over the same home.
 */
import assert from 'node:assert/strict';
import { DescribeStacksCommand, ListStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  BacktrackDBClusterCommand,
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DBClusterAlreadyExistsFault,
  DBClusterBacktrackNotFoundFault,
  DBClusterNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterBacktracksCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  InvalidDBClusterStateFault,
  ModifyDBClusterCommand,
  RestoreDBClusterToPointInTimeCommand,
  waitUntilDBClusterAvailable,
  waitUntilDBClusterDeleted,
  waitUntilDBInstanceAvailable,
  waitUntilDBInstanceDeleted,
  type DBCluster,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { createSmallLabStack, startHarness, type ApiHarness } from './harness.js';
import { checksum, serverSecond, sleep, tableExists, withConnection } from './sql.js';

const SOURCE = 'auroralab-mysql-cluster';
const CLONE = 'auroralab-mysql-cluster-clone';
const PLAIN_COPY = 'auroralab-plain-copy';

async function cluster(rds: RDSClient, id: string): Promise<DBCluster> {
  const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
  assert.equal(DBClusters?.length, 1);
  return DBClusters![0]!;
}

async function rejectsWith(promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, `expected ${name}, got ${error.name}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

function waitCluster(rds: RDSClient, id: string) {
  return waitUntilDBClusterAvailable(
    { client: rds, minDelay: 1, maxDelay: 2, maxWaitTime: 120 },
    { DBClusterIdentifier: id },
  );
}

function waitInstance(rds: RDSClient, id: string) {
  return waitUntilDBInstanceAvailable(
    { client: rds, minDelay: 1, maxDelay: 2, maxWaitTime: 120 },
    { DBInstanceIdentifier: id },
  );
}

describe('sandbox RDS and CloudFormation APIs through the AWS SDK', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let sourceChecksum: number | null;
  let sourceHost: string;
  let beforeDrop: Date;

  before(async function () {
    this.timeout(300_000);
    // A short pause before each background transition makes `creating`/`backtracking` observable.
    h = await startHarness({ hostBase: '127.0.30.1', transitionDelayMs: 300 });
    await createSmallLabStack(h);
    sourceHost = (await cluster(h.rds, SOURCE)).Endpoint!;
    sourceChecksum = await checksum({ host: sourceHost });
  });

  after(async () => {
    await h?.close();
  });

  it('describes the lab cluster with every list and timestamp parsed', async () => {
    const c = await cluster(h.rds, SOURCE);
    assert.equal(c.Status, 'available');
    assert.equal(c.Endpoint, '127.0.30.1');
    assert.equal(c.ReaderEndpoint, '127.0.30.1');
    assert.equal(c.Port, 3306);
    assert.equal(c.Engine, 'aurora-mysql');
    assert.equal(c.EngineMode, 'provisioned');
    assert.equal(c.MasterUsername, 'masteruser');
    assert.equal(c.DatabaseName, 'mylab');
    assert.equal(c.BacktrackWindow, 86400);
    assert.ok(c.EarliestBacktrackTime instanceof Date);
    assert.ok(c.ClusterCreateTime instanceof Date);
    assert.ok(c.EarliestBacktrackTime.getTime() >= Math.floor(c.ClusterCreateTime.getTime() / 1000) * 1000);
    assert.equal(typeof c.BacktrackConsumedChangeRecords, 'number');
    assert.ok(c.BacktrackConsumedChangeRecords! > 0, 'loading sbtest1 left change records');
    assert.equal(c.DBClusterArn, `arn:aws:rds:us-east-1:123456789012:cluster:${SOURCE}`);
    assert.match(c.DbClusterResourceId ?? '', /^cluster-[A-Z2-7]{26}$/);
    assert.deepEqual(c.AvailabilityZones, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.deepEqual(c.VpcSecurityGroups, [{ VpcSecurityGroupId: 'sg-0a1b2c3d4e5f60001', Status: 'active' }]);
    assert.equal(c.DBClusterMembers?.length, 1);
    assert.equal(c.DBClusterMembers?.[0]?.IsClusterWriter, true);
    assert.equal(c.DBClusterMembers?.[0]?.DBInstanceIdentifier, 'auroralab-mysql-node-01');
    assert.equal(c.CloneGroupId, undefined, 'a cluster that was never cloned has no clone group');
    assert.notEqual(sourceChecksum, null);
  });

  it('serves the lab stack through CloudFormation', async () => {
    const { Stacks } = await h.cfn.send(new DescribeStacksCommand({ StackName: 'auroralab' }));
    assert.equal(Stacks?.length, 1);
    const stack = Stacks![0]!;
    assert.equal(stack.StackStatus, 'CREATE_COMPLETE');
    assert.ok(stack.CreationTime instanceof Date);
    assert.match(stack.StackId ?? '', /^arn:aws:cloudformation:us-east-1:123456789012:stack\/auroralab\//);
    const outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.equal(outputs.clusterName, SOURCE);
    assert.equal(outputs.clusterEndpoint, '127.0.30.1');
    assert.equal(outputs.readerEndpoint, '127.0.30.1');
    for (const key of ['dbSubnetGroup', 'dbSecurityGroup', 'vpcId', 'secretArn'])
      assert.ok(outputs[key], key);

    const all = await h.cfn.send(new DescribeStacksCommand({}));
    assert.equal(all.Stacks?.length, 1);
    const list = await h.cfn.send(new ListStacksCommand({ StackStatusFilter: ['CREATE_COMPLETE'] }));
    assert.equal(list.StackSummaries?.[0]?.StackName, 'auroralab');
    await rejectsWith(
      h.cfn.send(new DescribeStacksCommand({ StackName: 'nosuch' })),
      'ValidationError',
      /Stack with id nosuch does not exist/,
    );
  });

  it('creates a cluster: creating when the call returns, available after the waiter', async () => {
    const { DBCluster: created } = await h.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'SDK-Made',
        Engine: 'aurora-mysql',
        MasterUsername: 'admin',
        MasterUserPassword: 'Secret123',
        DatabaseName: 'other',
      }),
    );
    assert.equal(created?.DBClusterIdentifier, 'sdk-made', 'identifiers are stored lower-case');
    assert.equal(created?.Status, 'creating');
    assert.equal((await cluster(h.rds, 'sdk-made')).Status, 'creating');
    const result = await waitCluster(h.rds, 'sdk-made');
    assert.equal(result.state, 'SUCCESS');
    const made = await cluster(h.rds, 'sdk-made');
    assert.equal(made.Status, 'available');
    assert.deepEqual(made.DBClusterMembers, []);
    assert.equal(
      made.BacktrackWindow,
      undefined,
      'backtrack fields are absent when backtrack was never enabled',
    );
    assert.equal(made.EarliestBacktrackTime, undefined);

    await rejectsWith(
      h.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'sdk-made',
          Engine: 'aurora-mysql',
          MasterUsername: 'a',
          MasterUserPassword: 'Password1',
        }),
      ),
      DBClusterAlreadyExistsFault.name,
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'pg',
          Engine: 'aurora-postgresql',
          MasterUsername: 'a',
          MasterUserPassword: 'Password1',
        }),
      ),
      'InvalidParameterValue',
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'wide',
          Engine: 'aurora-mysql',
          MasterUsername: 'a',
          MasterUserPassword: 'Password1',
          BacktrackWindow: 300000,
        }),
      ),
      'InvalidParameterValue',
      /0 to 259200/,
    );
  });

  it('refuses bad CreateDBInstance requests with the SDK exception classes', async () => {
    await rejectsWith(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'x1',
          DBInstanceClass: 'db.r4.large',
          Engine: 'aurora',
          DBClusterIdentifier: 'nosuch',
        }),
      ),
      DBClusterNotFoundFault.name,
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'x1',
          DBInstanceClass: 'db.r4.large',
          Engine: 'aurora-postgresql',
          DBClusterIdentifier: SOURCE,
        }),
      ),
      'InvalidParameterCombination',
      /doesn't match the engine name of your DB cluster \(aurora-mysql\)/,
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'auroralab-mysql-node-01',
          DBInstanceClass: 'db.r4.large',
          Engine: 'aurora',
          DBClusterIdentifier: SOURCE,
        }),
      ),
      DBInstanceAlreadyExistsFault.name,
    );
    await rejectsWith(
      h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nosuch' })),
      DBInstanceNotFoundFault.name,
    );
  });

  it('clones with copy-on-write: creating, clone group on both, then an instance serving the same data', async () => {
    const { DBCluster: clone } = await h.rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
        SourceDBClusterIdentifier: SOURCE,
        DBClusterIdentifier: CLONE,
        VpcSecurityGroupIds: ['sg-0a1b2c3d4e5f60001'],
        DBSubnetGroupName: 'auroralab-db-subnet-group',
        BacktrackWindow: 86400,
      }),
    );
    assert.equal(clone?.Status, 'creating');
    assert.deepEqual(clone?.DBClusterMembers, []);
    assert.ok(clone?.CloneGroupId);
    assert.equal(
      (await cluster(h.rds, SOURCE)).CloneGroupId,
      clone.CloneGroupId,
      'the source joins the clone group',
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: `${CLONE}-instance`,
          DBInstanceClass: 'db.r4.large',
          Engine: 'aurora',
          DBClusterIdentifier: CLONE,
        }),
      ),
      InvalidDBClusterStateFault.name,
    );

    assert.equal((await waitCluster(h.rds, CLONE)).state, 'SUCCESS');
    const ready = await cluster(h.rds, CLONE);
    assert.equal(ready.BacktrackWindow, 86400);
    assert.ok(ready.EarliestBacktrackTime instanceof Date);
    assert.ok(
      ready.EarliestBacktrackTime.getTime() >= Math.floor(ready.ClusterCreateTime!.getTime() / 1000) * 1000,
      'a clone cannot be backtracked to before it was made',
    );
    assert.notEqual(ready.Endpoint, sourceHost);

    const { DBInstance: instance } = await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceClass: 'db.r4.large',
        Engine: 'aurora',
        DBClusterIdentifier: CLONE,
        DBInstanceIdentifier: `${CLONE}-instance`,
      }),
    );
    assert.equal(instance?.DBInstanceStatus, 'creating');
    assert.equal(instance?.Engine, 'aurora-mysql');
    assert.equal(instance?.Endpoint, undefined, 'no endpoint until the instance is up');
    assert.equal((await waitInstance(h.rds, `${CLONE}-instance`)).state, 'SUCCESS');
    const { DBInstances } = await h.rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${CLONE}-instance` }),
    );
    assert.deepEqual(DBInstances?.[0]?.Endpoint, {
      Address: ready.Endpoint,
      Port: 3306,
      HostedZoneId: 'Z2R2ITUGPM61AM',
    });
    assert.ok(DBInstances?.[0]?.InstanceCreateTime instanceof Date);
    assert.equal((await cluster(h.rds, CLONE)).DBClusterMembers?.[0]?.IsClusterWriter, true);

    assert.equal(await checksum({ host: ready.Endpoint! }), sourceChecksum);
  });

  it('refuses restores it cannot honour', async () => {
    const base = { SourceDBClusterIdentifier: SOURCE, DBClusterIdentifier: 'another-clone' };
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          RestoreType: 'copy-on-write',
          RestoreToTime: new Date(Date.now() - 5000),
        }),
      ),
      'InvalidParameterCombination',
    );
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          RestoreType: 'full-copy',
          RestoreToTime: new Date('2020-01-01T00:00:00Z'),
        }),
      ),
      'InvalidParameterValue',
      /before the earliest restorable time/,
    );
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          RestoreType: 'full-copy',
          RestoreToTime: new Date(Date.now() + 60_000),
        }),
      ),
      'InvalidParameterValue',
      /in the future/,
    );
    await rejectsWith(
      h.rds.send(new RestoreDBClusterToPointInTimeCommand({ ...base, RestoreType: 'full-copy' })),
      'InvalidParameterCombination',
    );
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          DBClusterIdentifier: CLONE,
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
        }),
      ),
      DBClusterAlreadyExistsFault.name,
    );
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          SourceDBClusterIdentifier: 'nosuch',
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
        }),
      ),
      DBClusterNotFoundFault.name,
    );
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          SourceDBClusterIdentifier: 'sdk-made',
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
        }),
      ),
      InvalidDBClusterStateFault.name,
      /no available DB instance/,
    );
    await rejectsWith(
      h.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          ...base,
          DBClusterIdentifier: 'bad--name',
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
        }),
      ),
      'InvalidParameterValue',
    );
  });

  it('makes a full copy without backtrack, and refuses to backtrack it or enable backtrack on it', async () => {
    const { DBCluster: copy } = await h.rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        SourceDBClusterIdentifier: SOURCE,
        DBClusterIdentifier: PLAIN_COPY,
        UseLatestRestorableTime: true,
      }),
    );
    assert.equal(copy?.Status, 'creating');
    assert.equal(copy?.CloneGroupId, undefined, 'a full copy is not part of the clone group');
    assert.equal((await waitCluster(h.rds, PLAIN_COPY)).state, 'SUCCESS');
    await rejectsWith(
      h.rds.send(new BacktrackDBClusterCommand({ DBClusterIdentifier: PLAIN_COPY, BacktrackTo: new Date() })),
      'InvalidParameterCombination',
      /Backtrack is not enabled/,
    );
    await rejectsWith(
      h.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: PLAIN_COPY, BacktrackWindow: 3600 })),
      'InvalidParameterCombination',
    );
  });

  it('backtracks: PENDING and backtracking when the call returns, COMPLETED with the data rewound', async () => {
    const clone = { host: (await cluster(h.rds, CLONE)).Endpoint! };
    await sleep(1100);
    beforeDrop = await serverSecond(clone);
    await sleep(1100);
    await withConnection(clone, (conn) => conn.query('DROP TABLE sbtest1'));
    assert.equal(await tableExists(clone), false);
    await sleep(1100);

    const response = await h.rds.send(
      new BacktrackDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackTo: beforeDrop }),
    );
    assert.equal(response.Status, 'PENDING');
    assert.equal(response.DBClusterIdentifier, CLONE);
    assert.match(response.BacktrackIdentifier ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(response.BacktrackTo?.getTime(), beforeDrop.getTime());
    assert.ok(response.BacktrackRequestCreationTime instanceof Date);
    assert.equal(response.BacktrackedFrom, undefined);
    assert.equal((await cluster(h.rds, CLONE)).Status, 'backtracking');
    await rejectsWith(
      h.rds.send(new BacktrackDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackTo: beforeDrop })),
      InvalidDBClusterStateFault.name,
      /cannot be backtracked from status backtracking/,
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'during-backtrack',
          DBInstanceClass: 'db.r4.large',
          Engine: 'aurora',
          DBClusterIdentifier: CLONE,
        }),
      ),
      InvalidDBClusterStateFault.name,
    );

    assert.equal((await waitCluster(h.rds, CLONE)).state, 'SUCCESS');
    assert.equal(await tableExists(clone), true);
    assert.equal(await checksum(clone), sourceChecksum);

    const completed = await h.rds.send(
      new DescribeDBClusterBacktracksCommand({
        DBClusterIdentifier: CLONE,
        Filters: [{ Name: 'db-cluster-backtrack-status', Values: ['completed'] }],
      }),
    );
    assert.equal(completed.DBClusterBacktracks?.length, 1);
    const record = completed.DBClusterBacktracks![0]!;
    assert.equal(record.Status, 'COMPLETED');
    assert.equal(record.BacktrackIdentifier, response.BacktrackIdentifier);
    assert.ok(record.BacktrackedFrom instanceof Date);
    assert.equal(record.BacktrackTo?.getTime(), beforeDrop.getTime());

    const pending = await h.rds.send(
      new DescribeDBClusterBacktracksCommand({
        DBClusterIdentifier: CLONE,
        Filters: [{ Name: 'db-cluster-backtrack-status', Values: ['PENDING', 'applying'] }],
      }),
    );
    assert.deepEqual(pending.DBClusterBacktracks, []);
    const byId = await h.rds.send(
      new DescribeDBClusterBacktracksCommand({
        DBClusterIdentifier: CLONE,
        BacktrackIdentifier: response.BacktrackIdentifier,
      }),
    );
    assert.equal(byId.DBClusterBacktracks?.length, 1);
    await rejectsWith(
      h.rds.send(
        new DescribeDBClusterBacktracksCommand({
          DBClusterIdentifier: CLONE,
          BacktrackIdentifier: '00000000-0000-0000-0000-000000000000',
        }),
      ),
      DBClusterBacktrackNotFoundFault.name,
    );
    await rejectsWith(
      h.rds.send(new DescribeDBClusterBacktracksCommand({ DBClusterIdentifier: 'nosuch' })),
      DBClusterNotFoundFault.name,
    );
  });

  it("restores a full copy as of a past time (RestoreToTime), rebuilt from the source's history", async () => {
    const { DBCluster: copy } = await h.rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        SourceDBClusterIdentifier: CLONE,
        DBClusterIdentifier: 'pitr-copy',
        RestoreType: 'full-copy',
        RestoreToTime: beforeDrop,
      }),
    );
    assert.equal(copy?.Status, 'creating');
    assert.equal((await waitCluster(h.rds, 'pitr-copy')).state, 'SUCCESS');
    await h.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: 'pitr-copy-instance',
        DBInstanceClass: 'db.r5.large',
        Engine: 'aurora-mysql',
        DBClusterIdentifier: 'pitr-copy',
      }),
    );
    assert.equal((await waitInstance(h.rds, 'pitr-copy-instance')).state, 'SUCCESS');
    const host = (await cluster(h.rds, 'pitr-copy')).Endpoint!;
    assert.equal(
      await checksum({ host }),
      sourceChecksum,
      'the copy holds sbtest1 as it was before the DROP',
    );
    await h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'pitr-copy-instance' }));
  });

  it('refuses backtracks to the future or before the earliest time, unless asked to use the earliest', async () => {
    await rejectsWith(
      h.rds.send(
        new BacktrackDBClusterCommand({
          DBClusterIdentifier: CLONE,
          BacktrackTo: new Date(Date.now() + 60_000),
        }),
      ),
      'InvalidParameterValue',
      /in the future/,
    );
    await rejectsWith(
      h.rds.send(
        new BacktrackDBClusterCommand({
          DBClusterIdentifier: CLONE,
          BacktrackTo: new Date('2020-01-01T00:00:00Z'),
        }),
      ),
      'InvalidParameterValue',
      /earliest backtrack time/,
    );
    const earliest = (await cluster(h.rds, CLONE)).EarliestBacktrackTime!;
    const response = await h.rds.send(
      new BacktrackDBClusterCommand({
        DBClusterIdentifier: CLONE,
        BacktrackTo: new Date('2020-01-01T00:00:00Z'),
        UseEarliestTimeOnPointInTimeUnavailable: true,
      }),
    );
    assert.equal(response.BacktrackTo?.getTime(), earliest.getTime());
    assert.equal((await waitCluster(h.rds, CLONE)).state, 'SUCCESS');
    assert.equal(await checksum({ host: (await cluster(h.rds, CLONE)).Endpoint! }), sourceChecksum);
    await rejectsWith(
      h.rds.send(new BacktrackDBClusterCommand({ DBClusterIdentifier: 'nosuch', BacktrackTo: new Date() })),
      DBClusterNotFoundFault.name,
    );
  });

  it('modifies the backtrack window, and disabling it is for good', async () => {
    const { DBCluster: modified } = await h.rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackWindow: 3600 }),
    );
    assert.equal(modified?.BacktrackWindow, 3600);
    await rejectsWith(
      h.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackWindow: 300000 })),
      'InvalidParameterValue',
    );
    const { DBCluster: disabled } = await h.rds.send(
      new ModifyDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackWindow: 0 }),
    );
    assert.equal(disabled?.BacktrackWindow, 0);
    await rejectsWith(
      h.rds.send(new ModifyDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackWindow: 100 })),
      'InvalidParameterCombination',
      /once disabled it stays disabled/,
    );
    await rejectsWith(
      h.rds.send(new BacktrackDBClusterCommand({ DBClusterIdentifier: CLONE, BacktrackTo: new Date() })),
      'InvalidParameterCombination',
    );
  });

  it('handles concurrent calls: one restore per identifier wins, parallel describes all answer', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        h.rds.send(
          new RestoreDBClusterToPointInTimeCommand({
            RestoreType: 'copy-on-write',
            UseLatestRestorableTime: true,
            SourceDBClusterIdentifier: SOURCE,
            DBClusterIdentifier: 'race-clone',
          }),
        ),
      ),
    );
    assert.equal(attempts.filter((a) => a.status === 'fulfilled').length, 1);
    for (const attempt of attempts) {
      if (attempt.status === 'rejected')
        assert.equal((attempt.reason as Error).name, DBClusterAlreadyExistsFault.name);
    }
    const describes = await Promise.all(
      Array.from({ length: 10 }, () => h.rds.send(new DescribeDBClustersCommand({}))),
    );
    for (const d of describes) assert.ok((d.DBClusters?.length ?? 0) >= 4);
    assert.equal((await waitCluster(h.rds, 'race-clone')).state, 'SUCCESS');
    const ids = (await h.rds.send(new DescribeDBClustersCommand({}))).DBClusters!.map(
      (c) => c.DBClusterIdentifier,
    );
    assert.deepEqual(ids, [...ids].sort());
    const group = await h.rds.send(
      new DescribeDBClustersCommand({
        Filters: [{ Name: 'clone-group-id', Values: [(await cluster(h.rds, SOURCE)).CloneGroupId!] }],
      }),
    );
    assert.deepEqual(
      group.DBClusters?.map((c) => c.DBClusterIdentifier),
      [SOURCE, CLONE, 'race-clone'],
    );
  });

  it('deletes: refuses a cluster with instances, then instance and cluster go deleting → gone', async () => {
    const cloneHost = (await cluster(h.rds, CLONE)).Endpoint!;
    await rejectsWith(
      h.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: CLONE, SkipFinalSnapshot: true })),
      InvalidDBClusterStateFault.name,
      /still contains DB instances/,
    );
    const { DBInstance } = await h.rds.send(
      new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${CLONE}-instance`, SkipFinalSnapshot: true }),
    );
    assert.equal(DBInstance?.DBInstanceStatus, 'deleting');
    const instanceGone = await waitUntilDBInstanceDeleted(
      { client: h.rds, minDelay: 1, maxDelay: 2, maxWaitTime: 60 },
      { DBInstanceIdentifier: `${CLONE}-instance` },
    );
    assert.equal(instanceGone.state, 'SUCCESS');
    await assert.rejects(
      checksum({ host: cloneHost }),
      /ECONNREFUSED/,
      'a cluster without instances has no server',
    );

    await rejectsWith(
      h.rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: CLONE })),
      'InvalidParameterCombination',
    );
    const { DBCluster } = await h.rds.send(
      new DeleteDBClusterCommand({ DBClusterIdentifier: CLONE, SkipFinalSnapshot: true }),
    );
    assert.equal(DBCluster?.Status, 'deleting');
    const clusterGone = await waitUntilDBClusterDeleted(
      { client: h.rds, minDelay: 1, maxDelay: 2, maxWaitTime: 60 },
      { DBClusterIdentifier: CLONE },
    );
    assert.equal(clusterGone.state, 'SUCCESS');
    await rejectsWith(
      h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: CLONE })),
      DBClusterNotFoundFault.name,
    );
    await rejectsWith(
      h.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${CLONE}-instance` })),
      DBInstanceNotFoundFault.name,
    );
  });

  it('restores its registry after a restart and serves the clusters that have instances again', async () => {
    const before = (await h.rds.send(new DescribeDBClustersCommand({}))).DBClusters!.map((c) => [
      c.DBClusterIdentifier,
      c.Status,
    ]);
    const home = h.home;
    await h.stop();
    await assert.rejects(checksum({ host: sourceHost }), /ECONNREFUSED/);

    h = await startHarness({ hostBase: '127.0.30.1', home });
    const after = (await h.rds.send(new DescribeDBClustersCommand({}))).DBClusters!.map((c) => [
      c.DBClusterIdentifier,
      c.Status,
    ]);
    assert.deepEqual(after, before);
    assert.equal(await checksum({ host: sourceHost }), sourceChecksum);
    const { Stacks } = await h.cfn.send(new DescribeStacksCommand({ StackName: 'auroralab' }));
    assert.equal(Stacks?.[0]?.StackName, 'auroralab');
  });
});
