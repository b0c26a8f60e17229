/**
 * Fault injection in the sandbox API and the aws step's retry policy, with the real AWS SDK: idempotent calls
 * ride out throttling, 5xx answers and dropped connections; a non-idempotent call is never sent twice after a
 * failure that may have followed an effect. The API runs over an empty control plane (no mariadbd needed).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BacktrackDBClusterCommand,
  CreateDBClusterCommand,
  DeleteDBClusterCommand,
  DescribeDBClustersCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { isThrottlingError } from '@smithy/core/retry';
import { FaultInjector, parseFaultSpec } from '../../../src/sandbox/api/fault-injection.js';
import { startApiServer, type ApiServer } from '../../../src/sandbox/api/server.js';
import { ControlPlane } from '../../../src/sandbox/control/control-plane.js';
import { sandboxUp } from '../../../src/sandbox/control/sandbox-lifecycle.js';
import { RegistryStore } from '../../../src/sandbox/control/registry-store.js';
import { createMariaDbDataPlane } from '../../../src/sandbox/mariadb/index.js';
import { callKind, retryStrategyFor } from '../../../src/steps/aws/execute.js';
import { workspace, type Workspace } from '../../helpers/runbook.js';

const CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };

describe('sandbox fault injection and AWS retries', function () {
  this.timeout(120_000);
  let home: string;
  let control: ControlPlane;
  let server: ApiServer | undefined;
  let ws: Workspace;
  const clients: RDSClient[] = [];

  before(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'labrun-faults-'));
    control = new ControlPlane({
      dataPlane: createMariaDbDataPlane({ home, log: () => undefined }),
      store: new RegistryStore(home),
      hostBase: '127.0.32.1',
      region: 'us-east-1',
      log: () => undefined,
    });
    await control.resume();
    ws = await workspace();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await server?.close();
    server = undefined;
  });
  after(async () => {
    await control?.shutdown();
    await ws?.remove();
    if (home) await rm(home, { recursive: true, force: true });
  });

  async function serve(faults: string): Promise<ApiServer> {
    server = await startApiServer({ control, port: 0, faults });
    return server;
  }
  async function client(kind: 'idempotent' | 'non-idempotent' | 'none'): Promise<RDSClient> {
    const c = new RDSClient({
      endpoint: server!.url,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      ...(kind === 'none' ? { maxAttempts: 1 } : { retryStrategy: await retryStrategyFor(kind) }),
    });
    clients.push(c);
    return c;
  }

  it('parses fault specs, rejects bad ones and decides deterministically from the seed', () => {
    assert.deepEqual(parseFaultSpec('throttle=0.2,error5xx=0.1,drop=0.05,seed=42'), {
      throttle: 0.2,
      error5xx: 0.1,
      drop: 0.05,
      seed: 42,
      restarts: [],
    });
    assert.throws(() => parseFaultSpec('throttle=2'), /throttle must be a rate from 0 to 1/);
    assert.throws(() => parseFaultSpec('jitter=0.1'), /unknown key "jitter"/);
    assert.throws(() => parseFaultSpec('throttle=0.6,drop=0.6'), /more than 1/);
    const spec = parseFaultSpec('throttle=0.3,error5xx=0.3,drop=0.3,seed=7');
    const sequence = (seed: number) => {
      const injector = new FaultInjector({ ...spec, seed });
      return Array.from({ length: 50 }, () => injector.next().kind);
    };
    assert.deepEqual(sequence(7), sequence(7));
    assert.notDeepEqual(sequence(7), sequence(8));
    assert.deepEqual(new Set(sequence(7)), new Set(['none', 'throttle', 'error5xx', 'drop']));
  });

  it('parses restart faults: one per cluster, delays in ms or s, every mistake named', () => {
    assert.deepEqual(
      parseFaultSpec('restart=auroralab-mysql-cluster-clone@3s,throttle=0.1,restart=Other-Cluster@1500'),
      {
        throttle: 0.1,
        error5xx: 0,
        drop: 0,
        seed: 1,
        restarts: [
          { clusterId: 'auroralab-mysql-cluster-clone', delayMs: 3000 },
          { clusterId: 'other-cluster', delayMs: 1500 },
        ],
      },
    );
    assert.deepEqual(parseFaultSpec('restart=a@250ms').restarts, [{ clusterId: 'a', delayMs: 250 }]);
    assert.deepEqual(parseFaultSpec('restart=a@1.5s').restarts, [{ clusterId: 'a', delayMs: 1500 }]);
    assert.throws(
      () => parseFaultSpec('restart=auroralab-mysql-cluster'),
      /invalid fault spec: restart must be <clusterId>@<delay> .* got "auroralab-mysql-cluster"/,
    );
    assert.throws(
      () => parseFaultSpec('restart=@3s'),
      /restart names "", which is not a DB cluster identifier/,
    );
    assert.throws(
      () => parseFaultSpec('restart=bad--id@3s'),
      /restart names "bad--id", which is not a DB cluster identifier/,
    );
    assert.throws(() => parseFaultSpec('restart=x@soon'), /restart delay must be a duration .* got "soon"/);
    assert.throws(() => parseFaultSpec('restart=x@-1s'), /restart delay must be a duration .* got "-1s"/);
    assert.throws(() => parseFaultSpec('restart=x@3m'), /got "3m"/);
    assert.throws(() => parseFaultSpec('restart=x@2d'), /got "2d"/);
    assert.throws(() => parseFaultSpec('restart=x@100000s'), /at most 24 h/);
    assert.throws(() => parseFaultSpec('restart=x@1s,restart=X@2s'), /restart is given twice for cluster x/);
    assert.throws(
      () => parseFaultSpec('reboot=x@1s'),
      /unknown key "reboot" \(use throttle, error5xx, drop, seed, restart\)/,
    );
  });

  it('refuses to start a sandbox with an invalid LABRUN_SANDBOX_FAULTS, before spawning the daemon', async () => {
    const upHome = await mkdtemp(path.join(tmpdir(), 'labrun-faults-up-'));
    const saved = process.env.LABRUN_SANDBOX_FAULTS;
    process.env.LABRUN_SANDBOX_FAULTS = 'throttle=0.1,error500=0.2';
    try {
      await assert.rejects(
        sandboxUp({ home: upHome, port: 0, hostBase: '127.0.32.200' }),
        /LABRUN_SANDBOX_FAULTS: invalid fault spec: unknown key "error500"/,
      );
    } finally {
      if (saved === undefined) delete process.env.LABRUN_SANDBOX_FAULTS;
      else process.env.LABRUN_SANDBOX_FAULTS = saved;
      await rm(upHome, { recursive: true, force: true });
    }
  });

  it('shows the injected errors to a client without retries, in the shapes the SDK classifies', async () => {
    await serve('throttle=0.3,error5xx=0.3,drop=0.3,seed=3');
    const rds = await client('none');
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      try {
        await rds.send(new DescribeDBClustersCommand({}));
        seen.add('ok');
      } catch (error) {
        const e = error as { name: string; code?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'Throttling') {
          assert.equal(e.$metadata?.httpStatusCode, 400);
          assert.ok(isThrottlingError(e as Parameters<typeof isThrottlingError>[0]));
          seen.add('Throttling');
        } else if (e.name === 'InternalFailure' || e.name === 'ServiceUnavailable') {
          assert.equal(e.$metadata?.httpStatusCode, e.name === 'InternalFailure' ? 500 : 503);
          seen.add('5xx');
        } else {
          assert.match(`${e.code} ${e.name}`, /ECONNRESET|socket hang up/i, `unexpected ${e.name}`);
          seen.add('drop');
        }
      }
    }
    assert.deepEqual(seen, new Set(['ok', 'Throttling', '5xx', 'drop']));
    assert.equal(server!.faultCounts.requests, 40);
  });

  it('lets Describe calls succeed through retries under throttling, 5xx answers and dropped connections', async () => {
    await serve('throttle=0.2,error5xx=0.1,drop=0.05,seed=42');
    const rds = await client('idempotent');
    for (let i = 0; i < 25; i++) {
      const out = await rds.send(new DescribeDBClustersCommand({}));
      assert.deepEqual(out.DBClusters ?? [], []);
    }
    const counts = server!.faultCounts;
    assert.ok(counts.throttle > 0 && counts.error5xx > 0 && counts.drop > 0, JSON.stringify(counts));
    assert.equal(counts.requests, 25 + counts.throttle + counts.error5xx + counts.drop);
  });

  it('retries a Describe call on 5xx answers until its attempts run out', async () => {
    await serve('error5xx=1');
    const rds = await client('idempotent');
    await assert.rejects(rds.send(new DescribeDBClustersCommand({})), /InternalFailure|ServiceUnavailable/);
    assert.equal(server!.faultCounts.requests, 6);
  });

  it('sends a non-idempotent call once under error5xx=1 and fails with a clear message', async () => {
    await serve('error5xx=1,seed=5');
    const { record } = await ws.run(
      `name: non-idempotent
steps:
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params: { DBClusterIdentifier: lab-clone, BacktrackTo: "2026-11-23T09:20:02Z" }
`,
      { aws: { endpoint: server!.url, region: 'us-east-1', credentials: CREDENTIALS } },
    );
    assert.equal(record.status, 'failed');
    const error = record.steps[0]!.error as { message: string; code: string };
    assert.match(error.message, /^rds BacktrackDBCluster failed: (InternalFailure|ServiceUnavailable): /);
    assert.equal(server!.faultCounts.requests, 1, 'no retry of a call that may have taken effect');
  });

  it('retries a non-idempotent call after a throttling answer, which proves it was not carried out', async () => {
    await serve('throttle=1');
    const rds = await client('non-idempotent');
    await assert.rejects(
      rds.send(new CreateDBClusterCommand({ DBClusterIdentifier: 'x', Engine: 'aurora-mysql' })),
      (error: Error) => error.name === 'Throttling',
    );
    assert.equal(server!.faultCounts.requests, 3);
    // A dropped connection may follow an effect: one request only.
    await server!.close();
    await serve('drop=1');
    const again = await client('non-idempotent');
    await assert.rejects(
      again.send(new BacktrackDBClusterCommand({ DBClusterIdentifier: 'x', BacktrackTo: new Date() })),
    );
    assert.equal(server!.faultCounts.requests, 1);
  });

  it('retries a Delete call on 5xx answers: a repeated delete cannot act twice', async () => {
    await serve('error5xx=1');
    const rds = await client('idempotent');
    await assert.rejects(
      rds.send(new DeleteDBClusterCommand({ DBClusterIdentifier: 'x', SkipFinalSnapshot: true })),
      /InternalFailure|ServiceUnavailable/,
    );
    assert.equal(server!.faultCounts.requests, 6);
  });

  it('classifies Describe, List, Get and Delete operations as idempotent and the rest not', () => {
    assert.equal(callKind('DescribeDBClusters'), 'idempotent');
    assert.equal(callKind('ListTagsForResource'), 'idempotent');
    assert.equal(callKind('GetTemplate'), 'idempotent');
    assert.equal(callKind('DeleteDBInstance'), 'idempotent');
    assert.equal(callKind('CreateDBInstance'), 'non-idempotent');
    assert.equal(callKind('BacktrackDBCluster'), 'non-idempotent');
    assert.equal(callKind('RestoreDBClusterToPointInTime'), 'non-idempotent');
  });
});
