/**
 * The seed guide ("PART 3. Cloning and backtracking databases") run with its literal commands: the real aws
 * CLI, the mysql client and sysbench against the sandbox, with a small sbtest1 (2,000 rows). Checks the
 * outcomes the guide documents: equal checksums on clone and source, a different one after the re-prepare,
 * sbtest1 missing after the first backtrack, back with its original checksum after the second.
 *
 * The shell gets exactly the environment `labrun sandbox env` prints (AWS_ENDPOINT_URL, the sandbox's region,
 * dummy credentials, DBUSER, and DBPASS read from the sandbox's password file), so the guide's command lines
 * run unchanged, as after `eval "$(labrun sandbox env)"`. What the commands print and the API's log are
 * audited for the password like every labrun output.
 */
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { createSmallLabStack, startHarness, type ApiHarness } from '../api/harness.js';
import { sleep } from '../api/sql.js';
import { sandboxEnvLines, type SandboxConnection } from '../../../src/sandbox/index.js';
import { SANDBOX_REGION } from '../../../src/sandbox/control/lab-stack.js';
import { writeSandboxPasswordFile } from '../../../src/sandbox/control/sandbox-env.js';
import { auditText } from '../../helpers/secret-audit.js';

interface Described {
  DBClusters?: Array<{ Status?: string }>;
  DBInstances?: Array<{ DBInstanceStatus?: string }>;
}

interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

describe('the seed guide with the real aws CLI, mysql client and sysbench', function () {
  this.timeout(300_000);
  let h: ApiHarness;
  let outputs: Record<string, string>;
  let passwordFile: string;

  before(async function () {
    this.timeout(300_000);
    h = await startHarness({ hostBase: '127.0.30.60', region: SANDBOX_REGION });
    await createSmallLabStack(h);
    // Where the daemon keeps it, written the way the daemon writes it.
    passwordFile = await writeSandboxPasswordFile(h.home, 'Password1');
  });

  after(async () => {
    if (h) auditText('sandbox API log (aws CLI guide)', h.logs.join('\n'));
    await h?.close();
  });

  function connection(): SandboxConnection {
    return {
      endpoint: h.server.url,
      region: SANDBOX_REGION,
      stackName: 'auroralab',
      accessKeyId: 'sandbox',
      secretAccessKey: 'sandbox',
      dbUser: 'masteruser',
      dbPassword: 'Password1',
      dbPasswordFile: passwordFile,
      strict: false,
    };
  }

  async function sh(script: string): Promise<ShellResult> {
    const result = await execa(
      'bash',
      ['-c', `${sandboxEnvLines(connection()).join('\n')}\nexport MYSQL_PWD="$DBPASS"\n${script}`],
      {
        reject: false,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          AWS_PAGER: '',
        },
        extendEnv: false,
      },
    );
    const label = `bash -c ${script.split('\n')[0]}`;
    auditText(`${label} (stdout)`, String(result.stdout));
    auditText(`${label} (stderr)`, String(result.stderr));
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1 };
  }

  async function json<T>(script: string): Promise<T> {
    const result = await sh(script);
    assert.equal(result.exitCode, 0, `${script}\n${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  /** Polls a describe command, as the guide tells the reader to, until the picked status is `wanted`. */
  async function waitFor(
    script: string,
    pick: (doc: Described) => string | undefined,
    wanted: string,
  ): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const value = pick(await json<Described>(script)) ?? '(none)';
      if (value === wanted) return;
      assert.ok(!/fail/.test(value), `status ${value}`);
      assert.ok(Date.now() < deadline, `still ${value}`);
      await sleep(500);
    }
  }

  /** `checksum table sbtest1` through the mysql client, as the guide runs it. */
  async function checksum(host: string): Promise<string> {
    const result = await sh(`mysql -h ${host} -u masteruser mylab -e 'checksum table sbtest1'`);
    assert.equal(result.exitCode, 0, result.stderr);
    const last = result.stdout.trim().split('\n').at(-1) ?? '';
    const [table, value] = last.split('\t');
    assert.equal(table, 'mylab.sbtest1');
    return value ?? '';
  }

  async function tables(host: string): Promise<string[]> {
    const result = await sh(`mysql -h ${host} -u masteruser mylab -N -e 'show tables'`);
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout.split('\n').filter(Boolean);
  }

  /** `select current_timestamp()` on the server, as the guide's time markers, in the form backtrack takes. */
  async function marker(host: string): Promise<string> {
    const result = await sh(`mysql -h ${host} -u masteruser mylab -N -e 'select current_timestamp()'`);
    assert.equal(result.exitCode, 0, result.stderr);
    return result.stdout.trim().replace(' ', 'T') + 'Z';
  }

  function shiftSeconds(stamp: string, seconds: number): string {
    return new Date(Date.parse(stamp) + seconds * 1000).toISOString().replace('.000Z', 'Z');
  }

  it('gives the shell $DBUSER and $DBPASS without printing the password', async () => {
    const lines = sandboxEnvLines(connection());
    auditText('sandboxEnvLines', lines.join('\n'));
    assert.equal(lines.at(-1), `export DBPASS="$(cat '${passwordFile}')"`);
    const mode = await sh(`stat -c %a '${passwordFile}'`);
    assert.equal(mode.stdout.trim(), '600');
    const whoami = await sh(
      `mysql -h 127.0.30.60 -u "$DBUSER" -p"$DBPASS" mylab -N -e 'select current_user()'`,
    );
    assert.equal(whoami.exitCode, 0, whoami.stderr);
    assert.equal(whoami.stdout.trim(), 'masteruser@%');
  });

  it('reads the stack outputs with the aws CLI', async () => {
    const doc = await json<{ Stacks: Array<{ Outputs: Array<{ OutputKey: string; OutputValue: string }> }> }>(
      'aws cloudformation describe-stacks --stack-name auroralab',
    );
    outputs = Object.fromEntries(doc.Stacks[0]!.Outputs.map((o) => [o.OutputKey, o.OutputValue]));
    assert.equal(outputs.clusterName, 'auroralab-mysql-cluster');
    assert.equal(outputs.clusterEndpoint, '127.0.30.60');
    const missing = await sh('aws cloudformation describe-stacks --stack-name nosuch');
    assert.notEqual(missing.exitCode, 0);
    assert.match(missing.stderr, /ValidationError.*Stack with id nosuch does not exist/);
  });

  let cloneEndpoint: string;
  let cloneChecksum: string;
  let sourceChecksum: string;
  let beforeDrop: string;
  let afterDrop: string;

  it('Task 3.1: clones the cluster, adds an instance, and the checksums match', async () => {
    const name = outputs.clusterName!;
    const restored = await json<{ DBCluster: { Status: string; CloneGroupId?: string } }>(
      `aws rds restore-db-cluster-to-point-in-time --restore-type copy-on-write --use-latest-restorable-time ` +
        `--source-db-cluster-identifier ${name} --db-cluster-identifier ${name}-clone ` +
        `--vpc-security-group-ids ${outputs.dbSecurityGroup} --db-subnet-group-name ${outputs.dbSubnetGroup} ` +
        `--backtrack-window 86400`,
    );
    assert.equal(restored.DBCluster.Status, 'creating');
    assert.ok(restored.DBCluster.CloneGroupId);
    await waitFor(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone`,
      (d) => d.DBClusters?.[0]?.Status,
      'available',
    );

    const instance = await json<{ DBInstance: { DBInstanceStatus: string } }>(
      `aws rds create-db-instance --db-instance-class db.r4.large --engine aurora ` +
        `--db-cluster-identifier ${name}-clone --db-instance-identifier ${name}-clone-instance`,
    );
    assert.equal(instance.DBInstance.DBInstanceStatus, 'creating');
    await waitFor(
      `aws rds describe-db-instances --db-instance-identifier ${name}-clone-instance`,
      (d) => d.DBInstances?.[0]?.DBInstanceStatus,
      'available',
    );

    const described = await json<{ DBClusters: Array<{ Endpoint: string; Status: string }> }>(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone`,
    );
    cloneEndpoint = described.DBClusters[0]!.Endpoint;
    assert.match(cloneEndpoint, /^127\.0\.30\.\d+$/);
    cloneChecksum = await checksum(cloneEndpoint);
    sourceChecksum = await checksum(outputs.clusterEndpoint!);
    assert.match(cloneChecksum, /^\d+$/);
    assert.equal(cloneChecksum, sourceChecksum, 'the clone must be identical to the source');
  });

  it('Task 3.2: drops sbtest1 between two time markers and re-creates it with sysbench', async () => {
    // A clone cannot be backtracked to before it was made; give the first marker room after that instant.
    await sleep(2000);
    beforeDrop = await marker(cloneEndpoint);
    await sleep(1100);
    const drop = await sh(`mysql -h ${cloneEndpoint} -u masteruser mylab -e 'drop table sbtest1'`);
    assert.equal(drop.exitCode, 0, drop.stderr);
    await sleep(1100);
    afterDrop = await marker(cloneEndpoint);
    await sleep(2100);

    const prepare = await sh(
      `sysbench oltp_write_only --threads=1 --mysql-host=${cloneEndpoint} --mysql-user=masteruser ` +
        `--config-file=<(printf 'mysql-password=%s\\n' "$DBPASS") --mysql-port=3306 --tables=1 --mysql-db=mylab --table-size=2000 prepare`,
    );
    assert.equal(prepare.exitCode, 0, prepare.stdout + prepare.stderr);
    assert.match(prepare.stdout, /Inserting 2000 records into 'sbtest1'/);
    const reprepared = await checksum(cloneEndpoint);
    assert.notEqual(reprepared, cloneChecksum, 'different than the original clone value');
    assert.notEqual(reprepared, sourceChecksum, 'different than the source cluster');
  });

  it('backtracks to slightly after the second marker: sbtest1 is missing', async () => {
    const name = outputs.clusterName!;
    const target = shiftSeconds(afterDrop, 1);
    const backtrack = await json<{ Status: string; BacktrackTo: string; DBClusterIdentifier: string }>(
      `aws rds backtrack-db-cluster --db-cluster-identifier ${name}-clone --backtrack-to "${target}"`,
    );
    assert.equal(backtrack.Status, 'PENDING');
    assert.equal(backtrack.DBClusterIdentifier, `${name}-clone`);
    assert.equal(backtrack.BacktrackTo, target);

    // The guide's progress pipeline. The aws CLI prints DBCluster members in the API model's order, where
    // the two lines after "EngineMode" are DeletionProtection and HttpEndpointEnabled (on AWS as here), so
    // the final `grep Status` finds nothing; the cluster Status itself is polled below.
    const pipeline = await sh(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone | grep -i EngineMode -A 2`,
    );
    assert.equal(pipeline.exitCode, 0, pipeline.stderr);
    assert.deepEqual(
      pipeline.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim()),
      ['"EngineMode": "provisioned",', '"DeletionProtection": false,', '"HttpEndpointEnabled": false,'],
    );
    const full = await sh(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone | grep -i EngineMode -A 2 | grep Status`,
    );
    assert.equal(full.exitCode, 1);
    assert.equal(full.stdout, '');

    const status = await sh(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone --query 'DBClusters[0].Status' --output text`,
    );
    assert.match(status.stdout.trim(), /^(backtracking|available)$/);
    await waitFor(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone`,
      (d) => d.DBClusters?.[0]?.Status,
      'available',
    );
    assert.ok(!(await tables(cloneEndpoint)).includes('sbtest1'), 'sbtest1 should be missing');
  });

  it('backtracks again to slightly before the first marker: sbtest1 is back with the original data', async () => {
    const name = outputs.clusterName!;
    const target = shiftSeconds(beforeDrop, -1);
    const backtrack = await json<{ Status: string }>(
      `aws rds backtrack-db-cluster --db-cluster-identifier ${name}-clone --backtrack-to "${target}"`,
    );
    assert.equal(backtrack.Status, 'PENDING');
    await waitFor(
      `aws rds describe-db-clusters --db-cluster-identifier ${name}-clone`,
      (d) => d.DBClusters?.[0]?.Status,
      'available',
    );
    assert.ok((await tables(cloneEndpoint)).includes('sbtest1'));
    assert.equal(await checksum(cloneEndpoint), cloneChecksum, 'the original data set');
    assert.equal(await checksum(outputs.clusterEndpoint!), sourceChecksum, 'the source was never touched');

    const history = await json<{
      DBClusterBacktracks: Array<{ Status: string; BacktrackTo: string; BacktrackedFrom?: string }>;
    }>(`aws rds describe-db-cluster-backtracks --db-cluster-identifier ${name}-clone`);
    assert.deepEqual(
      history.DBClusterBacktracks.map((b) => [b.Status, b.BacktrackTo]),
      [
        ['COMPLETED', target],
        ['COMPLETED', shiftSeconds(afterDrop, 1)],
      ],
    );
    assert.ok(history.DBClusterBacktracks.every((b) => b.BacktrackedFrom));
  });

  it('reports errors the way AWS does: exit code 254/255 and the error code on stderr', async () => {
    const missing = await sh('aws rds describe-db-clusters --db-cluster-identifier nosuch');
    assert.notEqual(missing.exitCode, 0);
    assert.match(missing.stderr, /\(DBClusterNotFoundFault\).*DBCluster nosuch not found\./);
    const future = await sh(
      `aws rds backtrack-db-cluster --db-cluster-identifier ${outputs.clusterName}-clone --backtrack-to "2099-01-01T00:00:00+00:00"`,
    );
    assert.match(future.stderr, /\(InvalidParameterValue\).*in the future/);
  });

  it('cleans up the clone with the aws CLI', async () => {
    const name = outputs.clusterName!;
    const refused = await sh(
      `aws rds delete-db-cluster --db-cluster-identifier ${name}-clone --skip-final-snapshot`,
    );
    assert.match(refused.stderr, /InvalidDBClusterStateFault/);
    const deleting = await json<{ DBInstance: { DBInstanceStatus: string } }>(
      `aws rds delete-db-instance --db-instance-identifier ${name}-clone-instance`,
    );
    assert.equal(deleting.DBInstance.DBInstanceStatus, 'deleting');
    // `aws rds wait db-instance-deleted` would sleep 30 s between polls; poll describe instead.
    for (let i = 0; ; i++) {
      const described = await sh(
        `aws rds describe-db-instances --db-instance-identifier ${name}-clone-instance`,
      );
      if (described.exitCode !== 0) {
        assert.match(described.stderr, /\(DBInstanceNotFound\)/);
        break;
      }
      assert.ok(i < 60, 'the instance was not deleted');
      await sleep(500);
    }
    const cluster = await json<{ DBCluster: { Status: string } }>(
      `aws rds delete-db-cluster --db-cluster-identifier ${name}-clone --skip-final-snapshot`,
    );
    assert.equal(cluster.DBCluster.Status, 'deleting');
  });
});
