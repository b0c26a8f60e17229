/**
 * A closed stdout or stderr never stops a run (issue 10, item 6): `labrun run … | head -1` in a real shell,
 * against the sandbox, and the same with stderr going to `head -1`, and a hang-up. Each run goes on with
 * nothing left to read it, runs `finally`, writes a complete record and exits with the run's code; the
 * sandbox holds only the source cluster afterwards. Before the fix, the first write after `head` exited
 * ended the process with an unhandled EPIPE in the middle of the lab, leaving the clone behind.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { labrun as labrunCli, MAIN } from '../helpers/labrun-cli.js';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

interface RunRecord {
  status: string;
  exitCode: number;
  finishedAt?: string;
  steps: Array<{ id: string; status: string; error?: { code: string } }>;
  resources?: { created: unknown[]; leaked: unknown[] };
}

/** Clones the source, fails an assertion, and fails one more in `finally` before deleting the clone. */
const FAILING_LAB = `name: closed-stderr
inputs:
  clusterName: { stackOutput: clusterName }
  dbSecurityGroup: { stackOutput: dbSecurityGroup }
  dbSubnetGroup: { stackOutput: dbSubnetGroup }
steps:
  - id: create-clone
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      UseLatestRestorableTime: true
      SourceDBClusterIdentifier: "{{inputs.clusterName}}"
      DBClusterIdentifier: "{{inputs.clusterName}}-closed"
      VpcSecurityGroupIds: ["{{inputs.dbSecurityGroup}}"]
      DBSubnetGroupName: "{{inputs.dbSubnetGroup}}"
  - id: wait-clone
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params: { DBClusterIdentifier: "{{inputs.clusterName}}-closed" }
    value: "{{result.DBClusters.0.Status}}"
    success: [available]
    interval: 100ms
    backoff: 1
    timeout: 5m
  - id: create-instance
    type: aws
    operation: CreateDBInstance
    params:
      DBClusterIdentifier: "{{inputs.clusterName}}-closed"
      DBInstanceIdentifier: "{{inputs.clusterName}}-closed-instance"
      DBInstanceClass: db.r6g.large
      Engine: aurora-mysql
  - id: wait-instance
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBInstances
      params: { DBInstanceIdentifier: "{{inputs.clusterName}}-closed-instance" }
    value: "{{result.DBInstances.0.DBInstanceStatus}}"
    success: [available]
    interval: 100ms
    backoff: 1
    timeout: 5m
  - id: wrong
    type: assert
    that:
      - actual: 1
        equals: 2
        message: one is not two
finally:
  - id: wait-a-moment
    type: wait-until
    duration: 1500ms
  - id: wrong-again
    type: assert
    that:
      - actual: 3
        equals: 4
        message: three is not four
  - id: delete-instance
    type: aws
    operation: DeleteDBInstance
    params: { DBInstanceIdentifier: "{{inputs.clusterName}}-closed-instance", SkipFinalSnapshot: true }
  - id: delete-clone
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: "{{inputs.clusterName}}-closed", SkipFinalSnapshot: true }
    retry: { attempts: 20, interval: 200ms, on: [InvalidDBClusterStateFault] }
`;

describe('a closed stdout or stderr (node dist/cli/main.js on the sandbox)', function () {
  this.timeout(600_000);
  let home: string;
  let ws: Workspace;
  let runs: string;
  const env = (): Record<string, string> => ({
    CI: '1',
    NO_COLOR: '1',
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.36.1',
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-closed-'));
    ws = await workspace();
    runs = join(ws.dir, 'runs');
    const up = await labrunCli(['sandbox', 'up', '--table-size', '1000'], { env: env(), timeout: 300_000 });
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
  });
  after(async () => {
    if (home) await labrunCli(['sandbox', 'down', '--purge'], { env: env() });
    await rm(home, { recursive: true, force: true });
    await ws?.remove();
  });

  /** Runs `script` in bash with `$LABRUN` set to the CLI; its exit code is labrun's (PIPESTATUS). */
  const shell = (script: string) =>
    execa('bash', ['-c', script], {
      reject: false,
      cwd: process.cwd(),
      env: { ...env(), LABRUN: `${process.execPath} ${MAIN}` },
      timeout: 300_000,
    });

  /** The newest run's record, and whether its journal ends with run-finished. */
  const newestRun = (): { record: RunRecord; finished: boolean } => {
    const dir = join(runs, readdirSync(runs).sort().at(-1)!);
    const record = JSON.parse(readFileSync(join(dir, 'record.json'), 'utf8')) as RunRecord;
    const journal = readFileSync(join(dir, 'journal.jsonl'), 'utf8').trim().split('\n');
    const last = JSON.parse(journal.at(-1)!) as { type: string };
    return { record, finished: last.type === 'run-finished' };
  };

  it('`labrun run … --sandbox | head -1` finishes the seed lab, finally included, and exits 0', async () => {
    const result = await shell(
      `$LABRUN run runbooks/aurora-clone-backtrack.yaml --sandbox --set tableSize=1000 ` +
        `--set pollInterval=100ms --set pollMaxInterval=500ms --runs-dir ${runs} | head -1; ` +
        'exit "${PIPESTATUS[0]}"',
    );
    assert.equal(result.stdout.split('\n').length, 1, 'head printed one line');
    assert.match(result.stdout, /^PART 3\. Cloning and backtracking databases/);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /EPIPE|internal error/);
    const { record, finished } = newestRun();
    assert.ok(finished, 'the journal ends with run-finished');
    assert.equal(record.status, 'passed');
    assert.equal(record.exitCode, 0);
    assert.ok(record.finishedAt, 'the record is complete');
    assert.ok(
      record.steps.every((s) => s.status === 'passed'),
      JSON.stringify(record.steps.map((s) => [s.id, s.status])),
    );
    assert.deepEqual(record.resources?.leaked, []);
    await assertOnlySourceCluster(home);
  });

  it('stderr to `head -1`: both failures are reported to nobody, finally deletes the clone, exit 1', async () => {
    const file = await ws.write({ 'closed-stderr.yaml': FAILING_LAB });
    const result = await shell(
      `$LABRUN run ${file} --sandbox --runs-dir ${runs} 2>&1 >/dev/null | head -1; exit "\${PIPESTATUS[0]}"`,
    );
    // The first failure's first line reached head; the second failure, seconds later, found stderr closed.
    assert.match(result.stdout, /step wrong: one is not two/);
    assert.equal(result.stdout.split('\n').length, 1);
    assert.equal(result.exitCode, 1, 'an assertion failed: exit 1');
    const { record, finished } = newestRun();
    assert.ok(finished);
    assert.equal(record.status, 'failed');
    assert.deepEqual(
      record.steps.map((s) => [s.id, s.status]),
      [
        ['create-clone', 'passed'],
        ['wait-clone', 'passed'],
        ['create-instance', 'passed'],
        ['wait-instance', 'passed'],
        ['wrong', 'failed'],
        ['wait-a-moment', 'passed'],
        ['wrong-again', 'failed'],
        ['delete-instance', 'passed'],
        ['delete-clone', 'passed'],
      ],
    );
    await assertOnlySourceCluster(home);
  });

  it('a hang-up (the terminal went away) does not stop the run either', async () => {
    const file = await ws.write({ 'hangup.yaml': FAILING_LAB.replace(/-closed/g, '-hangup') });
    const child = execa(process.execPath, [MAIN, 'run', file, '--sandbox', '--runs-dir', runs], {
      reject: false,
      env: env(),
      timeout: 300_000,
    });
    // Hang up once the first step has finished: the clone is being made.
    await new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('create-clone ... passed')) resolve();
      });
    });
    child.kill('SIGHUP');
    const result = await child;
    assert.equal(result.signal, undefined, 'not killed by SIGHUP');
    assert.equal(result.exitCode, 1);
    const { record, finished } = newestRun();
    assert.ok(finished);
    assert.equal(record.steps.find((s) => s.id === 'delete-clone')?.status, 'passed');
    await assertOnlySourceCluster(home);
  });
});
