/**
 * `labrun` with the local sandbox, through the built CLI: a run that starts and stops the sandbox itself, and
 * the seed lab on a sandbox started with `sandbox up`, whose `sandbox env` gives a shell DBPASS without
 * printing the password; directories that are not a sandbox home are refused; two `sandbox up` started
 * together share one daemon.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { labrun as labrunCli } from '../helpers/labrun-cli.js';
import { freeHost } from '../helpers/loopback.js';
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
    assert.match(run.stdout, /Run passed in .*: 30 passed, 0 failed, 0 skipped/);
    assert.match(run.stdout, /✔ original-data-back: sbtest1 must be back with the original data set\./);
    assert.match(
      await readFile(junit, 'utf8'),
      /<testsuite name="aurora-clone-backtrack" tests="30" failures="0"/,
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

describe('labrun sandbox on a directory it did not make', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async () => {
    // A git repository, the kind of directory an empty or mistyped LABRUN_SANDBOX_HOME used to delete.
    dir = await mkdtemp(join(tmpdir(), 'labrun-not-a-sandbox-'));
    await execa('git', ['init', '--quiet', dir]);
    await writeFile(join(dir, 'notes.txt'), 'keep me\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function assertIntact(): Promise<void> {
    assert.ok(existsSync(join(dir, '.git', 'HEAD')), 'the repository is still there');
    assert.equal(await readFile(join(dir, 'notes.txt'), 'utf8'), 'keep me\n');
    assert.deepEqual((await readdir(dir)).sort(), ['.git', 'notes.txt'], 'nothing was written into it');
  }

  it('refuses an empty LABRUN_SANDBOX_HOME instead of taking the current directory (exit 2)', async () => {
    for (const args of [
      ['sandbox', 'down', '--purge'],
      ['sandbox', 'down'],
      ['sandbox', 'up', '--table-size', '10'],
      ['sandbox', 'status'],
    ]) {
      const result = await labrunCli(args, { cwd: dir, env: { LABRUN_SANDBOX_HOME: '' } });
      assert.equal(result.exitCode, 2, `labrun ${args.join(' ')}: ${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, /LABRUN_SANDBOX_HOME is set but empty/);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    await assertIntact();
  });

  it('refuses `down --purge`, `down` and `up` on a directory without the sandbox marker, naming it', async () => {
    const env = { LABRUN_SANDBOX_HOME: dir, LABRUN_SANDBOX_PORT: '0' };
    for (const args of [
      ['sandbox', 'down', '--purge'],
      ['sandbox', 'down'],
      ['sandbox', 'up', '--table-size', '10'],
    ]) {
      const result = await labrunCli(args, { env });
      assert.equal(result.exitCode, 2, `labrun ${args.join(' ')}: ${result.stdout}\n${result.stderr}`);
      assert.ok(result.stderr.includes(dir), result.stderr);
      assert.match(result.stderr, /not a labrun sandbox home/);
    }
    await assertIntact();
  });
});

describe('two `labrun sandbox up` started together', function () {
  this.timeout(600_000);
  let home: string;
  let hostBase: string;
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: hostBase,
  });
  const labrun = (args: string[]) => labrunCli(args, { env: env(), timeout: 280_000 });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-sandbox-twice-'));
    // Not 127.0.20.x, where the MariaDB test helper picks addresses for other tests' servers.
    hostBase = await freeHost('127.0.21', 1, 50);
  });
  after(async () => {
    if (home) await labrun(['sandbox', 'down', '--purge']);
    await rm(home, { recursive: true, force: true });
  });

  /** Pids of live sandbox daemons started for `home`. */
  async function daemonsOf(dir: string): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const args = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
      const at = args.indexOf('--home');
      if (at >= 0 && args[at + 1] === dir && args.some((arg) => /daemon\.(js|ts)$/.test(arg)))
        pids.push(Number(entry));
    }
    return pids;
  }

  it('both succeed on one daemon, from an empty home and from saved data (4 rounds)', async () => {
    for (let round = 1; round <= 4; round++) {
      const [first, second] = await Promise.all([
        labrun(['sandbox', 'up', '--table-size', '500']),
        labrun(['sandbox', 'up', '--table-size', '500']),
      ]);
      for (const result of [first, second]) {
        assert.equal(result.exitCode, 0, `round ${round}: ${result.stdout}\n${result.stderr}`);
        assert.match(result.stdout, /^sandbox ready at http:\/\/127\.0\.0\.1:\d+ /);
      }
      const endpoint = (text: string) => /sandbox ready at (\S+)/.exec(text)?.[1];
      assert.equal(endpoint(first.stdout), endpoint(second.stdout), `round ${round}: one endpoint`);
      const daemons = await daemonsOf(home);
      assert.equal(daemons.length, 1, `round ${round}: one daemon, found ${daemons.join(', ')}`);
      const state = JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')) as { pid: number };
      assert.deepEqual(daemons, [state.pid]);
      const status = await labrun(['sandbox', 'status']);
      assert.match(status.stdout, /auroralab-mysql-cluster {2}available/);
      const down = await labrun(['sandbox', 'down']);
      assert.equal(down.stdout, 'sandbox stopped', `round ${round}: ${down.stderr}`);
    }
  });
});
