/**
 * The Part 3 lab (aurora-clone-backtrack.yaml) on the sandbox, killed with SIGKILL at every step and resumed
 * each time with `labrun resume` until it finishes: at the start of every step (a step boundary: the start is
 * journaled, nothing ran), at the end of every step (the step's action happened, its result was never
 * journaled: the clone exists, the backtrack started, the table is dropped), and part-way through the
 * long-running steps (mid-call, mid-poll, mid-sysbench). The crash points are set with LABRUN_CRASH_AT, which
 * makes the runner SIGKILL itself at the given point. Each resumed run must end passing, with every
 * assertion passing, nothing created twice, no journal or record damaged, and only the source cluster left.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { RunEvent } from '../../src/engine/events.js';
import type { RunRecord } from '../../src/engine/record.js';
import { readJournal } from '../../src/engine/resume.js';
import { compileRunbook } from '../../src/runbook/index.js';
import { labrun } from '../helpers/labrun-cli.js';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';

const LAB = join(process.cwd(), 'runbooks/aurora-clone-backtrack.yaml');
const CLONE = 'auroralab-mysql-cluster-clone';
const SETS = ['--set', 'pollInterval=200ms', '--set', 'pollMaxInterval=1s', '--set', 'tableSize=2000'];

interface Chain {
  /** The step each process was killed in, in order. */
  kills: string[];
  record: RunRecord;
  events: RunEvent[];
  runDir: string;
}

describe('kill -9 at every step of the Part 3 lab on the sandbox, resumed each time', function () {
  this.timeout(900_000);
  let home = '';
  let work = '';
  let stepIds: string[] = [];
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.52.1',
  });

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'labrun-kill-home-'));
    work = await mkdtemp(join(tmpdir(), 'labrun-kill-runs-'));
    const { runbook } = await compileRunbook(LAB);
    stepIds = [...runbook!.steps, ...runbook!.finally].map((step) => step.id);
    const up = await labrun(['sandbox', 'up', '--table-size', '2000'], { env: env(), timeout: 300_000 });
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stderr}`);
  });

  after(async function () {
    if (home) {
      await labrun(['sandbox', 'down', '--purge'], { env: env() });
      await rm(home, { recursive: true, force: true });
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  afterEach(async function () {
    await assertOnlySourceCluster(home);
  });

  /** How many times the sandbox has restored a cluster into the clone's identifier. */
  function clonesMade(): number {
    const log = readFileSync(join(home, 'daemon.log'), 'utf8');
    return log.split('\n').filter((line) => line.includes(`cluster ${CLONE}: copy-on-write restore of`))
      .length;
  }

  /**
   * Runs the lab with a crash point at every step (`when` says where in the step), then resumes it with the
   * crash points of the steps after the one it died in, until a process ends by itself.
   */
  async function chain(name: string, when: string, sets: string[] = SETS): Promise<Chain> {
    const runsDir = join(work, name);
    const points = (after: number): string =>
      stepIds
        .slice(after)
        .map((id) => `${id}:${when}`)
        .join(',');
    const kills: string[] = [];
    let result = await labrun(['run', LAB, '--sandbox', '--runs-dir', runsDir, ...sets], {
      env: { ...env(), LABRUN_CRASH_AT: points(0) },
      timeout: 300_000,
    });
    for (;;) {
      const dirs = readdirSync(runsDir);
      assert.equal(dirs.length, 1, 'one run directory, resumed in place');
      const runDir = join(runsDir, dirs[0]!);
      if (result.signal !== 'SIGKILL') {
        assert.equal(result.exitCode, 0, `the last resume passes:\n${result.stdout}\n${result.stderr}`);
        const journal = readJournal(runDir);
        const record = JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as RunRecord;
        return { kills, record, events: journal.events, runDir };
      }
      // The dead process left a journal that reads back whole (a torn last line at most) and is unfinished.
      const journal = readJournal(runDir);
      assert.equal(journal.finished, false);
      const lastStart = journal.events.filter((e) => e.type === 'step-started').pop();
      assert.ok(lastStart?.type === 'step-started', 'the killed process had started a step');
      kills.push(lastStart.stepId);
      assert.ok(kills.length <= stepIds.length * 2, `the chain goes on: ${kills.join(', ')}`);
      JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8'));
      result = await labrun(['resume', '--runs-dir', runsDir], {
        env: { ...env(), LABRUN_CRASH_AT: points(stepIds.indexOf(lastStart.stepId) + 1) },
        timeout: 300_000,
      });
      assert.doesNotMatch(String(result.stderr), /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    }
  }

  /** What every finished chain must show: a passing lab, checksums right, one journal, nothing twice. */
  function assertSound({ record, events }: Chain, clonesBefore: number): void {
    assert.equal(record.status, 'passed', JSON.stringify(record.steps.filter((s) => s.status !== 'passed')));
    assert.equal(record.exitCode, 0);
    for (const step of record.steps) assert.equal(step.status, 'passed', `${step.id} passed`);
    const assertions = record.steps.flatMap((s) => s.assertions);
    assert.ok(assertions.length >= 6 && assertions.every((a) => a.passed), 'every assertion passed');
    const { cloneChecksum, sourceChecksum, restoredChecksum, repreparedChecksum } = record.captures;
    assert.equal(cloneChecksum, sourceChecksum);
    assert.equal(restoredChecksum, sourceChecksum);
    assert.notEqual(repreparedChecksum, sourceChecksum);
    assert.equal(events.filter((e) => e.type === 'run-started').length, 1);
    assert.equal(events.filter((e) => e.type === 'run-finished').length, 1);
    assert.equal(clonesMade() - clonesBefore, 1, 'the clone was created exactly once');
    assert.deepEqual(record.resources?.leaked, [], 'nothing the run created is left');
    assert.deepEqual(record.resources?.created.map((r) => `${r.kind} ${r.id}`).sort(), [
      `cluster ${CLONE}`,
      `instance ${CLONE}-instance`,
    ]);
  }

  it('is killed at the start of every step and resumes to a passing end', async function () {
    const before = clonesMade();
    const run = await chain('start', 'start');
    assert.deepEqual(run.kills, stepIds, 'killed once in every step');
    assertSound(run, before);
    assert.equal(run.record.resumedAt?.length, stepIds.length, 'each resume is in the record');
    const create = run.record.steps.find((s) => s.id === 'clone-create')!;
    assert.match(create.reconciled ?? '', /does not exist: creating it again/);
  });

  it('is killed after every step took effect but before its result was journaled, and resumes', async function () {
    const before = clonesMade();
    const run = await chain('end', 'end');
    assert.deepEqual(run.kills, stepIds, 'killed once in every step');
    assertSound(run, before);
    const note = (id: string): string => run.record.steps.find((s) => s.id === id)!.reconciled ?? '';
    assert.match(note('clone-create'), /adopted cluster auroralab-mysql-cluster-clone/);
    assert.match(note('clone-create-instance'), /adopted instance auroralab-mysql-cluster-clone-instance/);
    assert.match(note('after-drop-backtrack'), /adopted backtrack .* of auroralab-mysql-cluster-clone/);
    assert.match(note('before-drop-backtrack'), /adopted backtrack/);
    assert.match(note('reprepare'), /dropped the tables of the cut-off prepare/);
    assert.match(note('delete-clone-cluster'), /being deleted|gone already/);
  });

  it('is killed part-way through its long steps and resumes', async function () {
    const before = clonesMade();
    const run = await chain('mid', '150ms');
    // Steps shorter than 150 ms finish before their crash point; the waits and calls do not.
    assert.ok(run.kills.length >= 4, `killed in several steps: ${run.kills.join(', ')}`);
    assert.ok(run.kills.includes('clone-wait-cluster'), run.kills.join(', '));
    assertSound(run, before);
  });

  it('lists what the run created and cleanup did not delete, in the record, JUnit and on stderr', async function () {
    const file = join(work, 'leaky.yaml');
    writeFileSync(
      file,
      `name: leaky
inputs:
  clusterName: { stackOutput: clusterName }
steps:
  - id: create-copy
    type: aws
    operation: RestoreDBClusterToPointInTime
    params:
      RestoreType: copy-on-write
      UseLatestRestorableTime: true
      SourceDBClusterIdentifier: "{{inputs.clusterName}}"
      DBClusterIdentifier: "{{inputs.clusterName}}-leak"
  - id: wait-copy
    type: wait-until
    probe:
      type: aws
      operation: DescribeDBClusters
      params: { DBClusterIdentifier: "{{inputs.clusterName}}-leak" }
    value: "{{result.DBClusters.0.Status}}"
    success: [available]
    interval: 200ms
    timeout: 2m
  - id: add-instance
    type: aws
    operation: CreateDBInstance
    params:
      DBInstanceClass: db.r5.large
      Engine: aurora-mysql
      DBClusterIdentifier: "{{inputs.clusterName}}-leak"
      DBInstanceIdentifier: "{{inputs.clusterName}}-leak-instance"
finally:
  # Deletes the instance only: the cluster is left behind.
  - id: delete-instance
    type: aws
    operation: DeleteDBInstance
    params: { DBInstanceIdentifier: "{{inputs.clusterName}}-leak-instance", SkipFinalSnapshot: true }
`,
    );
    const junit = join(work, 'leaky.xml');
    const result = await labrun(
      ['run', file, '--sandbox', '--runs-dir', join(work, 'leaky'), '--junit', junit],
      { env: env(), timeout: 300_000 },
    );
    assert.equal(result.exitCode, 0, `a leak is reported, not a failure:\n${result.stderr}`);
    assert.match(String(result.stderr), /a resource this run created is still there:/);
    assert.match(
      String(result.stderr),
      /cluster auroralab-mysql-cluster-leak \(available\), created by step create-copy/,
    );
    assert.match(
      String(result.stderr),
      /aws rds delete-db-cluster --db-cluster-identifier auroralab-mysql-cluster-leak --skip-final-snapshot/,
    );
    assert.doesNotMatch(String(result.stderr), /instance auroralab-mysql-cluster-leak-instance \(/);
    const runDir = join(work, 'leaky', readdirSync(join(work, 'leaky'))[0]!);
    const record = JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as RunRecord;
    assert.deepEqual(
      record.resources?.created.map((r) => [r.kind, r.id, r.stepId]),
      [
        ['instance', 'auroralab-mysql-cluster-leak-instance', 'add-instance'],
        ['cluster', 'auroralab-mysql-cluster-leak', 'create-copy'],
      ],
    );
    assert.ok(['gone', 'deleting'].includes(record.resources!.created[0]!.state));
    assert.deepEqual(
      record.resources?.leaked.map((r) => [r.id, r.state]),
      [['auroralab-mysql-cluster-leak', 'available']],
    );
    assert.match(
      readFileSync(junit, 'utf8'),
      /<system-err>resources this run created are still there: cluster auroralab-mysql-cluster-leak \(available\)/,
    );

    // Clean up by hand, as the message says, with the real aws CLI.
    const sandboxEnv = await labrun(['sandbox', 'env'], { env: env() });
    const sh = await execa(
      'bash',
      [
        '-c',
        `${String(sandboxEnv.stdout)}\naws rds delete-db-cluster --db-cluster-identifier auroralab-mysql-cluster-leak --skip-final-snapshot >/dev/null`,
      ],
      { reject: false },
    );
    assert.equal(sh.exitCode, 0, sh.stderr);
  });

  it('stops the sysbench a killed prepare left running, cleans its tables up and prepares again', async function () {
    const before = clonesMade();
    // 300,000 rows take sysbench a few seconds to insert: the runner dies 1 s in, with sysbench mid-way.
    const sets = ['--set', 'pollInterval=200ms', '--set', 'pollMaxInterval=1s', '--set', 'tableSize=300000'];
    const runsDir = join(work, 'sysbench');
    const killed = await labrun(['run', LAB, '--sandbox', '--runs-dir', runsDir, ...sets], {
      env: { ...env(), LABRUN_CRASH_AT: 'reprepare:1s' },
      timeout: 300_000,
    });
    assert.equal(killed.signal, 'SIGKILL');
    const runDir = join(runsDir, readdirSync(runsDir)[0]!);
    const pid = readJournal(runDir).events.find((e) => e.type === 'step-progress' && e.pid !== undefined);
    assert.ok(pid?.type === 'step-progress' && pid.pid, 'the journal names the sysbench process');
    assert.match(
      readFileSync(`/proc/${pid.pid}/cmdline`, 'utf8'),
      /^sysbench\0/,
      'sysbench outlived the runner',
    );

    const resumed = await labrun(['resume', runDir, '--runs-dir', runsDir], { env: env(), timeout: 300_000 });
    assert.equal(resumed.exitCode, 0, `${resumed.stdout}\n${resumed.stderr}`);
    const record = JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as RunRecord;
    const reprepare = record.steps.find((s) => s.id === 'reprepare')!;
    assert.match(
      reprepare.reconciled ?? '',
      new RegExp(`stopped the cut-off sysbench \\(pid ${pid.pid}\\); dropped the tables`),
    );
    assert.deepEqual(reprepare.result, { tables: 1, rowsInserted: 300000, exitCode: 0 });
    assertSound({ kills: ['reprepare'], record, events: readJournal(runDir).events, runDir }, before);
  });
});
