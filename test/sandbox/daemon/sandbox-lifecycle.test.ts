/**
 * The sandbox entry points end to end: `sandboxUp` starts the real daemon detached (real mariadbd, real
 * sysbench), `sandboxStatus`/`findSandbox` see it, a second `up` is fast, `sandboxDown` leaves no mariadbd of
 * the home behind (checked in /proc), and the next `up` reuses the data.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateDBInstanceCommand,
  DescribeDBClustersCommand,
  RDSClient,
  RestoreDBClusterToPointInTimeCommand,
} from '@aws-sdk/client-rds';
import {
  findSandbox,
  sandboxDown,
  sandboxEnvLines,
  sandboxHome,
  sandboxStatus,
  sandboxUp,
  SandboxError,
  type SandboxConnection,
} from '../../../src/sandbox/index.js';
import { isProcessAlive } from '../../../src/sandbox/control/daemon-files.js';
import { claimSandboxHome } from '../../../src/sandbox/control/sandbox-home.js';
import { checksum, withConnection } from '../api/sql.js';

const run = promisify(execFile);
const HOST_BASE = '127.0.30.100';
const CLONE_ID = 'lifecycle-clone';

/** The cluster identifiers a registry.json lists. */
function clusterIds(registryText: string): string[] {
  return (JSON.parse(registryText) as { clusters: Array<{ id: string }> }).clusters.map((c) => c.id).sort();
}

/** A copy-on-write clone of the source through the sandbox's RDS API, waited for until available. */
async function makeClone(conn: SandboxConnection, id: string): Promise<{ host: string }> {
  const rds = new RDSClient({
    endpoint: conn.endpoint,
    region: conn.region,
    credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
  });
  try {
    await rds.send(
      new RestoreDBClusterToPointInTimeCommand({
        SourceDBClusterIdentifier: 'auroralab-mysql-cluster',
        DBClusterIdentifier: id,
        RestoreType: 'copy-on-write',
        UseLatestRestorableTime: true,
      }),
    );
    for (let i = 0; i < 600; i++) {
      const { DBClusters } = await rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: id }));
      const cluster = DBClusters?.[0];
      if (cluster?.Status === 'available') return { host: cluster.Endpoint ?? '' };
      assert.equal(cluster?.Status, 'creating', `clone ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`clone ${id} was not available after 120 s`);
  } finally {
    rds.destroy();
  }
}

/** Pids of live mariadbd processes whose command line points into `home`. */
async function serversOf(home: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (path.basename(args[0] ?? '') === 'mariadbd' && args.some((arg) => arg.includes(home + '/')))
      pids.push(Number(entry));
  }
  return pids;
}

/** A process that exited but was not reaped (a zombie, when the reaper is not waiting) counts as gone. */
function alive(pid: number): boolean {
  return isProcessAlive(pid);
}

async function daemonPid(home: string): Promise<number> {
  return (JSON.parse(await readFile(path.join(home, 'daemon.json'), 'utf8')) as { pid: number }).pid;
}

describe('sandbox entry points with the real daemon', function () {
  this.timeout(300_000);
  let home: string;
  let conn: SandboxConnection;
  let firstChecksum: number | null;
  let firstUpMs: number;

  before(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'labrun-sandbox-'));
  });

  after(async () => {
    if (home) {
      await sandboxDown({ home, purge: true });
      assert.deepEqual(await serversOf(home), [], 'no mariadbd of the test home may survive');
      // An empty home (no test brought it up) is nothing for --purge to delete.
      await rm(home, { recursive: true, force: true });
    }
  });

  it('resolves its home from the option, then $LABRUN_SANDBOX_HOME, then ~/.labrun/sandbox', () => {
    const saved = process.env.LABRUN_SANDBOX_HOME;
    try {
      process.env.LABRUN_SANDBOX_HOME = '/srv/sandbox-from-env';
      assert.equal(sandboxHome({ home: 'relative/home' }), path.resolve('relative/home'));
      assert.equal(sandboxHome(), '/srv/sandbox-from-env');
      delete process.env.LABRUN_SANDBOX_HOME;
      assert.match(sandboxHome(), /\/\.labrun\/sandbox$/);
      // Empty is not the current directory: path.resolve('') would be.
      process.env.LABRUN_SANDBOX_HOME = '';
      assert.throws(() => sandboxHome(), /LABRUN_SANDBOX_HOME is set but empty/);
      assert.throws(
        () => sandboxHome({ home: ' ' }),
        (error: SandboxError) => error.refused,
      );
    } finally {
      if (saved === undefined) delete process.env.LABRUN_SANDBOX_HOME;
      else process.env.LABRUN_SANDBOX_HOME = saved;
    }
  });

  it('brings the sandbox up: stack built, sbtest1 loaded by sysbench, progress relayed', async () => {
    const progress: string[] = [];
    const started = Date.now();
    conn = await sandboxUp({
      home,
      port: 0,
      tableSize: 2000,
      hostBase: HOST_BASE,
      onProgress: (line) => progress.push(line),
    });
    firstUpMs = Date.now() - started;
    assert.match(conn.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(conn.region, 'us-west-2');
    assert.equal(conn.stackName, 'auroralab');
    assert.equal(conn.dbUser, 'masteruser');
    assert.equal(conn.dbPassword, 'Password1');
    assert.ok(
      progress.some((line) => /Creating the source cluster auroralab-mysql-cluster/.test(line)),
      progress.join('\n'),
    );
    assert.ok(
      progress.some((line) => /^sysbench: .*sbtest1/.test(line)),
      progress.join('\n'),
    );
    assert.ok(
      progress.some((line) => /Sandbox ready/.test(line)),
      progress.join('\n'),
    );

    const cfn = new CloudFormationClient({
      endpoint: conn.endpoint,
      region: conn.region,
      credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
    });
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: conn.stackName }));
    cfn.destroy();
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    assert.equal(outputs.clusterName, 'auroralab-mysql-cluster');
    assert.equal(outputs.clusterEndpoint, HOST_BASE);

    const rows = await withConnection(
      { host: HOST_BASE, user: conn.dbUser, password: conn.dbPassword },
      async (c) => {
        const [result] = await c.query('SELECT COUNT(*) AS n FROM sbtest1');
        return Number((result as Array<{ n: number }>)[0]?.n);
      },
    );
    assert.equal(rows, 2000);
    firstChecksum = await checksum({ host: HOST_BASE });
    assert.notEqual(firstChecksum, null);
  });

  it('reports the running sandbox in sandboxStatus and findSandbox', async () => {
    const status = await sandboxStatus({ home });
    assert.equal(status.running, true);
    assert.equal(status.endpoint, conn.endpoint);
    assert.equal(status.home, home);
    assert.equal(status.clusters.length, 1);
    const source = status.clusters[0]!;
    assert.equal(source.id, 'auroralab-mysql-cluster');
    assert.equal(source.status, 'available');
    assert.equal(source.endpoint, HOST_BASE);
    assert.deepEqual(source.instances, [{ id: 'auroralab-mysql-node-01', status: 'available' }]);
    assert.ok(source.dataBytes > 1_000_000, `dataBytes ${source.dataBytes}`);
    assert.deepEqual(await findSandbox({ home }), conn);
    assert.equal(status.strict, false, 'lenient unless asked');
    assert.equal(conn.strict, false);
  });

  it('is idempotent: a second sandboxUp returns the running sandbox at once', async () => {
    const pid = await daemonPid(home);
    const started = Date.now();
    const again = await sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE });
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.deepEqual(again, conn);
    assert.equal(await daemonPid(home), pid);
  });

  it('refuses an up that asks for strict mode while the sandbox runs lenient, and leaves it running', async () => {
    const pid = await daemonPid(home);
    await assert.rejects(
      sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE, strict: true }),
      (error: SandboxError) =>
        /already running in lenient mode, and strict mode was asked for/.test(error.message) &&
        /labrun sandbox down/.test(error.message),
    );
    const saved = process.env.LABRUN_SANDBOX_STRICT;
    try {
      process.env.LABRUN_SANDBOX_STRICT = '1';
      await assert.rejects(
        sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE }),
        /already running in lenient mode/,
      );
      process.env.LABRUN_SANDBOX_STRICT = 'yes';
      await assert.rejects(
        sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE }),
        /LABRUN_SANDBOX_STRICT must be 1 or 0, not "yes"/,
      );
      process.env.LABRUN_SANDBOX_STRICT = '0';
      assert.deepEqual(await sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE }), conn);
    } finally {
      if (saved === undefined) delete process.env.LABRUN_SANDBOX_STRICT;
      else process.env.LABRUN_SANDBOX_STRICT = saved;
    }
    assert.equal(await daemonPid(home), pid, 'the running daemon is left as it is');
  });

  it('gives shell lines that point the aws CLI at the sandbox', async () => {
    const lines = sandboxEnvLines(conn);
    const names = lines.map((line) => /^export ([A-Z_]+)=/.exec(line)?.[1]);
    assert.deepEqual(names, [
      'AWS_ENDPOINT_URL',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'LABRUN_STACK',
      'DBUSER',
      'DBPASS',
    ]);
    const script = `${lines.join('\n')}\naws cloudformation describe-stacks --stack-name "$LABRUN_STACK" --query 'Stacks[0].Outputs[?OutputKey==\`clusterEndpoint\`].OutputValue' --output text`;
    const { stdout } = await run('bash', ['-c', script], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    assert.equal(stdout.trim(), HOST_BASE);

    // DBPASS is read from the sandbox's 0600 password file when the lines are evaluated; no line holds it.
    assert.ok(!lines.join('\n').includes(conn.dbPassword), 'the password is in no line');
    assert.equal(conn.dbPasswordFile, path.join(home, 'db-password'));
    const echoed = await run('bash', ['-c', `${lines.join('\n')}\nprintf %s "$DBPASS"`]);
    assert.equal(echoed.stdout, 'Password1');
    // Any file path is quoted safely, and the file's contents are taken literally.
    const dir = await mkdtemp(path.join(tmpdir(), `it's $HOME "quoted" `));
    try {
      const file = path.join(dir, 'db-password');
      await writeFile(file, `it's $HOME "quoted"`);
      const tricky = sandboxEnvLines({ ...conn, dbPasswordFile: file });
      const read = await run('bash', ['-c', `${tricky.join('\n')}\nprintf %s "$DBPASS"`]);
      assert.equal(read.stdout, `it's $HOME "quoted"`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes the sandbox down, leaving no mariadbd of its home', async () => {
    const pid = await daemonPid(home);
    assert.ok((await serversOf(home)).length > 0, 'the source cluster runs while the sandbox is up');
    const { wasRunning } = await sandboxDown({ home });
    assert.equal(wasRunning, true);
    assert.equal(alive(pid), false);
    assert.deepEqual(await serversOf(home), []);
    assert.equal(await findSandbox({ home }), undefined);
    const status = await sandboxStatus({ home });
    assert.equal(status.running, false);
    assert.equal(status.clusters[0]?.id, 'auroralab-mysql-cluster');
    assert.ok((status.clusters[0]?.dataBytes ?? 0) > 1_000_000, 'the data stays on disk');
    assert.deepEqual(await sandboxDown({ home }), { wasRunning: false, deleted: false });
  });

  it('comes up again on the same data, without rebuilding the stack', async () => {
    const progress: string[] = [];
    const started = Date.now();
    // In strict mode this time: the daemon takes the mode at its start, and the Aurora MySQL 3 source suits it.
    conn = await sandboxUp({
      home,
      port: 0,
      tableSize: 2000,
      hostBase: HOST_BASE,
      strict: true,
      onProgress: (line) => progress.push(line),
    });
    const againMs = Date.now() - started;
    assert.ok(!progress.some((line) => /Creating the source cluster/.test(line)), progress.join('\n'));
    assert.ok(!progress.some((line) => line.startsWith('sysbench:')), 'no reload of sbtest1');
    // With 2,000 rows the first start is only seconds, so only a loose bound is meaningful here.
    assert.ok(againMs < Math.max(firstUpMs, 15_000), `second up ${againMs} ms, first ${firstUpMs} ms`);
    assert.equal(await checksum({ host: HOST_BASE }), firstChecksum);

    assert.equal(conn.strict, true);
    assert.equal((await sandboxStatus({ home })).strict, true);
    assert.ok(
      progress.some((line) => /Sandbox ready on .* \(strict mode\)/.test(line)),
      progress.join('\n'),
    );
    const rds = new RDSClient({
      endpoint: conn.endpoint,
      region: conn.region,
      credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
      maxAttempts: 1,
    });
    try {
      await assert.rejects(
        rds.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: 'guide-literal-instance',
            DBInstanceClass: 'db.r4.large',
            Engine: 'aurora',
            DBClusterIdentifier: 'auroralab-mysql-cluster',
          }),
        ),
        (error: Error) =>
          error.name === 'InvalidParameterValue' && /Invalid DB engine: aurora/.test(error.message),
      );
    } finally {
      rds.destroy();
    }
  });

  it('comes up at once after its daemon was killed outright: no stale lock, its servers adopted', async () => {
    const pid = await daemonPid(home);
    const servers = await serversOf(home);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await serversOf(home), servers, 'mariadbd outlives a daemon killed with SIGKILL');
    const started = Date.now();
    conn = await sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE });
    assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
    assert.notEqual(await daemonPid(home), pid);
    assert.deepEqual(await serversOf(home), servers, 'the running server is adopted, not restarted');
    assert.match(await readFile(path.join(home, 'daemon.log'), 'utf8'), /adopted running mariadbd/);
    assert.equal(await checksum({ host: HOST_BASE }), firstChecksum);
  });

  it('cleans up the servers of a daemon that was killed outright', async () => {
    const pid = await daemonPid(home);
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const orphans = await serversOf(home);
    assert.ok(orphans.length > 0, 'mariadbd outlives a daemon killed with SIGKILL');
    assert.equal(await findSandbox({ home }), undefined);
    const { wasRunning } = await sandboxDown({ home });
    assert.equal(wasRunning, false);
    assert.deepEqual(await serversOf(home), []);
    for (const orphan of orphans) assert.equal(alive(orphan), false);
  });

  it('fails `up` while the API port is taken without touching the saved state; the next up finds it all', async () => {
    conn = await sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE });
    const clone = await makeClone(conn, CLONE_ID);
    // A write after the first load: an `up` that rebuilt the source would lose it.
    await withConnection({ host: HOST_BASE }, (c) =>
      c.query("UPDATE sbtest1 SET c = 'written-before-down' WHERE id = 7"),
    );
    const sourceChecksum = await checksum({ host: HOST_BASE });
    assert.notEqual(sourceChecksum, firstChecksum);
    await sandboxDown({ home });
    const saved = await readFile(path.join(home, 'registry.json'), 'utf8');
    assert.deepEqual(clusterIds(saved), ['auroralab-mysql-cluster', CLONE_ID]);

    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await assert.rejects(
          sandboxUp({ home, port, tableSize: 2000, hostBase: HOST_BASE }),
          /port is already in use/,
        );
        assert.equal(await readFile(path.join(home, 'registry.json'), 'utf8'), saved, 'registry untouched');
        assert.deepEqual(await serversOf(home), []);
      }
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const stopped = await sandboxStatus({ home });
    assert.deepEqual(
      stopped.clusters.map((cluster) => cluster.id),
      ['auroralab-mysql-cluster', CLONE_ID],
    );

    const progress: string[] = [];
    conn = await sandboxUp({
      home,
      port: 0,
      tableSize: 2000,
      hostBase: HOST_BASE,
      onProgress: (line) => progress.push(line),
    });
    assert.ok(!progress.some((line) => /Creating|Removing|sysbench:/.test(line)), progress.join('\n'));
    assert.equal(await checksum({ host: HOST_BASE }), sourceChecksum, 'the write before down is still there');
    const status = await sandboxStatus({ home });
    assert.deepEqual(
      status.clusters.map((cluster) => [cluster.id, cluster.status]),
      [
        ['auroralab-mysql-cluster', 'available'],
        [CLONE_ID, 'available'],
      ],
    );
    assert.deepEqual(status.unregistered, []);
    assert.ok((status.clusters[1]?.dataBytes ?? 0) > 1_000_000, 'the clone keeps its data');
    assert.equal(clone.host, status.clusters[1]?.endpoint);
  });

  it('reports clusters on disk that the registry does not list, and never builds over them', async () => {
    await sandboxDown({ home });
    const registryFile = path.join(home, 'registry.json');
    const saved = await readFile(registryFile, 'utf8');
    // As an older labrun left it after a failed `up`: the clone's data on disk, the registry without it.
    const state = JSON.parse(saved) as { clusters: Array<{ id: string }> };
    state.clusters = state.clusters.filter((cluster) => cluster.id !== CLONE_ID);
    await writeFile(registryFile, JSON.stringify(state));
    const cloneDir = path.join(home, 'clusters', CLONE_ID);
    const cloneBytes = (await sandboxStatus({ home })).unregistered.find((c) => c.id === CLONE_ID)?.dataBytes;
    assert.ok((cloneBytes ?? 0) > 1_000_000, `unregistered clone reported with ${cloneBytes} bytes`);

    const progress: string[] = [];
    conn = await sandboxUp({
      home,
      port: 0,
      tableSize: 2000,
      hostBase: HOST_BASE,
      onProgress: (line) => progress.push(line),
    });
    assert.ok(
      progress.some((line) => line.includes(CLONE_ID) && /not in the registry/.test(line)),
      progress.join('\n'),
    );
    const running = await sandboxStatus({ home });
    assert.deepEqual(
      running.unregistered.map((cluster) => [cluster.id, cluster.dir]),
      [[CLONE_ID, cloneDir]],
    );
    await sandboxDown({ home });
    assert.ok(existsSync(path.join(cloneDir, 'cluster.json')), 'the unregistered clone is left on disk');

    // A registry that lost the source too: `up` refuses to build a new source over its data.
    await writeFile(registryFile, JSON.stringify({ ...state, clusters: [], instances: [], stacks: [] }));
    const sourceRecord = await readFile(
      path.join(home, 'clusters', 'auroralab-mysql-cluster', 'cluster.json'),
    );
    await assert.rejects(
      sandboxUp({ home, port: 0, tableSize: 2000, hostBase: HOST_BASE }),
      (error: Error) => {
        assert.ok(error instanceof SandboxError, String(error));
        assert.match(error.message, /auroralab-mysql-cluster .*not in the registry/);
        return true;
      },
    );
    assert.deepEqual(
      await readFile(path.join(home, 'clusters', 'auroralab-mysql-cluster', 'cluster.json')),
      sourceRecord,
    );
    assert.deepEqual(await serversOf(home), []);
    await writeFile(registryFile, saved);
  });

  it('marks a home made before the marker file on the next up, and refuses to delete it before', async () => {
    const marker = path.join(home, 'labrun-sandbox.json');
    assert.ok(existsSync(marker), 'up marks the home');
    await rm(marker);
    await assert.rejects(sandboxDown({ home, purge: true }), (error: Error) => {
      assert.ok(error instanceof SandboxError, String(error));
      assert.ok(error.message.includes(home), error.message);
      assert.match(error.message, /not a labrun sandbox home/);
      return true;
    });
    assert.ok(existsSync(path.join(home, 'registry.json')), 'nothing deleted');
    const progress: string[] = [];
    conn = await sandboxUp({
      home,
      port: 0,
      tableSize: 2000,
      hostBase: HOST_BASE,
      onProgress: (line) => progress.push(line),
    });
    assert.ok(existsSync(marker), 'the marker is written again');
    assert.ok(
      progress.some((line) => /made before marker files/.test(line)),
      progress.join('\n'),
    );
    assert.ok(!progress.some((line) => /Creating|sysbench:/.test(line)), progress.join('\n'));
    await sandboxDown({ home });
  });

  it('reports why the daemon could not start (API port taken) and leaves nothing running', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const otherHome = await mkdtemp(path.join(tmpdir(), 'labrun-sandbox-busy-'));
    try {
      await assert.rejects(
        sandboxUp({ home: otherHome, port, tableSize: 10, hostBase: '127.0.30.120' }),
        (error: Error) => {
          assert.ok(error instanceof SandboxError, String(error));
          assert.match(error.message, /port is already in use/);
          return true;
        },
      );
      assert.deepEqual(await serversOf(otherHome), []);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      await sandboxDown({ home: otherHome, purge: true });
      await rm(otherHome, { recursive: true, force: true });
    }
  });

  it('purges a home reached through a symbolic link (the directory and the link), refuses a link elsewhere', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'labrun-sandbox-link-'));
    try {
      const real = path.join(base, 'real');
      await claimSandboxHome(real, () => undefined);
      await writeFile(path.join(real, 'registry.json'), '{"version":1}');
      const link = path.join(base, 'link');
      await symlink(real, link);
      const foreign = path.join(base, 'foreign');
      await mkdir(foreign);
      await writeFile(path.join(foreign, 'notes.txt'), 'keep me');
      const toForeign = path.join(base, 'to-foreign');
      await symlink(foreign, toForeign);
      await assert.rejects(sandboxDown({ home: toForeign, purge: true }), /not a labrun sandbox home/);
      assert.equal(await readFile(path.join(foreign, 'notes.txt'), 'utf8'), 'keep me');

      assert.deepEqual(await sandboxDown({ home: link, purge: true }), { wasRunning: false, deleted: true });
      assert.equal(existsSync(real), false);
      assert.equal(await lstat(link).catch(() => undefined), undefined, 'the link is gone too');
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
