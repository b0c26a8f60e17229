/**
 * The sandbox API under concurrent calls from several SDK clients, over the real MariaDB data plane: clones
 * created at once while other clients poll, instances added to each at once, a backtrack of one clone while
 * another is deleted, racing restores and racing deletes of one identifier. Every answer must parse, every
 * race must have exactly the winners and faults real RDS gives, every clone must hold the source's data,
 * and nothing (registry entry, data directory, mariadbd) may be left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BacktrackDBClusterCommand,
  CreateDBClusterCommand,
  CreateDBInstanceCommand,
  DBClusterAlreadyExistsFault,
  DBClusterNotFoundFault,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterBacktracksCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  InvalidDBClusterStateFault,
  InvalidDBInstanceStateFault,
  RDSClient,
  RestoreDBClusterToPointInTimeCommand,
  type DBCluster,
} from '@aws-sdk/client-rds';
import { REGISTRY_FILE } from '../../../src/sandbox/control/registry-store.js';
import { createSmallLabStack, eventually, startHarness, type ApiHarness } from './harness.js';
import { checksum, serverSecond, sleep, tableExists, withConnection } from './sql.js';

const SOURCE = 'auroralab-mysql-cluster';
const CLONES = ['conc-clone-1', 'conc-clone-2', 'conc-clone-3'];
const RACE = 'conc-race';
const READER = 'conc-clone-1-reader';
const CLUSTER_STATUSES = new Set(['creating', 'available', 'backtracking', 'deleting']);
const INSTANCE_STATUSES = new Set(['creating', 'available', 'deleting']);

/** Settles every promise and sorts the outcomes: the values, and the SDK error names of the rejections. */
async function race<T>(calls: Array<Promise<T>>): Promise<{ won: T[]; lost: string[] }> {
  const settled = await Promise.allSettled(calls);
  return {
    won: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])),
    lost: settled.flatMap((s) => (s.status === 'rejected' ? [(s.reason as Error).name] : [])),
  };
}

function restore(client: RDSClient, id: string) {
  return client.send(
    new RestoreDBClusterToPointInTimeCommand({
      RestoreType: 'copy-on-write',
      UseLatestRestorableTime: true,
      SourceDBClusterIdentifier: SOURCE,
      DBClusterIdentifier: id,
      BacktrackWindow: 86400,
    }),
  );
}

/** Pids of mariadbd processes serving (or replaying into) the cluster `id` of the sandbox in `home`. */
function serversOf(home: string, id: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes('mariadbd') && cmdline.includes(join(home, 'clusters', id)))
        pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

describe('sandbox RDS API under concurrent calls', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let clients: RDSClient[] = [];
  let sourceChecksum: number | null;

  before(async function () {
    this.timeout(300_000);
    // As the CLI does: the SDK's notice that Node 20 support ends in 2027 is noise in test output.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    h = await startHarness({ hostBase: '127.0.34.120', transitionDelayMs: 200 });
    await createSmallLabStack(h);
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: SOURCE }));
    sourceChecksum = await checksum({ host: DBClusters![0]!.Endpoint! });
    assert.notEqual(sourceChecksum, null);
    // Several independent clients (own connection pools), as several runs or terminals would be.
    clients = Array.from(
      { length: 4 },
      () =>
        new RDSClient({
          endpoint: h.server.url,
          region: 'us-east-1',
          credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
          maxAttempts: 1,
        }),
    );
  });

  after(async () => {
    for (const client of clients) client.destroy();
    await h?.close();
  });

  /**
   * Polls DescribeDBClusters from every client until `done`, checking each answer; `expect` also learns whether
   * the request was sent after `since()` became true. Returns how many answers came.
   */
  async function pollClusters(
    done: () => boolean,
    since: () => boolean,
    expect: (clusters: DBCluster[], sentSince: boolean) => void,
  ): Promise<number> {
    const requestIds = new Set<string>();
    let answers = 0;
    await Promise.all(
      clients.map(async (client, index) => {
        // What this client saw last of each cluster: a status never goes back from available to creating.
        const last = new Map<string, string>();
        while (!done()) {
          const sentSince = since();
          const answer = await client.send(
            new DescribeDBClustersCommand(
              index % 2 === 1 ? { Filters: [{ Name: 'engine', Values: ['aurora-mysql'] }] } : {},
            ),
          );
          answers++;
          const requestId = answer.$metadata.requestId ?? '';
          assert.match(requestId, /^[0-9a-f-]{36}$/, 'every answer carries a request id');
          assert.ok(!requestIds.has(requestId), 'request ids are unique');
          requestIds.add(requestId);
          const clusters = answer.DBClusters ?? [];
          const ids = clusters.map((c) => c.DBClusterIdentifier ?? '');
          assert.deepEqual(ids, [...ids].sort(), 'clusters are listed in identifier order');
          assert.ok(ids.includes(SOURCE), 'the source is always listed');
          for (const cluster of clusters) {
            const id = cluster.DBClusterIdentifier!;
            assert.ok(CLUSTER_STATUSES.has(cluster.Status ?? ''), `${id}: ${cluster.Status}`);
            assert.ok(cluster.ClusterCreateTime instanceof Date);
            assert.match(cluster.Endpoint ?? '', /^127\.0\.34\.\d+$/);
            assert.ok(
              !(last.get(id) === 'available' && cluster.Status === 'creating'),
              `${id} went back from available to creating`,
            );
            last.set(id, cluster.Status!);
          }
          expect(clusters, sentSince);
          await sleep(40);
        }
      }),
    );
    return answers;
  }

  it('creates three clones at once while four clients poll DescribeDBClusters', async () => {
    let created = false;
    const restores = (async () => {
      const answers = await Promise.all(CLONES.map((id, i) => restore(clients[i % clients.length]!, id)));
      created = true;
      return answers;
    })();
    let allAvailable = false;
    const polls = pollClusters(
      () => allAvailable,
      () => created,
      (clusters, sentSince) => {
        const clones = clusters.filter((c) => CLONES.includes(c.DBClusterIdentifier!));
        // Once a create call has answered, every later describe lists the clone.
        if (sentSince) assert.equal(clones.length, CLONES.length, 'every clone is listed after its restore');
        for (const clone of clones) {
          // A clone only lists statuses of a restore, and is in the source's clone group.
          assert.ok(
            ['creating', 'available'].includes(clone.Status!),
            `${clone.DBClusterIdentifier}: ${clone.Status}`,
          );
          assert.ok(clone.CloneGroupId, 'a clone is in a clone group');
        }
        allAvailable =
          sentSince && clones.length === CLONES.length && clones.every((c) => c.Status === 'available');
      },
    );
    const answers = await restores;
    assert.deepEqual(
      answers.map((a) => a.DBCluster?.DBClusterIdentifier),
      CLONES,
    );
    assert.ok(answers.every((a) => a.DBCluster?.Status === 'creating'));
    const endpoints = answers.map((a) => a.DBCluster?.Endpoint);
    assert.equal(
      new Set(endpoints).size,
      CLONES.length,
      `each clone has its own endpoint: ${endpoints.join(', ')}`,
    );
    const groups = new Set(answers.map((a) => a.DBCluster?.CloneGroupId));
    assert.equal(groups.size, 1, 'clones made at once all join one clone group');
    const pollCount = await polls;
    assert.ok(pollCount >= 8, `the clients polled while the clones were made (${pollCount} answers)`);
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: SOURCE }));
    assert.equal(DBClusters?.[0]?.CloneGroupId, [...groups][0], 'the source is in the same clone group');
  });

  it('adds an instance to each clone at once, and each clone serves the source data', async () => {
    const answers = await Promise.all(
      CLONES.map((id, i) =>
        clients[i % clients.length]!.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: `${id}-instance`,
            DBClusterIdentifier: id,
            DBInstanceClass: 'db.r5.large',
            Engine: 'aurora-mysql',
          }),
        ),
      ),
    );
    assert.ok(answers.every((a) => a.DBInstance?.DBInstanceStatus === 'creating'));
    await eventually(async () => {
      const views = await Promise.all(
        clients.map((client) => client.send(new DescribeDBInstancesCommand({}))),
      );
      for (const view of views) {
        for (const instance of view.DBInstances ?? []) {
          assert.ok(INSTANCE_STATUSES.has(instance.DBInstanceStatus ?? ''), instance.DBInstanceStatus);
        }
      }
      const mine = (views[0]!.DBInstances ?? []).filter((i) => CLONES.includes(i.DBClusterIdentifier!));
      return mine.length === CLONES.length && mine.every((i) => i.DBInstanceStatus === 'available');
    }, 60_000);
    const checksums = await Promise.all(
      CLONES.map(async (id) => {
        const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
        assert.equal(DBClusters?.[0]?.DBClusterMembers?.[0]?.DBInstanceIdentifier, `${id}-instance`);
        return checksum({ host: DBClusters![0]!.Endpoint! });
      }),
    );
    assert.deepEqual(
      checksums,
      CLONES.map(() => sourceChecksum),
    );
  });

  it('backtracks one clone while another is deleted and a third is read', async () => {
    const [rewound, doomed, bystander] = CLONES as [string, string, string];
    const endpoint = async (id: string) =>
      (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }))).DBClusters![0]!;
    const target = await endpoint(rewound);
    const host = target.Endpoint!;
    // Backtrack has 1-second resolution: mark a second at or after the earliest backtrack time, then drop.
    await eventually(
      async () => (await serverSecond({ host })).getTime() >= target.EarliestBacktrackTime!.getTime(),
    );
    const beforeDrop = await serverSecond({ host });
    await eventually(async () => (await serverSecond({ host })).getTime() > beforeDrop.getTime());
    await withConnection({ host }, (conn) => conn.query('DROP TABLE sbtest1'));
    assert.equal(await tableExists({ host }), false);
    await sleep(1100);

    const bystanderHost = (await endpoint(bystander)).Endpoint!;
    let busy = true;
    const reads = (async () => {
      let n = 0;
      while (busy) {
        assert.equal(await checksum({ host: bystanderHost }), sourceChecksum, 'the third clone is untouched');
        n++;
        await sleep(50);
      }
      return n;
    })();
    const [backtrack, deletion] = await Promise.all([
      clients[0]!.send(
        new BacktrackDBClusterCommand({ DBClusterIdentifier: rewound, BacktrackTo: beforeDrop }),
      ),
      (async () => {
        const instance = await clients[1]!.send(
          new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${doomed}-instance` }),
        );
        const cluster = await clients[2]!.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: doomed, SkipFinalSnapshot: true }),
        );
        return { instance, cluster };
      })(),
    ]);
    assert.equal(backtrack.Status, 'PENDING');
    assert.equal(deletion.instance.DBInstance?.DBInstanceStatus, 'deleting');
    assert.equal(deletion.cluster.DBCluster?.Status, 'deleting');

    await eventually(async () => (await endpoint(rewound)).Status === 'available', 60_000);
    await eventually(async () => {
      try {
        await clients[3]!.send(new DescribeDBClustersCommand({ DBClusterIdentifier: doomed }));
        return false;
      } catch (error) {
        assert.equal((error as Error).name, DBClusterNotFoundFault.name);
        return true;
      }
    }, 60_000);
    busy = false;
    assert.ok((await reads) > 0);

    const { DBClusterBacktracks } = await h.rds.send(
      new DescribeDBClusterBacktracksCommand({ DBClusterIdentifier: rewound }),
    );
    assert.equal(DBClusterBacktracks?.length, 1);
    assert.equal(DBClusterBacktracks?.[0]?.Status, 'COMPLETED');
    assert.equal(await checksum({ host }), sourceChecksum, 'the backtrack brought sbtest1 back');
    assert.equal(await checksum({ host: bystanderHost }), sourceChecksum);
    await assert.rejects(
      h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${doomed}-instance` })),
      (error: Error) => error.name === DBInstanceNotFoundFault.name,
    );
    assert.deepEqual(serversOf(h.home, doomed), [], 'the deleted clone has no server left');
  });

  it('of two restores (and a create) of one identifier at once, exactly one wins; likewise for instances', async () => {
    const { won, lost } = await race([
      restore(clients[0]!, RACE),
      restore(clients[1]!, RACE),
      clients[2]!.send(
        new CreateDBClusterCommand({
          DBClusterIdentifier: RACE,
          Engine: 'aurora-mysql',
          MasterUsername: 'masteruser',
          MasterUserPassword: 'Password1',
        }),
      ),
    ]);
    assert.equal(won.length, 1, `one call wins; the others failed with ${lost.join(', ')}`);
    assert.deepEqual(lost, [DBClusterAlreadyExistsFault.name, DBClusterAlreadyExistsFault.name]);
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({}));
    assert.equal(
      DBClusters?.filter((c) => c.DBClusterIdentifier === RACE).length,
      1,
      'one cluster of that id',
    );
    await eventually(async () => {
      const answer = await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: RACE }));
      return answer.DBClusters?.[0]?.Status === 'available';
    }, 60_000);

    // A second instance (a reader) asked for twice at once on one clone.
    const readers = await race(
      [0, 1].map((i) =>
        clients[i]!.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: READER,
            DBClusterIdentifier: CLONES[0],
            DBInstanceClass: 'db.r5.large',
            Engine: 'aurora-mysql',
          }),
        ),
      ),
    );
    assert.equal(readers.won.length, 1);
    assert.deepEqual(readers.lost, [DBInstanceAlreadyExistsFault.name]);
    await eventually(async () => {
      const answer = await h.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: READER }));
      return answer.DBInstances?.[0]?.DBInstanceStatus === 'available';
    }, 60_000);
    const { DBClusters: [clone] = [] } = await h.rds.send(
      new DescribeDBClustersCommand({ DBClusterIdentifier: CLONES[0] }),
    );
    assert.deepEqual(
      clone?.DBClusterMembers?.map((m) => [m.DBInstanceIdentifier, m.IsClusterWriter]),
      [
        [`${CLONES[0]}-instance`, true],
        [READER, false],
      ],
      'the first instance stays the writer',
    );
  });

  it('of two deletes of one cluster at once, one deletes and the other is told it is already being deleted', async () => {
    const { won, lost } = await race(
      [0, 1].map((i) =>
        clients[i]!.send(new DeleteDBClusterCommand({ DBClusterIdentifier: RACE, SkipFinalSnapshot: true })),
      ),
    );
    assert.equal(won.length, 1);
    assert.equal(won[0]?.DBCluster?.Status, 'deleting');
    // As RDS answers a DeleteDBCluster of a cluster in `deleting`; the state changes before the call returns.
    assert.deepEqual(lost, [InvalidDBClusterStateFault.name]);

    // The same for an instance: the second DeleteDBInstance is refused with InvalidDBInstanceState.
    const bystander = CLONES[2]!;
    const instances = await race(
      [0, 1].map((i) =>
        clients[i]!.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${bystander}-instance` })),
      ),
    );
    assert.equal(instances.won.length, 1);
    assert.equal(instances.won[0]?.DBInstance?.DBInstanceStatus, 'deleting');
    assert.deepEqual(instances.lost, [InvalidDBInstanceStateFault.name]);
  });

  it('leaves nothing behind once every clone is deleted', async () => {
    const left = [CLONES[0]!, CLONES[2]!];
    await clients[3]!.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: READER }));
    await Promise.all(
      left.map(async (id, i) => {
        await clients[i]!.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: `${id}-instance` })).catch(
          (error: Error) => {
            // The third clone's instance is already being deleted, or gone (previous test).
            assert.ok(
              [InvalidDBInstanceStateFault.name, DBInstanceNotFoundFault.name].includes(error.name),
              error.name,
            );
          },
        );
        await clients[i]!.send(
          new DeleteDBClusterCommand({ DBClusterIdentifier: id, SkipFinalSnapshot: true }),
        );
      }),
    );
    await h.control.whenIdle();
    const { DBClusters } = await h.rds.send(new DescribeDBClustersCommand({}));
    assert.deepEqual(
      DBClusters?.map((c) => c.DBClusterIdentifier),
      [SOURCE],
    );
    const { DBInstances } = await h.rds.send(new DescribeDBInstancesCommand({}));
    assert.deepEqual(
      DBInstances?.map((i) => i.DBClusterIdentifier),
      [SOURCE],
    );
    assert.deepEqual(readdirSync(join(h.home, 'clusters')), [SOURCE], 'only the source has data on disk');
    for (const id of [...CLONES, RACE]) assert.deepEqual(serversOf(h.home, id), [], `no server of ${id}`);
    // What is on disk agrees with what the API answers once the last save has landed.
    await eventually(() => {
      const saved = JSON.parse(readFileSync(join(h.home, REGISTRY_FILE), 'utf8')) as {
        clusters: Array<{ id: string }>;
        instances: Array<{ clusterId: string }>;
        backtracks: Array<{ clusterId: string }>;
      };
      return (
        saved.clusters.map((c) => c.id).join() === SOURCE &&
        saved.instances.every((i) => i.clusterId === SOURCE) &&
        saved.backtracks.every((b) => b.clusterId === SOURCE)
      );
    });
    assert.equal(
      await checksum({
        host: (await h.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: SOURCE })))
          .DBClusters![0]!.Endpoint!,
      }),
      sourceChecksum,
      'the source was never written to',
    );
  });
});
