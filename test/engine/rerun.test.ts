/**
 * Continuing an earlier run from a step (prepareRerun + the interpreter's `rerun` option): the steps before it
 * are restored from the source run's journal and not run, a new run id is used and the record says what was
 * restored; --only skips the rest (and finally unless asked); each mismatch between the runbook and the
 * source run is refused naming the first step or input that differs. A rerun that is cut off resumes with
 * its selection intact.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors.js';
import type { RunEvent } from '../../src/engine/events.js';
import { runRunbook, type RunResult } from '../../src/engine/interpreter.js';
import { junitXml } from '../../src/engine/junit.js';
import { planRunbook } from '../../src/engine/plan.js';
import { latestRunOf, prepareRerun, type RerunRequest } from '../../src/engine/rerun.js';
import { readJournal, resumeRun } from '../../src/engine/resume.js';
import { stepDigest } from '../../src/engine/step-digest.js';
import type { CompiledRunbook } from '../../src/runbook/types.js';
import { workspace, type Workspace } from '../helpers/runbook.js';
import { auditDir, auditText, noteEngineRun } from '../helpers/secret-audit.js';

const SECRET = 'tok-Very-Secret-1';

const RUNBOOK = `name: rerun-engine
inputs:
  token: { secret: true, env: TOKEN }
  label: { default: plain }
  late: { default: later }
  never: { default: "" }
steps:
  - id: first
    type: capture
    name: first
    value: "{{inputs.label}}-one"
  - id: maybe
    type: capture
    if: "{{inputs.never}}"
    name: never
    value: "x"
  - id: second
    type: capture
    name: second
    value: "{{captures.first}}-two"
  - id: check
    type: assert
    that:
      - actual: "{{captures.second}}"
        equals: "{{inputs.label}}-one-two"
  - id: third
    type: capture
    name: third
    value: "{{captures.second}}-{{inputs.late}}"
  - id: fourth
    type: capture
    name: fourth
    value: "{{captures.third}}-four"
finally:
  - id: tidy
    type: capture
    name: tidied
    value: "{{captures.first}}"
`;

/** The runbook; `maybe` is skipped by its own `if` (an input that is never truthy). */
function runbookText(): string {
  return RUNBOOK;
}

describe('labrun run --from / --only (engine)', function () {
  let ws: Workspace;
  const env = { TOKEN: SECRET };
  const inputs = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    token: SECRET,
    label: 'plain',
    late: 'later',
    never: '',
    ...extra,
  });

  beforeEach(async function () {
    ws = await workspace();
  });
  afterEach(async function () {
    await ws.remove();
  });

  /** Checks and runs a rerun of `runbook` from the run in `sourceDir`, auditing what it writes. */
  async function rerun(
    runbook: CompiledRunbook,
    sourceDir: string,
    request: RerunRequest,
    values = inputs(),
  ): Promise<RunResult & { events: RunEvent[] }> {
    const prepared = prepareRerun(runbook, sourceDir, request, values);
    const events: RunEvent[] = [];
    const runsDir = join(ws.dir, 'runs');
    try {
      const result = await runRunbook(runbook, {
        inputs: values,
        runsDir,
        env,
        onEvent: (event) => events.push(event),
        rerun: { settings: prepared.settings, restore: prepared.restore },
      });
      return { ...result, events };
    } finally {
      noteEngineRun();
      auditText(`rerun of ${runbook.name} (events)`, JSON.stringify(events));
      auditDir(runsDir);
    }
  }

  const refused = (pattern: RegExp) => (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, pattern);
    return true;
  };

  it('restores the steps before --from from the source journal, runs the rest under a new run id', async function () {
    const source = await ws.run(runbookText(), { env, set: { label: 'plain' } });
    assert.equal(source.record.status, 'passed');
    // A value the rerun cannot compute proves the restored capture is used, not a fresh one.
    const journal = readFileSync(source.journalPath, 'utf8');
    writeFileSync(source.journalPath, journal.replaceAll('plain-one-two', 'restored-two'));

    const runbook = await ws.compile(
      runbookText().replace('equals: "{{inputs.label}}-one-two"', 'equals: "restored-two"'),
    );
    const result = await rerun(runbook, source.record.runDir, { step: 'check', only: false, finally: false });
    const { record } = result;
    assert.equal(record.status, 'passed', JSON.stringify(record.steps));
    assert.notEqual(record.runId, source.record.runId);
    assert.deepEqual(record.rerun, {
      source: source.record.runId,
      from: 'check',
      restored: ['first', 'maybe', 'second'],
    });
    assert.equal(record.captures.second, 'restored-two');
    assert.equal(record.captures.third, 'restored-two-later');
    assert.equal(record.captures.tidied, 'plain-one');
    const byId = new Map(record.steps.map((s) => [s.id, s]));
    assert.equal(byId.get('first')!.restoredFrom, source.record.runId);
    assert.equal(byId.get('maybe')!.status, 'skipped', 'a step its own if skipped is restored as skipped');
    assert.equal(byId.get('maybe')!.restoredFrom, source.record.runId);
    assert.equal(byId.get('check')!.restoredFrom, undefined);
    assert.equal(byId.get('tidy')!.status, 'passed');
    const started = result.events.filter((e) => e.type === 'step-started').map((e) => e.stepId);
    assert.deepEqual(started, ['check', 'third', 'fourth', 'tidy']);
    // The source run is left as it was.
    assert.equal(readFileSync(source.journalPath, 'utf8').split('\n').length, journal.split('\n').length);
    assert.ok(!readFileSync(result.journalPath, 'utf8').includes(SECRET));

    const junit = junitXml(record);
    assert.match(
      junit,
      new RegExp(`<system-out>restored from run ${source.record.runId} \\(not run again\\)</system-out>`),
    );
    assert.match(junit, new RegExp(`<property name="continues" value="${source.record.runId}"`));

    // A rerun can itself be the source of the next one: its restored steps count as done there.
    const next = await rerun(runbook, record.runDir, { step: 'third', only: false, finally: false });
    assert.equal(next.record.status, 'passed');
    assert.deepEqual(next.record.rerun?.restored, ['first', 'maybe', 'second', 'check']);
    assert.equal(next.record.captures.second, 'restored-two');
    // The restored assertion is in the record, with both sides.
    assert.equal(next.record.steps.find((s) => s.id === 'check')!.assertions[0]!.actual, 'restored-two');
  });

  it('--only runs one step; the steps after it and finally are skipped unless --finally', async function () {
    const source = await ws.run(runbookText(), { env });
    const runbook = await ws.compile(runbookText());
    const only = await rerun(runbook, source.record.runDir, { step: 'third', only: true, finally: false });
    assert.equal(only.record.status, 'passed');
    const status = Object.fromEntries(only.record.steps.map((s) => [s.id, [s.status, s.notRun ?? false]]));
    assert.deepEqual(status, {
      first: ['passed', false],
      maybe: ['skipped', false],
      second: ['passed', false],
      check: ['passed', false],
      third: ['passed', false],
      fourth: ['skipped', true],
      tidy: ['skipped', true],
    });
    assert.match(only.record.steps.find((s) => s.id === 'tidy')!.reason!, /--only third without --finally/);
    assert.equal(only.record.captures.fourth, undefined);

    const withFinally = await rerun(runbook, source.record.runDir, {
      step: 'third',
      only: true,
      finally: true,
    });
    assert.equal(withFinally.record.steps.find((s) => s.id === 'fourth')!.status, 'skipped');
    assert.equal(withFinally.record.steps.find((s) => s.id === 'tidy')!.status, 'passed');
    assert.deepEqual(withFinally.record.rerun, {
      source: source.record.runId,
      from: 'third',
      only: true,
      finally: true,
      restored: ['first', 'maybe', 'second', 'check'],
    });

    // A step --only left out has no result to restore: continuing from after it is refused, naming it.
    assert.throws(
      () =>
        prepareRerun(runbook, only.record.runDir, { step: 'tidy', only: false, finally: false }, inputs()),
      refused(/finally step/),
    );
    const runbook2 = await ws.compile(
      `${runbookText().replace(
        'finally:',
        `  - id: fifth
    type: capture
    name: fifth
    value: "5"
finally:`,
      )}`,
    );
    assert.throws(
      () =>
        prepareRerun(runbook2, only.record.runDir, { step: 'fifth', only: false, finally: false }, inputs()),
      refused(/^step fourth did not run in run \S+ \(not selected \(--only third\)\)/),
    );
  });

  it('refuses an unknown step, a finally step, changed or failed earlier steps and changed inputs', async function () {
    const source = await ws.run(runbookText(), { env });
    const dir = source.record.runDir;
    const runbook = await ws.compile(runbookText());
    const request = (step: string): RerunRequest => ({ step, only: false, finally: false });

    assert.throws(
      () => prepareRerun(runbook, dir, request('thrid'), inputs()),
      (error: unknown) =>
        error instanceof UsageError && /has no step thrid/.test(error.message) && /"third"/.test(error.hint!),
    );
    assert.throws(
      () => prepareRerun(runbook, dir, request('tidy'), inputs()),
      refused(/tidy is a finally step/),
    );

    // The first changed step before --from is named, whatever changed after it.
    const changed = await ws.compile(
      runbookText().replace('"{{captures.first}}-two"', '"{{captures.first}}-2"').replace('-four', '-4'),
    );
    assert.throws(
      () => prepareRerun(changed, dir, request('fourth'), inputs()),
      refused(/^step second changed since run /),
    );
    // ... but the step --from names, and those after it, may change.
    assert.doesNotThrow(() => prepareRerun(changed, dir, request('second'), inputs()));

    // A title, a comment above or a moved line does not change a step; a new step before --from does.
    const retitled = await ws.compile(
      `# a comment\n${runbookText().replace('  - id: second\n', '  - id: second\n    title: The second one\n')}`,
    );
    assert.equal(stepDigest(retitled, retitled.steps[2]!), stepDigest(runbook, runbook.steps[2]!));
    assert.doesNotThrow(() => prepareRerun(retitled, dir, request('fourth'), inputs()));
    const inserted = await ws.compile(
      runbookText().replace(
        '  - id: second\n',
        '  - id: extra\n    type: capture\n    name: extra\n    value: e\n  - id: second\n',
      ),
    );
    assert.throws(
      () => prepareRerun(inserted, dir, request('third'), inputs()),
      refused(/^step extra is not where run \S+ had it \(there, step 3 was second\)/),
    );

    // A non-secret input a restored step reads must keep its value; one only later steps read may change.
    assert.throws(
      () => prepareRerun(runbook, dir, request('third'), inputs({ label: 'other' })),
      refused(/^input label is "other" but run \S+ ran step first with "plain"/),
    );
    assert.doesNotThrow(() => prepareRerun(runbook, dir, request('third'), inputs({ late: 'changed' })));
    assert.doesNotThrow(() =>
      prepareRerun(runbook, dir, request('third'), inputs({ token: 'another-token' })),
    );

    // Another runbook's run is not a source.
    const other = await ws.compile(runbookText().replace('name: rerun-engine', 'name: other-lab'));
    assert.throws(
      () => prepareRerun(other, dir, request('third'), inputs()),
      refused(/is a run of runbook rerun-engine/),
    );

    // A failed step has no result to restore; continuing from it (or before it) is the way.
    const failing = runbookText().replace('equals: "{{inputs.label}}-one-two"', 'equals: "nope"');
    const failed = await ws.run(failing, { env });
    assert.equal(failed.record.status, 'failed');
    const failingBook = await ws.compile(failing);
    assert.throws(
      () => prepareRerun(failingBook, failed.record.runDir, request('fourth'), inputs()),
      (error: unknown) =>
        error instanceof UsageError &&
        /^step check failed in run /.test(error.message) &&
        /--from check/.test(error.hint!),
    );
    assert.doesNotThrow(() => prepareRerun(failingBook, failed.record.runDir, request('check'), inputs()));
  });

  it('refuses a cut-off source (resume it instead) and picks the latest run of the same file', async function () {
    const file = await ws.write({ 'lab.yaml': runbookText() });
    const { compileRunbook } = await import('../../src/runbook/index.js');
    const runbook = (await compileRunbook(file)).runbook!;
    const runsDir = join(ws.dir, 'runs');
    const run = (): Promise<RunResult> =>
      runRunbook(runbook, {
        inputs: inputs(),
        runsDir,
        env,
        resume: { runbook: file, set: {} },
      }).finally(() => auditDir(runsDir));
    assert.equal(latestRunOf(runsDir, file), undefined);
    await ws.run(runbookText(), { env });
    assert.equal(latestRunOf(runsDir, file), undefined, 'a run of another file does not count');
    await run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await run();
    assert.equal(latestRunOf(runsDir, file)?.runDir, second.record.runDir);

    const lines = readFileSync(second.journalPath, 'utf8').trimEnd().split('\n');
    writeFileSync(second.journalPath, `${lines.filter((l) => !l.includes('"run-finished"')).join('\n')}\n`);
    assert.throws(
      () =>
        prepareRerun(runbook, second.record.runDir, { step: 'third', only: false, finally: false }, inputs()),
      refused(/was cut off and has not finished; continue it with labrun resume /),
    );
  });

  it('a rerun cut off mid-way resumes with its restored steps and its --only selection', async function () {
    const source = await ws.run(runbookText(), { env });
    const runbook = await ws.compile(runbookText());
    const only = await rerun(runbook, source.record.runDir, { step: 'third', only: true, finally: false });
    // Cut the rerun's journal just before `third` started, as a kill -9 at that point leaves it.
    const lines = readFileSync(only.journalPath, 'utf8').trimEnd().split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"step-started","stepId":"third"'));
    writeFileSync(only.journalPath, `${lines.slice(0, at).join('\n')}\n`);
    const resumed = await resumeRun(runbook, only.record.runDir, { inputs: inputs(), env });
    assert.equal(resumed.record.status, 'passed');
    assert.equal(resumed.record.runId, only.record.runId);
    assert.equal(resumed.record.captures.third, 'plain-one-two-later');
    const status = Object.fromEntries(resumed.record.steps.map((s) => [s.id, s.status]));
    assert.equal(status.fourth, 'skipped');
    assert.equal(status.tidy, 'skipped');
    assert.equal(resumed.record.steps[0]!.restoredFrom, source.record.runId);
    const events = readJournal(only.record.runDir).events;
    assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'first').length, 0);
  });

  it('--no-finally skips finally, also when the run is resumed', async function () {
    const runbook = await ws.compile(runbookText());
    const runsDir = join(ws.dir, 'runs');
    const kept = await runRunbook(runbook, { inputs: inputs(), runsDir, env, skipFinally: true });
    auditDir(runsDir);
    assert.equal(kept.record.status, 'passed');
    assert.equal(kept.record.skipFinally, true);
    const tidy = kept.record.steps.find((s) => s.id === 'tidy')!;
    assert.deepEqual(
      [tidy.status, tidy.reason, tidy.notRun],
      ['skipped', 'not selected (--no-finally)', true],
    );
    const lines = readFileSync(kept.journalPath, 'utf8').trimEnd().split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"step-started","stepId":"fourth"'));
    writeFileSync(kept.journalPath, `${lines.slice(0, at).join('\n')}\n`);
    const resumed = await resumeRun(runbook, kept.record.runDir, { inputs: inputs(), env });
    auditDir(runsDir);
    assert.equal(resumed.record.steps.find((s) => s.id === 'fourth')!.status, 'passed');
    assert.equal(resumed.record.steps.find((s) => s.id === 'tidy')!.status, 'skipped');
    assert.equal(resumed.record.captures.tidied, undefined);
  });

  it('plan lists the captures each step sets', async function () {
    const runbook = await ws.compile(`name: plan-captures
steps:
  - id: stamp
    type: capture
    name: marker
    value: "now"
  - id: read
    type: aws
    operation: DescribeDBClusters
    params: {}
    capture:
      endpoint: "{{result.DBClusters.0.Endpoint}}"
      status: "{{result.DBClusters.0.Status}}"
  - id: check
    type: assert
    that:
      - actual: "{{captures.marker}}"
        exists: true
`);
    const planned = planRunbook(runbook, { inputs: {} });
    assert.deepEqual(
      planned.map((s) => [s.id, s.captures]),
      [
        ['stamp', ['marker']],
        ['read', ['endpoint', 'status']],
        ['check', []],
      ],
    );
  });
});
