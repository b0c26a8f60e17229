/**
 * The authoring loop on the sandbox, as a lab author meets it: the Part 3 lab with a mistake in its last
 * assertion, run with --no-finally, fails after the clone, the DROP and both backtracks and keeps the clone;
 * the author fixes the assertion and goes on with `labrun run --from` that step, without cloning again, and
 * that run's cleanup deletes the clone. `labrun show` shows the runs and any step's rendered input, result and
 * captures; `plan` shows the captures; every usage mistake is exit 2 before anything runs. Everything printed
 * is audited for the sandbox password (labrun-cli.ts).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunRecord } from '../../src/engine/record.js';
import { labrun as labrunCli, type LabrunProcess } from '../helpers/labrun-cli.js';
import { assertOnlySourceCluster, sandboxContents } from '../helpers/sandbox-state.js';

const CLONE = 'auroralab-mysql-cluster-clone';
const SETS = ['--set', 'pollInterval=200ms', '--set', 'pollMaxInterval=1s', '--set', 'tableSize=2000'];
/** The fixed assertion, and the mistake the author made in it first. */
const RIGHT = 'notEquals: "{{captures.sourceChecksum}}"\n        message: The re-created table must differ';
const WRONG = 'equals: "{{captures.sourceChecksum}}"\n        message: The re-created table must differ';

describe('labrun run --from and labrun show on the sandbox (the Part 3 lab)', function () {
  this.timeout(600_000);
  let home = '';
  let work = '';
  let lab = '';
  let runsDir = '';
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.104.1',
  });
  const labrun = (args: string[]): LabrunProcess =>
    labrunCli(args, { cwd: work, env: env(), timeout: 300_000 });
  const record = (runDir: string): RunRecord =>
    JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as RunRecord;
  const recordDir = (stdout: string): string => /^Record: (.+)\/record\.json$/m.exec(stdout)![1]!;
  const clonesMade = (): number =>
    readFileSync(join(home, 'daemon.log'), 'utf8')
      .split('\n')
      .filter((line) => line.includes(`cluster ${CLONE}: copy-on-write restore of`)).length;

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'labrun-rerun-home-'));
    work = await mkdtemp(join(tmpdir(), 'labrun-rerun-work-'));
    cpSync(join(process.cwd(), 'runbooks'), join(work, 'runbooks'), { recursive: true });
    lab = join(work, 'runbooks/aurora-clone-backtrack.yaml');
    const text = readFileSync(lab, 'utf8');
    assert.ok(text.includes(RIGHT), 'the lab has the assertion this test breaks');
    writeFileSync(lab, text.replace(RIGHT, WRONG));
    runsDir = join(work, 'runs');
    const up = await labrun(['sandbox', 'up', '--table-size', '2000']);
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stderr}`);
  });

  after(async function () {
    if (home) {
      await labrun(['sandbox', 'down', '--purge']);
      await rm(home, { recursive: true, force: true });
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('fixes a failed assertion and goes on from it without cloning again; show and plan tell what happened', async function () {
    // No earlier run yet: refused before anything starts.
    const none = await labrun(['run', lab, '--sandbox', '--from', 'restored-matches-source', ...SETS]);
    assert.equal(none.exitCode, 2, none.stderr);
    assert.match(none.stderr, /--from restored-matches-source: no earlier run of .* to continue/);
    assert.ok(!existsSync(runsDir) || readdirSync(runsDir).length === 0, 'no run directory was made');

    // --no-finally: the clone stays for the next try (and is listed as left behind).
    const failed = await labrun(['run', lab, '--sandbox', '--runs-dir', runsDir, ...SETS, '--no-finally']);
    assert.equal(failed.exitCode, 1, `${failed.stdout}\n${failed.stderr}`);
    const firstDir = recordDir(failed.stdout);
    const first = record(firstDir);
    assert.equal(first.steps.find((s) => s.id === 'restored-matches-source')!.status, 'failed');
    assert.equal(clonesMade(), 1);
    assert.equal(
      first.steps.find((s) => s.id === 'delete-clone-cluster')!.reason,
      'not selected (--no-finally)',
    );
    assert.match(failed.stderr, new RegExp(`cluster ${CLONE} \\(available\\), created by step clone-create`));
    const kept = await sandboxContents(home);
    assert.ok(
      kept.clusters.some((c) => c.id === CLONE && c.status === 'available'),
      'the clone is kept',
    );

    // Usage mistakes: exit 2, nothing run, no new run directory.
    const mistakes: Array<[string[], RegExp]> = [
      [
        ['--from', 'restored-matches-sorce'],
        /has no step restored-matches-sorce\n {2}hint: did you mean "restored-matches-source"\?/,
      ],
      [['--from', 'delete-clone-cluster'], /step delete-clone-cluster is a finally step/],
      [
        ['--only', 'checksum-source', '--from', 'checksum-clone'],
        /give --from STEP or --only STEP, not both/,
      ],
      [['--finally'], /--finally goes with --only STEP/],
      [['--from', 'checksum-clone', '--source', 'no-such-run'], /no run no-such-run/],
    ];
    for (const [flags, pattern] of mistakes) {
      const refused = await labrun(['run', lab, '--sandbox', '--runs-dir', runsDir, ...SETS, ...flags]);
      assert.equal(refused.exitCode, 2, `${flags.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, pattern);
      assert.doesNotMatch(refused.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    }
    // A changed step before --from is named; so is an input a restored step read.
    const fixed = readFileSync(lab, 'utf8').replace(WRONG, RIGHT);
    writeFileSync(
      lab,
      fixed.replace(
        'query: CHECKSUM TABLE sbtest1\n    capture:\n      sourceChecksum:',
        'query: CHECKSUM TABLE sbtest1 EXTENDED\n    capture:\n      sourceChecksum:',
      ),
    );
    const changed = await labrun([
      'run',
      lab,
      '--sandbox',
      '--runs-dir',
      runsDir,
      ...SETS,
      '--from',
      'restored-matches-source',
    ]);
    assert.equal(changed.exitCode, 2, changed.stderr);
    assert.match(changed.stderr, new RegExp(`step checksum-source changed since run ${first.runId}`));
    assert.match(changed.stderr, /hint: Run from it instead: labrun run .* --from checksum-source/);
    writeFileSync(lab, fixed);
    const otherInput = await labrun([
      'run',
      lab,
      '--sandbox',
      '--runs-dir',
      runsDir,
      ...SETS,
      '--set',
      'cloneSuffix=other',
      '--from',
      'restored-matches-source',
    ]);
    assert.equal(otherInput.exitCode, 2, otherInput.stderr);
    assert.match(
      otherInput.stderr,
      /input cloneSuffix is "other" but run \S+ ran step clone-create with "clone"/,
    );
    assert.equal(readdirSync(runsDir).length, 1, 'refused runs made no run directory');

    // The fix: go on from the failed assertion. Nothing before it runs again; finally runs.
    const fromFailed = await labrun([
      'run',
      lab,
      '--sandbox',
      '--runs-dir',
      runsDir,
      ...SETS,
      '--from',
      'restored-matches-source',
    ]);
    assert.equal(fromFailed.exitCode, 0, `${fromFailed.stdout}\n${fromFailed.stderr}`);
    assert.match(
      fromFailed.stderr,
      new RegExp(
        `continuing run ${first.runId} from step restored-matches-source: \\d+ earlier steps restored`,
      ),
    );
    assert.match(
      fromFailed.stdout,
      new RegExp(
        `^\\[1-27/30\\] describe-source … source-unchanged \\.\\.\\. restored from run ${first.runId} \\(27 steps, not run again\\)$`,
        'm',
      ),
    );
    const secondDir = recordDir(fromFailed.stdout);
    assert.notEqual(secondDir, firstDir);
    const second = record(secondDir);
    const mainIds = second.steps.filter((s) => !s.cleanup).map((s) => s.id);
    assert.deepEqual(second.rerun?.restored, mainIds.slice(0, -1));
    assert.equal(second.rerun?.source, first.runId);
    for (const step of second.steps.filter((s) => !s.cleanup).slice(0, -1)) {
      assert.equal(step.restoredFrom, first.runId, step.id);
    }
    assert.equal(second.status, 'passed');
    assert.deepEqual(second.captures.cloneChecksum, first.captures.cloneChecksum);
    assert.ok(
      second.steps.find((s) => s.id === 'restored-matches-source')!.assertions.every((a) => a.passed),
    );
    assert.equal(clonesMade(), 1, 'the clone was made once, by the first run');
    // Its cleanup deleted the clone the restored step created: the guard knows it as this run's.
    for (const id of ['delete-clone-instance', 'delete-clone-cluster']) {
      const cleanup = second.steps.find((s) => s.id === id)!;
      assert.equal(cleanup.status, 'passed', id);
      assert.equal(cleanup.errorIgnored, undefined, `${id} deleted something`);
    }
    const secondJournal = readFileSync(join(secondDir, 'journal.jsonl'), 'utf8');
    assert.doesNotMatch(secondJournal, /"type":"step-started","stepId":"clone-create"/);
    await assertOnlySourceCluster(home);

    // --only: one step, with what cleanup deleted said up front; the steps after it and finally are skipped.
    const only = await labrun([
      'run',
      lab,
      '--sandbox',
      '--runs-dir',
      runsDir,
      ...SETS,
      '--only',
      'source-unchanged',
    ]);
    assert.equal(only.exitCode, 0, `${only.stdout}\n${only.stderr}`);
    assert.match(
      only.stderr,
      new RegExp(
        `note: cluster ${CLONE}, created by restored step clone-create, was (?:gone|being deleted) when run ${second.runId} ended`,
      ),
    );
    const third = record(recordDir(only.stdout));
    assert.equal(third.rerun?.source, second.runId);
    assert.equal(third.steps.find((s) => s.id === 'restored-matches-source')!.status, 'skipped');
    assert.equal(third.steps.find((s) => s.id === 'delete-clone-cluster')!.status, 'skipped');
    assert.equal(third.steps.find((s) => s.id === 'source-unchanged')!.status, 'passed');
    assert.equal(third.captures.sourceChecksumAfter, first.captures.sourceChecksum);
    await assertOnlySourceCluster(home);

    // show: the run's summary, then one step in full, then JSON.
    const summary = await labrun(['show', first.runId, '--runs-dir', runsDir]);
    assert.equal(summary.exitCode, 0, summary.stderr);
    assert.match(summary.stdout, /^failed \(exit 1\) in /m);
    assert.match(summary.stdout, /restored-matches-source\s+failed/);
    assert.match(summary.stdout, /The re-created table must differ from the source/);
    assert.match(summary.stdout, /dbPassword\s+\*\*\*\*/);
    assert.match(summary.stdout, /^ {2}finally:$/m);
    const rerunSummary = await labrun(['show', secondDir, '--runs-dir', runsDir]);
    assert.equal(rerunSummary.exitCode, 0, rerunSummary.stderr);
    assert.match(
      rerunSummary.stdout,
      new RegExp(
        `Continues run ${first.runId} from step restored-matches-source: 27 steps \\(describe-source … source-unchanged\\) restored from it, not run again`,
      ),
    );
    assert.match(rerunSummary.stdout, new RegExp(`clone-create\\s+passed\\s+restored from ${first.runId}`));

    const step = await labrun(['show', first.runId, 'checksum-clone', '--runs-dir', runsDir]);
    assert.equal(step.exitCode, 0, step.stderr);
    assert.match(step.stdout, /^Step checksum-clone \(sql\) of run \S+: passed in /m);
    assert.match(step.stdout, /^Input \(rendered\)\n[\s\S]*CHECKSUM TABLE sbtest1/m);
    assert.match(step.stdout, /^Result\n {2}\{\n[\s\S]*"Checksum": \d+/m);
    assert.match(
      step.stdout,
      new RegExp(`^Captures\\n {2}cloneChecksum {2}${first.captures.cloneChecksum}$`, 'm'),
    );
    const failedStep = await labrun(['show', first.runId, 'restored-matches-source', '--runs-dir', runsDir]);
    assert.match(
      failedStep.stdout,
      /^Error\n {2}.*aurora-clone-backtrack\.yaml:\d+:\d+: step restored-matches-source: /m,
    );
    assert.match(failedStep.stdout, /✘ The re-created table must differ from the source/);

    const json = await labrun(['show', first.runId, 'clone-describe', '--runs-dir', runsDir, '--json']);
    assert.equal(json.exitCode, 0, json.stderr);
    const described = JSON.parse(json.stdout) as { id: string; captures: Record<string, string> };
    assert.equal(described.id, 'clone-describe');
    assert.equal(described.captures.cloneEndpoint, first.captures.cloneEndpoint);
    const whole = JSON.parse(
      (await labrun(['show', first.runId, '--runs-dir', runsDir, '--json'])).stdout,
    ) as RunRecord;
    assert.deepEqual(whole.captures, first.captures);
    assert.match(
      (await labrun(['show', 'latest', '--runs-dir', runsDir])).stdout,
      new RegExp(`run ${third.runId}\\)`),
    );

    const unknown = await labrun(['show', first.runId, 'checksum-clon', '--runs-dir', runsDir]);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /has no step checksum-clon\n {2}hint: did you mean "checksum-clone"\?/);
    const outside = await labrun(['show', firstDir, '--runs-dir', join(work, 'elsewhere')]);
    assert.equal(outside.exitCode, 2);
    assert.match(outside.stderr, /is not inside the runs dir/);

    // plan shows the captures each step sets.
    const plan = await labrun(['plan', lab, '--sandbox', ...SETS]);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(
      plan.stdout,
      /clone-describe - Read the endpoint of the clone\n(?: {6}.*\n)* {6}captures cloneEndpoint, cloneEarliestBacktrackTime\n/,
    );
    assert.match(plan.stdout, /marker-before-drop[\s\S]*?captures beforeDrop\n/);
  });
});

describe('labrun run --from: refusals come before any target is reached', function () {
  this.timeout(120_000);
  let dir = '';
  after(async function () {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a changed earlier step is refused without starting the sandbox', async function () {
    dir = await mkdtemp(join(tmpdir(), 'labrun-rerun-early-'));
    const home = join(dir, 'sandbox-home');
    const file = join(dir, 'lab.yaml');
    const text = `name: early
steps:
  - id: one
    type: capture
    name: one
    value: "1"
  - id: two
    type: capture
    name: two
    value: "{{captures.one}}-2"
`;
    writeFileSync(file, text);
    writeFileSync(join(dir, 'outputs.json'), '{}');
    const env = {
      LABRUN_SANDBOX_HOME: home,
      LABRUN_SANDBOX_PORT: '0',
      LABRUN_SANDBOX_HOST_BASE: '127.0.104.1',
    };
    const first = await labrunCli(['run', file, '--outputs', join(dir, 'outputs.json')], { cwd: dir, env });
    assert.equal(first.exitCode, 0, first.stderr);
    writeFileSync(file, text.replace('value: "1"', 'value: "one"'));
    const refused = await labrunCli(['run', file, '--sandbox', '--from', 'two'], { cwd: dir, env });
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /^labrun: step one changed since run \S+; its result there cannot be restored$/m,
    );
    assert.ok(!existsSync(home), 'no sandbox was started');
    assert.equal(readdirSync(join(dir, 'runs')).length, 1);
  });
});
