/**
 * Two runs against the same stack at once. Two `labrun run` processes of the Part 3 lab started at the same
 * moment against one sandbox, with the same runs directory: with different clone suffixes both pass, each
 * with its own journal, record and clone (the sandbox's log shows each clone backtracked only by its own run);
 * with the same suffix exactly one passes and the other fails clearly, and the loser's cleanup is refused by
 * the destructive-step guard instead of deleting the clone the winner is using. Also: run directories are
 * claimed exclusively, so runs started in the same second never share a journal, even across processes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa, type Result } from 'execa';
import type { RunEvent, StepFinishedEvent } from '../../src/engine/events.js';
import type { RunRecord } from '../../src/engine/record.js';
import { readJournal } from '../../src/engine/resume.js';
import { createRunStore, newRunId } from '../../src/engine/run-store.js';
import { daemonPaths } from '../../src/sandbox/control/daemon-files.js';
import { labrun, MAIN } from '../helpers/labrun-cli.js';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';

const LAB = 'runbooks/aurora-clone-backtrack.yaml';
const SOURCE = 'auroralab-mysql-cluster';
const SETS = ['--set', 'pollInterval=200ms', '--set', 'pollMaxInterval=1s', '--set', 'tableSize=2000'];
const RUN_ID = /^\d{8}T\d{6}Z-aurora-clone-backtrack-[0-9a-f]{4}$/;

interface LabRun {
  result: Result;
  runId: string;
  runDir: string;
  record: RunRecord;
  events: RunEvent[];
}

/** The step ids of the lab, `finally` included, in order, as the first run-started lists them. */
function stepIdsOf(events: RunEvent[]): string[] {
  const started = events.find((event) => event.type === 'run-started');
  return started?.type === 'run-started' ? started.steps.map((step) => step.id) : [];
}

function finished(run: LabRun, stepId: string): StepFinishedEvent {
  const event = run.events.find(
    (e): e is StepFinishedEvent => e.type === 'step-finished' && e.stepId === stepId,
  );
  assert.ok(event, `run ${run.runId} journaled the end of ${stepId}`);
  return event;
}

/** The journal's invariants for one run that was never cut off: one start, one end, each step once, in order. */
function assertOwnJournal(run: LabRun, other: LabRun | undefined): void {
  const { events, runId } = run;
  assert.equal(events.filter((e) => e.type === 'run-started').length, 1, `${runId}: one run-started`);
  assert.equal(events.filter((e) => e.type === 'run-finished').length, 1, `${runId}: one run-finished`);
  assert.equal(events[0]?.type, 'run-started', `${runId}: the journal starts with run-started`);
  assert.equal(events.at(-1)?.type, 'run-finished', `${runId}: the journal ends with run-finished`);
  const first = events[0];
  assert.ok(first?.type === 'run-started');
  assert.equal(first.runId, runId, 'the journal names its own run');
  assert.equal(first.runDir, run.runDir);
  const ids = stepIdsOf(events);
  const ended = events.filter((e): e is StepFinishedEvent => e.type === 'step-finished').map((e) => e.stepId);
  assert.deepEqual(ended, ids, `${runId}: every step of the lab finished once, in order, and nothing else`);
  const started = events.filter((e) => e.type === 'step-started').map((e) => ('stepId' in e ? e.stepId : ''));
  assert.equal(new Set(started).size, started.length, `${runId}: no step started twice`);
  if (other) {
    const text = readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8');
    assert.ok(!text.includes(other.runId), `${runId}'s journal never mentions ${other.runId}`);
  }
}

describe('two runs of the Part 3 lab against one sandbox at once', function () {
  this.timeout(600_000);
  let home = '';
  let work = '';
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.34.1',
  });

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'labrun-concurrent-home-'));
    work = await mkdtemp(join(tmpdir(), 'labrun-concurrent-runs-'));
    const up = await labrun(['sandbox', 'up', '--table-size', '2000'], { env: env(), timeout: 300_000 });
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${String(up.stdout)}\n${String(up.stderr)}`);
  });

  after(async function () {
    if (home) {
      await labrun(['sandbox', 'down', '--purge'], { env: env() });
      await rm(home, { recursive: true, force: true });
    }
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Starts one lab run per suffix in the same tick, all writing to `runs`; resolves when all have ended. */
  async function runTogether(runs: string, suffixes: string[]): Promise<LabRun[]> {
    const before = new Set(existsSync(runs) ? readdirSync(runs) : []);
    const children = suffixes.map((suffix) =>
      labrun(['run', LAB, '--sandbox', '--runs-dir', runs, ...SETS, '--set', `cloneSuffix=${suffix}`], {
        env: env(),
        timeout: 300_000,
      }),
    );
    const results = await Promise.all(children);
    const dirs = readdirSync(runs).filter((name) => !before.has(name));
    assert.equal(dirs.length, suffixes.length, `one new run directory per run: ${dirs.join(', ')}`);
    return results.map((result) => {
      // Each run prints its id on its first line: "<title> (<file>, run <id>)".
      const runId = /, run (\S+)\)$/m.exec(String(result.stdout))?.[1] ?? '';
      assert.match(
        runId,
        RUN_ID,
        `the run printed its id:\n${String(result.stdout)}\n${String(result.stderr)}`,
      );
      assert.ok(dirs.includes(runId), `${runId} has its own directory`);
      const runDir = join(runs, runId);
      const record = JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as RunRecord;
      return { result, runId, runDir, record, events: readJournal(runDir).events };
    });
  }

  function daemonLog(): string[] {
    return readFileSync(daemonPaths(home).log, 'utf8').split('\n');
  }

  it('with different clone suffixes: both pass, each with its own journal, record and clone', async () => {
    const runs = join(work, 'distinct');
    const logStart = daemonLog().length;
    const [a, b] = await runTogether(runs, ['a', 'b']);
    assert.ok(a && b);
    assert.notEqual(a.runId, b.runId);
    for (const [run, other, suffix] of [
      [a, b, 'a'],
      [b, a, 'b'],
    ] as const) {
      const output = `${String(run.result.stdout)}\n${String(run.result.stderr)}`;
      assert.equal(run.result.exitCode, 0, output);
      assert.equal(run.record.runId, run.runId);
      assert.equal(run.record.status, 'passed');
      assert.equal(run.record.exitCode, 0);
      assert.ok(
        run.record.steps.every((step) => step.status === 'passed'),
        'every step passed',
      );
      assertOwnJournal(run, other);

      // Its clone, and only its clone, is in its journal and record.
      const clone = `${SOURCE}-${suffix}`;
      const otherClone = `${SOURCE}-${suffix === 'a' ? 'b' : 'a'}`;
      assert.deepEqual(finished(run, 'clone-create').created, [{ kind: 'cluster', id: clone }]);
      assert.deepEqual(finished(run, 'clone-create-instance').created, [
        { kind: 'instance', id: `${clone}-instance` },
      ]);
      const journal = readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8');
      assert.ok(!journal.includes(`"${otherClone}`), `${run.runId} never touched ${otherClone}`);
      // Checked after finally: being deleted, or gone already (how far the deletion got varies).
      assert.deepEqual(
        run.record.resources?.created
          .map((r) => `${r.kind} ${r.id} ${r.state === 'gone' ? 'deleting' : r.state}`)
          .sort(),
        [`cluster ${clone} deleting`, `instance ${clone}-instance deleting`],
      );
      assert.deepEqual(run.record.resources?.leaked, []);

      // The data it saw was its own clone's: equal to the source, rewound correctly by its own backtracks.
      const c = run.record.captures;
      assert.match(String(c.sourceChecksum), /^\d+$/);
      assert.equal(c.cloneChecksum, c.sourceChecksum, 'the clone equals the source');
      assert.notEqual(c.repreparedChecksum, c.sourceChecksum, 'the re-created table differs');
      assert.equal(c.restoredChecksum, c.sourceChecksum, 'the second backtrack brought the data back');
      assert.equal(c.sourceChecksumAfter, c.sourceChecksum, 'the source was not written to');
      assert.equal(finished(run, 'table-missing').status, 'passed', 'the first backtrack removed sbtest1');
    }
    assert.equal(a.record.captures.sourceChecksum, b.record.captures.sourceChecksum);
    assert.notEqual(
      a.record.captures.cloneEndpoint,
      b.record.captures.cloneEndpoint,
      'each clone has its own endpoint',
    );

    // The sandbox saw exactly two backtracks of each clone, each asked for by the run that owns the clone.
    const log = daemonLog().slice(logStart);
    for (const [run, suffix] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const clone = `${SOURCE}-${suffix}`;
      const asked = log
        .filter((line) => line.includes(`cluster ${clone}: backtrack `))
        .map((line) => /: backtrack \S+ to (\S+)$/.exec(line)?.[1]);
      const rendered = ['after-drop-backtrack', 'before-drop-backtrack'].map((id) => {
        const step = run.record.steps.find((s) => s.id === id);
        const params = (step?.rendered as { params?: { BacktrackTo?: string } } | undefined)?.params;
        return new Date(String(params?.BacktrackTo)).toISOString();
      });
      assert.deepEqual(asked, rendered, `${clone} was backtracked twice, to the times its own run asked for`);
      assert.equal(log.filter((line) => line.includes(`cluster ${clone}: deleting`)).length, 1);
    }
    await assertOnlySourceCluster(home);
  });

  it('with the same clone suffix: one passes, the other fails clearly and does not delete the clone it did not make', async () => {
    const runs = join(work, 'same');
    const logStart = daemonLog().length;
    const both = await runTogether(runs, ['same', 'same']);
    const clone = `${SOURCE}-same`;
    const winners = both.filter((run) => run.result.exitCode === 0);
    const losers = both.filter((run) => run.result.exitCode !== 0);
    const summary = both.map(
      (run) => `${run.runId}: exit ${run.result.exitCode}\n${String(run.result.stderr)}`,
    );
    assert.equal(winners.length, 1, `exactly one run passes:\n${summary.join('\n')}`);
    assert.equal(losers.length, 1, `exactly one run fails:\n${summary.join('\n')}`);
    const [winner, loser] = [winners[0]!, losers[0]!];

    // The winner ran the whole lab on the clone and deleted it itself.
    assert.equal(winner.record.status, 'passed');
    assertOwnJournal(winner, loser);
    assert.equal(winner.record.captures.restoredChecksum, winner.record.captures.sourceChecksum);
    const deleted = finished(winner, 'delete-clone-cluster');
    assert.equal(deleted.status, 'passed');
    assert.equal(deleted.errorIgnored, undefined, 'the clone was still there for its owner to delete');
    assert.equal((deleted.result as { DBCluster?: { Status?: string } }).DBCluster?.Status, 'deleting');

    // The loser: a clear failure of clone-create, exit 3, no stack trace.
    const stderr = String(loser.result.stderr);
    assert.equal(loser.result.exitCode, 3, stderr);
    assert.equal(loser.record.status, 'failed');
    assert.equal(loser.record.exitCode, 3);
    assertOwnJournal(loser, winner);
    const create = finished(loser, 'clone-create');
    assert.equal(create.status, 'failed');
    assert.equal(create.error?.code, 'DBClusterAlreadyExistsFault');
    assert.match(stderr, new RegExp(`DBClusterAlreadyExistsFault: DB Cluster ${clone} already exists`));
    assert.doesNotMatch(stderr, /\n\s+at \S/, 'no stack trace');
    assert.equal(loser.record.resources?.created.length ?? 0, 0, 'the loser created nothing');

    // Its cleanup was refused by the guard: nothing was called on the winner's clone or instance. The
    // winner's instance may not exist yet when the loser's finally runs: that delete is then skipped, since
    // there is nothing to delete (the guard looked it up), and again nothing is called.
    for (const [stepId, operation, id] of [
      ['delete-clone-instance', 'DeleteDBInstance', `${clone}-instance`],
      ['delete-clone-cluster', 'DeleteDBCluster', clone],
    ] as const) {
      const step = finished(loser, stepId);
      if (stepId === 'delete-clone-instance' && step.status === 'skipped') {
        assert.equal(step.reason, `nothing to delete: ${id} does not exist`);
        assert.equal(step.result, undefined, 'nothing was called');
        continue;
      }
      assert.equal(step.status, 'failed');
      assert.equal(step.error?.code, 'DestructiveStepRefused');
      assert.equal(step.result, undefined, 'no API answer: nothing was called');
      assert.match(
        stderr,
        new RegExp(`refused to call ${operation} on \\w+ "${id}": this run did not create it`),
      );
    }

    // The hint does not suggest what would destroy the other run's clone.
    assert.match(
      finished(loser, 'delete-clone-cluster').error?.hint ?? '',
      /existed before this run \(creating it failed\): it may be another run's/,
    );

    // The sandbox deleted the clone and its instance once each, after the winner's last backtrack.
    const log = daemonLog().slice(logStart);
    const at = (pattern: string) => log.findIndex((line) => line.includes(pattern));
    assert.equal(log.filter((line) => line.includes(`cluster ${clone}: deleting`)).length, 1);
    assert.equal(log.filter((line) => line.includes(`instance ${clone}-instance: deleting`)).length, 1);
    const lastBacktrack = log.findLastIndex((line) => line.includes(`cluster ${clone}: backtracked to`));
    assert.ok(lastBacktrack >= 0 && lastBacktrack < at(`instance ${clone}-instance: deleting`));
    await assertOnlySourceCluster(home);
  });
});

describe('run directories of runs started in the same second', function () {
  this.timeout(120_000);
  let work = '';
  const now = new Date('2026-11-23T09:35:01.250Z');

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'labrun-run-ids-'));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('never hands out one run id twice in a process', () => {
    // 5,000 ids of one name in one second: with 65,536 suffixes, random draws alone would repeat.
    const ids = Array.from({ length: 5000 }, () => newRunId('same-second', now));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^20261123T093501Z-same-second-[0-9a-f]{4}$/);
  });

  it('draws another id when a run directory is already taken, and gives up after a bounded number of tries', () => {
    const runs = join(work, 'taken');
    mkdirSync(join(runs, 'taken-0001'), { recursive: true });
    const drawn = ['taken-0001', 'taken-0001', 'taken-0002'];
    const store = createRunStore(runs, 'taken', now, () => drawn.shift()!);
    store.close();
    assert.equal(store.runId, 'taken-0002');
    assert.equal(store.dir, join(runs, 'taken-0002'));
    assert.deepEqual(drawn, []);
    assert.throws(
      () => createRunStore(runs, 'taken', now, () => 'taken-0001'),
      (error: NodeJS.ErrnoException) => error.code === 'EEXIST',
    );
  });

  it('gives every run its own directory when two processes start many runs in the same second', async () => {
    const runs = join(work, 'processes');
    const perProcess = 400;
    const store = pathToFileURL(join(process.cwd(), 'dist/engine/run-store.js')).href;
    assert.ok(existsSync(MAIN), 'dist/ is built');
    // Both children start claiming at the same instant, with the same clock reading, so their ids share the
    // stamp and only the 4-hex suffix tells them apart: a few of the 2 x 400 draws collide across processes.
    const startAt = Date.now() + 1500;
    const child = (tag: string) =>
      execa(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { createRunStore } = await import(${JSON.stringify(store)});
           while (Date.now() < ${startAt});
           for (let i = 0; i < ${perProcess}; i++) {
             const s = createRunStore(${JSON.stringify(runs)}, 'same-second', new Date(${now.getTime()}));
             s.appendEvent({ type: 'run-resumed', resumedAt: '${tag}-' + i });
             s.close();
           }`,
        ],
        { timeout: 60_000 },
      );
    const [one, two] = await Promise.all([child('one'), child('two')]);
    assert.equal(one.exitCode, 0, String(one.stderr));
    assert.equal(two.exitCode, 0, String(two.stderr));
    const dirs = readdirSync(runs);
    assert.equal(dirs.length, 2 * perProcess, 'one directory per run');
    const owners = new Set<string>();
    for (const dir of dirs) {
      assert.match(dir, /^20261123T093501Z-same-second-[0-9a-f]{4}$/);
      const lines = readFileSync(join(runs, dir, 'journal.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.equal(lines.length, 1, `${dir} holds one run's journal`);
      owners.add((JSON.parse(lines[0]!) as { resumedAt: string }).resumedAt);
    }
    assert.equal(owners.size, 2 * perProcess, 'every run wrote to its own journal');
  });
});
