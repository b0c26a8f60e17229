/**
 * Strict mode against lenient mode, through the real AWS SDK v3 over the real MariaDB data plane: lenient (the
 * default) takes the 2019 guide's `--engine aurora --db-instance-class db.r4.large` and an Aurora MySQL 1
 * version; strict, over the same home, refuses each of them as today's AWS does, refuses to copy the Aurora
 * MySQL 1 cluster lenient mode made, and still runs the lab's clone of the Aurora MySQL 3 source with the
 * engine and class read from it.
 */
import assert from 'node:assert/strict';
import {
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  RestoreDBClusterToPointInTimeCommand,
  waitUntilDBClusterAvailable,
  waitUntilDBInstanceAvailable,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { createSmallLabStack, startHarness, type ApiHarness } from './harness.js';

const SOURCE = 'auroralab-mysql-cluster';
const LEGACY = 'legacy-aurora-cluster';
const HOST_BASE = '127.0.36.1';

async function rejectsWith(promise: Promise<unknown>, name: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
    assert.equal(error.name, name, `expected ${name}, got ${error.name}: ${error.message}`);
    assert.match(error.message, message);
    assert.equal(error.$metadata?.httpStatusCode, 400);
    return true;
  });
}

const waitOptions = (rds: RDSClient) => ({ client: rds, minDelay: 1, maxDelay: 2, maxWaitTime: 120 });

describe('sandbox strict mode through the AWS SDK', function () {
  this.timeout(300_000);
  let home: string;
  let h: ApiHarness | undefined;

  after(async () => {
    await h?.close();
  });

  it('builds the lab source as Aurora MySQL 3 on db.r6g.large', async () => {
    h = await startHarness({ hostBase: HOST_BASE });
    home = h.home;
    assert.equal(h.control.strict, false, 'lenient is the default');
    await createSmallLabStack(h);
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: SOURCE }));
    assert.equal(DBClusters?.[0]?.Engine, 'aurora-mysql');
    assert.equal(DBClusters?.[0]?.EngineVersion, '8.0.mysql_aurora.3.10.0');
    assert.equal(DBClusters?.[0]?.DBClusterParameterGroup, 'default.aurora-mysql8.0');
    const { DBInstances } = await h.rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [SOURCE] }] }),
    );
    assert.equal(DBInstances?.length, 1);
    assert.equal(DBInstances?.[0]?.DBInstanceClass, 'db.r6g.large');
    assert.equal(DBInstances?.[0]?.Engine, 'aurora-mysql');
    assert.equal(DBInstances?.[0]?.EngineVersion, '8.0.mysql_aurora.3.10.0');
    assert.equal(DBInstances?.[0]?.OptionGroupMemberships?.[0]?.OptionGroupName, 'default:aurora-mysql-8-0');
  });

  it("lenient: accepts the guide's engine aurora, db.r4.large and an Aurora MySQL 1 version", async () => {
    const { DBCluster } = await h!.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: LEGACY,
        Engine: 'aurora',
        EngineVersion: '5.6.10a',
        MasterUsername: 'masteruser',
        MasterUserPassword: 'Password1',
      }),
    );
    assert.equal(DBCluster?.Engine, 'aurora-mysql', '`aurora` is taken as aurora-mysql');
    assert.equal(DBCluster?.EngineVersion, '5.6.10a');
    await waitUntilDBClusterAvailable(waitOptions(h!.rds), { DBClusterIdentifier: LEGACY });
    const { DBInstance } = await h!.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${LEGACY}-instance`,
        DBInstanceClass: 'db.r4.large',
        Engine: 'aurora',
        DBClusterIdentifier: LEGACY,
      }),
    );
    assert.equal(DBInstance?.DBInstanceStatus, 'creating');
    assert.equal(DBInstance?.DBInstanceClass, 'db.r4.large');
    assert.equal(DBInstance?.Engine, 'aurora-mysql');
    await waitUntilDBInstanceAvailable(waitOptions(h!.rds), { DBInstanceIdentifier: `${LEGACY}-instance` });
    // A cluster without EngineVersion gets today's default, an Aurora MySQL 3 version.
    const { DBCluster: plain } = await h!.rds.send(
      new CreateDBClusterCommand({
        DBClusterIdentifier: 'default-version-cluster',
        Engine: 'aurora-mysql',
        MasterUsername: 'masteruser',
        MasterUserPassword: 'Password1',
      }),
    );
    assert.match(plain?.EngineVersion ?? '', /^8\.0\.mysql_aurora\.3\./);
    await h!.stop();
  });

  it('strict, over the same home: refuses engine aurora on CreateDBCluster and CreateDBInstance', async () => {
    h = await startHarness({ hostBase: HOST_BASE, home, strict: true });
    assert.equal(h.control.strict, true);
    await rejectsWith(
      h.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'strict-aurora',
          Engine: 'aurora',
          MasterUsername: 'masteruser',
          MasterUserPassword: 'Password1',
        }),
      ),
      'InvalidParameterValue',
      /Invalid DB engine: aurora\b.*aurora-mysql/,
    );
    await rejectsWith(
      h.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'strict-aurora-instance',
          DBInstanceClass: 'db.r6g.large',
          Engine: 'aurora',
          DBClusterIdentifier: SOURCE,
        }),
      ),
      'InvalidParameterValue',
      /Invalid DB engine: aurora\b/,
    );
    // Refused requests leave nothing behind.
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({}));
    assert.ok(!DBClusters?.some((c) => c.DBClusterIdentifier === 'strict-aurora'));
  });

  it('strict: refuses an Aurora MySQL 1 version, and to copy the cluster lenient mode made with one', async () => {
    await rejectsWith(
      h!.rds.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: 'strict-five-six',
          Engine: 'aurora-mysql',
          EngineVersion: '5.6.mysql_aurora.1.23.4',
          MasterUsername: 'masteruser',
          MasterUserPassword: 'Password1',
        }),
      ),
      'InvalidParameterCombination',
      /Cannot find version 5\.6\.mysql_aurora\.1\.23\.4 for aurora-mysql/,
    );
    await rejectsWith(
      h!.rds.send(
        new RestoreDBClusterToPointInTimeCommand({
          RestoreType: 'copy-on-write',
          UseLatestRestorableTime: true,
          SourceDBClusterIdentifier: LEGACY,
          DBClusterIdentifier: `${LEGACY}-clone`,
        }),
      ),
      'InvalidParameterCombination',
      /Cannot find version 5\.6\.10a for aurora-mysql/,
    );
  });

  it("strict: refuses the db.r3, db.r4 and db.t2 classes and an engine other than the cluster's", async () => {
    for (const instanceClass of ['db.r4.large', 'db.r3.xlarge', 'db.t2.medium']) {
      await rejectsWith(
        h!.rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: 'strict-old-class',
            DBInstanceClass: instanceClass,
            Engine: 'aurora-mysql',
            DBClusterIdentifier: SOURCE,
          }),
        ),
        'InvalidParameterCombination',
        new RegExp(
          `following combination: DBInstanceClass=${instanceClass.replaceAll('.', '\\.')}, ` +
            'Engine=aurora-mysql, EngineVersion=8\\.0\\.mysql_aurora\\.3\\.10\\.0',
        ),
      );
    }
    await rejectsWith(
      h!.rds.send(
        new CreateDBInstanceCommand({
          DBInstanceIdentifier: 'strict-other-engine',
          DBInstanceClass: 'db.r6g.large',
          Engine: 'aurora-postgresql',
          DBClusterIdentifier: SOURCE,
        }),
      ),
      'InvalidParameterCombination',
      /doesn't match the engine name of your DB cluster \(aurora-mysql\)/,
    );
    const { DBInstances } = await h!.rds.send(new DescribeDBInstancesCommand({}));
    assert.deepEqual(
      DBInstances?.map((i) => i.DBInstanceIdentifier),
      ['auroralab-mysql-node-01', `${LEGACY}-instance`],
    );
  });

  it('strict: clones the source and adds an instance with the engine and class read from the source', async () => {
    const clone = `${SOURCE}-clone`;
    const { DBClusters } = await h!.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: SOURCE }));
    const { DBInstances } = await h!.rds.send(
      new DescribeDBInstancesCommand({ Filters: [{ Name: 'db-cluster-id', Values: [SOURCE] }] }),
    );
    await h!.rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
        SourceDBClusterIdentifier: SOURCE,
        DBClusterIdentifier: clone,
        BacktrackWindow: 86400,
      }),
    );
    await waitUntilDBClusterAvailable(waitOptions(h!.rds), { DBClusterIdentifier: clone });
    const { DBInstance } = await h!.rds.send(
      new CreateDBInstanceCommand({
        DBInstanceIdentifier: `${clone}-instance`,
        DBInstanceClass: DBInstances![0]!.DBInstanceClass,
        Engine: DBClusters![0]!.Engine,
        DBClusterIdentifier: clone,
      }),
    );
    assert.equal(DBInstance?.DBInstanceClass, 'db.r6g.large');
    assert.equal(DBInstance?.EngineVersion, '8.0.mysql_aurora.3.10.0', 'the clone keeps the source version');
    assert.equal(
      (await waitUntilDBInstanceAvailable(waitOptions(h!.rds), { DBInstanceIdentifier: `${clone}-instance` }))
        .state,
      'SUCCESS',
    );
  });
});
