/**
 * `labrun` with the local sandbox, through the built CLI: a run that starts and stops the sandbox itself, and
 * the seed lab on a sandbox started with `sandbox up`, whose `sandbox env` gives a shell DBPASS without
 * printing the password.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { labrun as labrunCli } from '../helpers/labrun-cli.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

describe('labrun with the local sandbox (node dist/cli/main.js)', function () {
  this.timeout(300_000);
  let home: string;
  let ws: Workspace;
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.20.240',
    LABRUN_TABLE_SIZE: '2000',
  });
  const labrun = (args: string[]) => labrunCli(args, { env: env(), timeout: 280_000 });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-sandbox-'));
    ws = await workspace();
  });
  after(async () => {
    if (home) await labrun(['sandbox', 'down', '--purge']);
    await rm(home, { recursive: true, force: true });
    await ws?.remove();
  });

  it('starts a sandbox for one run and stops it afterwards', async () => {
    const file = await ws.write({
      'sandbox-once.yaml': `name: sandbox-once
inputs:
  clusterName: { stackOutput: clusterName }
  endpoint: { stackOutput: clusterEndpoint }
  user: { env: DBUSER }
  password: { env: DBPASS, secret: true }
connections:
  source:
    host: "{{inputs.endpoint}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: mylab
steps:
  - id: describe
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: "{{inputs.clusterName}}" }
    capture:
      status: "{{result.DBClusters.0.Status}}"
  - id: rows
    type: sql
    connection: source
    query: SELECT COUNT(*) AS n FROM sbtest1
  - id: check
    type: assert
    that:
      - actual: "{{steps.rows.result.rows.0.n}}"
        equals: 2000
      - actual: "{{captures.status}}"
        equals: available
`,
    });
    const result = await labrun(['run', file, '--sandbox', '--runs-dir', join(ws.dir, 'runs')]);
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stderr, /starting the sandbox for this run/);
    assert.ok(!result.stdout.includes('Password1') && !result.stderr.includes('Password1'));
    const status = await labrun(['sandbox', 'status', '--quiet']);
    assert.equal(status.exitCode, 1, 'the sandbox started for the run is stopped again');
  });

  it('runs the seed lab on a running sandbox and leaves it running', async () => {
    const up = await labrun(['sandbox', 'up', '--table-size', '2000']);
    assert.equal(up.exitCode, 0, up.stderr);
    assert.match(up.stdout, /^sandbox ready at http:\/\/127\.0\.0\.1:\d+ \(stack auroralab\)/);
    const env = await labrun(['sandbox', 'env']);
    assert.match(env.stdout, /^export AWS_ENDPOINT_URL='http:\/\/127\.0\.0\.1:\d+'$/m);
    // The password is in no output: DBPASS is read from a file only its owner may read.
    const passwordFile = join(home, 'db-password');
    assert.ok(env.stdout.split('\n').includes(`export DBPASS="$(cat '${passwordFile}')"`), env.stdout);
    assert.equal((await stat(passwordFile)).mode & 0o777, 0o600);
    assert.doesNotMatch(await readFile(join(home, 'daemon.json'), 'utf8'), /Password1/);
    const shell = await execa('bash', [
      '-c',
      `eval "$1"; printf '%s:%s' "$DBUSER" "$DBPASS"`,
      'sh',
      env.stdout,
    ]);
    assert.equal(shell.stdout, 'masteruser:Password1');

    const junit = join(ws.dir, 'seed-junit.xml');
    const run = await labrun([
      'run',
      'runbooks/aurora-clone-backtrack.yaml',
      '--sandbox',
      '--set',
      'tableSize=2000',
      '--runs-dir',
      join(ws.dir, 'runs'),
      '--junit',
      junit,
    ]);
    assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Run passed in .*: 28 passed, 0 failed, 0 skipped/);
    assert.match(run.stdout, /✔ original-data-back: sbtest1 must be back with the original data set\./);
    assert.match(
      await readFile(junit, 'utf8'),
      /<testsuite name="aurora-clone-backtrack" tests="28" failures="0"/,
    );

    const status = await labrun(['sandbox', 'status']);
    assert.equal(status.exitCode, 0);
    assert.match(status.stdout, /^running at http/);
    assert.match(status.stdout, /auroralab-mysql-cluster {2}available/);
    assert.doesNotMatch(status.stdout, /clone/, 'the lab cleaned up its clone');

    const down = await labrun(['sandbox', 'down']);
    assert.equal(down.stdout, 'sandbox stopped');
    const again = await labrun(['sandbox', 'down']);
    assert.equal(again.stdout, 'sandbox was not running');
  });
});
