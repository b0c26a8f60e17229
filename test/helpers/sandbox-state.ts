/**
 * What a sandbox holds, asked through its RDS API with the real SDK: after any lab test, only the source
 * cluster (and its instance) may be left; anything else is a resource a run leaked.
 */
import assert from 'node:assert/strict';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { findSandbox } from '../../src/sandbox/index.js';
import { DEFAULT_LAB_STACK } from '../../src/sandbox/control/lab-stack.js';

export interface SandboxContents {
  clusters: Array<{ id: string; status: string }>;
  instances: Array<{ id: string; status: string; cluster?: string }>;
}

/** Clusters and instances of the running sandbox in `home`. */
export async function sandboxContents(home: string): Promise<SandboxContents> {
  // As the CLI does: the SDK's notice that Node 20 support ends in 2027 is noise in test output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const connection = await findSandbox({ home });
  if (!connection) throw new Error(`no sandbox is running in ${home}`);
  const client = new RDSClient({
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
  });
  try {
    const clusters = await client.send(new DescribeDBClustersCommand({}));
    const instances = await client.send(new DescribeDBInstancesCommand({}));
    return {
      clusters: (clusters.DBClusters ?? []).map((c) => ({
        id: c.DBClusterIdentifier ?? '',
        status: c.Status ?? '',
      })),
      instances: (instances.DBInstances ?? []).map((i) => ({
        id: i.DBInstanceIdentifier ?? '',
        status: i.DBInstanceStatus ?? '',
        ...(i.DBClusterIdentifier ? { cluster: i.DBClusterIdentifier } : {}),
      })),
    };
  } finally {
    client.destroy();
  }
}

/**
 * Asserts that the sandbox in `home` holds only the lab's source cluster and its instance. A cluster still
 * being deleted is waited for (up to `timeoutMs`): cleanup may have asked for it a moment ago.
 */
export async function assertOnlySourceCluster(home: string, timeoutMs = 30_000): Promise<void> {
  const source = DEFAULT_LAB_STACK.clusterId;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const contents = await sandboxContents(home);
    const extraClusters = contents.clusters.filter((c) => c.id !== source);
    const extraInstances = contents.instances.filter((i) => i.cluster !== source);
    const settling = [...extraClusters, ...extraInstances].every((r) => r.status === 'deleting');
    if ((extraClusters.length === 0 && extraInstances.length === 0) || !settling || Date.now() > deadline) {
      assert.deepEqual(
        { clusters: extraClusters, instances: extraInstances },
        { clusters: [], instances: [] },
        'the sandbox holds only the source cluster and its instance after the run',
      );
      assert.ok(
        contents.clusters.some((c) => c.id === source),
        'the source cluster is still there',
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
