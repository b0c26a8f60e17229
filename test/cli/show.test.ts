/**
 * `labrun show RUN [STEP]` on runs of a runbook that handles a secret: the secret never appears (results,
 * captures, assertion sides and error messages show `****`), JSON is the record itself, a run still going is
 * shown from its journal, and a bad run or step name is exit 2 with a did-you-mean. Secrets are audited in
 * every output by labrun-cli.ts as well.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord, StepRecord } from '../../src/engine/record.js';
import { labrun as labrunCli, type LabrunProcess } from '../helpers/labrun-cli.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const SECRET = 'cli-Secret-Value-42';

const RUNBOOK = `name: show-me
inputs:
  token: { secret: true, env: LAB_TOKEN }
  greeting: { default: hello }
steps:
  - id: make
    title: Build a value holding the token
    type: capture
    name: secretish
    value: "{{inputs.greeting}} {{inputs.token}}"
  - id: check
    type: assert
    that:
      - actual: "{{captures.secretish}}"
        equals: "{{inputs.greeting}} not-{{inputs.token}}"
        message: the token must be negated
finally:
  - id: tidy
    type: capture
    name: tidied
    value: "{{inputs.token}}!"
`;

describe('labrun show', function () {
  this.timeout(120_000);
  let ws: Workspace;
  let file = '';
  let runsDir = '';
  let runId = '';
  const labrun = (args: string[]): LabrunProcess =>
    labrunCli(args, { cwd: ws.dir, env: { LAB_TOKEN: SECRET } });

  before(async function () {
    ws = await workspace();
    file = await ws.write({ 'show.yaml': RUNBOOK, 'outputs.json': '{}' });
    runsDir = join(ws.dir, 'runs');
    const run = await labrun(['run', file, '--outputs', join(ws.dir, 'outputs.json'), '--runs-dir', runsDir]);
    assert.equal(run.exitCode, 1, `${run.stdout}\n${run.stderr}`);
    runId = readdirSync(runsDir)[0]!;
  });
  after(async function () {
    await ws?.remove();
  });

  it('prints the summary and each step with the secret masked everywhere', async function () {
    const summary = await labrun(['show', runId, '--runs-dir', runsDir]);
    assert.equal(summary.exitCode, 0, summary.stderr);
    assert.match(summary.stdout, /^show-me \(.*show\.yaml, run \S+\)$/m);
    assert.match(summary.stdout, /^failed \(exit 1\) in \S+, started /m);
    assert.match(summary.stdout, /^ {2}token {5}\*\*\*\*$/m);
    assert.match(summary.stdout, /^ {2}\[1\/3\] make {3}passed {3}\d+ms$/m);
    assert.match(summary.stdout, /^ {2}\[2\/3\] check {2}failed {3}\d+ms$/m);
    assert.match(summary.stdout, /show\.yaml:\d+:\d+: the token must be negated/);
    assert.match(summary.stdout, /^ {2}secretish {2}hello \*\*\*\*$/m);
    assert.match(summary.stdout, /^ {2}✘ check: the token must be negated$/m);

    const make = await labrun(['show', runId, 'make', '--runs-dir', runsDir]);
    assert.equal(make.exitCode, 0, make.stderr);
    assert.match(make.stdout, /^Step make \(capture\) of run \S+: passed in /m);
    assert.match(make.stdout, /^ {2}Build a value holding the token$/m);
    assert.match(
      make.stdout,
      /^Result\n {2}\{\n {4}"name": "secretish",\n {4}"value": "hello \*\*\*\*"\n {2}\}$/m,
    );
    assert.match(make.stdout, /^Captures\n {2}secretish {2}hello \*\*\*\*$/m);

    const check = await labrun(['show', runId, 'check', '--runs-dir', runsDir]);
    assert.match(check.stdout, /^ {6}actual: {3}hello \*\*\*\*$/m);
    assert.match(check.stdout, /^ {6}equals {4}hello not-\*\*\*\*$/m);
    assert.match(check.stdout, /^Error\n {2}.*show\.yaml:\d+:\d+: step check: the token must be negated/m);

    for (const output of [summary, make, check]) {
      assert.ok(!output.stdout.includes(SECRET) && !output.stderr.includes(SECRET));
    }
  });

  it('--json prints the record or the step record', async function () {
    const whole = await labrun(['show', runId, '--runs-dir', runsDir, '--json']);
    assert.equal(whole.exitCode, 0, whole.stderr);
    const record = JSON.parse(whole.stdout) as RunRecord;
    const onDisk = JSON.parse(readFileSync(join(runsDir, runId, 'record.json'), 'utf8')) as RunRecord;
    assert.deepEqual(record, onDisk);
    const step = JSON.parse(
      (await labrun(['show', runId, 'tidy', '--json', '--runs-dir', runsDir])).stdout,
    ) as StepRecord;
    assert.equal(step.id, 'tidy');
    assert.equal(step.cleanup, true);
    assert.deepEqual(step.captures, { tidied: '****!' });
  });

  it('shows a run from its journal while it has not finished, and refuses bad names with exit 2', async function () {
    // A run cut off after its first step: the journal has no run-finished, record.json may lag behind.
    const cut = join(runsDir, 'cut-run');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cut);
    const lines = readFileSync(join(runsDir, runId, 'journal.jsonl'), 'utf8')
      .trimEnd()
      .split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"step-started","stepId":"check"'));
    writeFileSync(join(cut, 'journal.jsonl'), `${lines.slice(0, at + 1).join('\n')}\n`);
    const running = await labrun(['show', 'cut-run', '--runs-dir', runsDir]);
    assert.equal(running.exitCode, 0, running.stderr);
    assert.match(running.stdout, /^running, started /m);
    assert.match(running.stdout, /\[2\/3\] check {2}running$/m);
    assert.match(running.stdout, /\[3\/3\] tidy {3}pending {2}not reached$/m);
    const runningStep = await labrun(['show', 'cut-run', 'check', '--runs-dir', runsDir]);
    assert.match(runningStep.stdout, /Started, not finished/);

    assert.match(running.stdout, /^Journal: .*cut-run\/journal\.jsonl$/m);
    assert.match(running.stdout, /^One step: labrun show cut-run STEP$/m);
    const latest = await labrun(['show', 'latest', '--runs-dir', runsDir]);
    assert.match(latest.stdout, /^Journal: .*cut-run\/journal\.jsonl$/m);

    const mistakes: Array<[string[], RegExp]> = [
      [['show', runId, 'chek', '--runs-dir', runsDir], /has no step chek\n {2}hint: did you mean "check"\?/],
      [['show', 'no-such-run', '--runs-dir', runsDir], /no run no-such-run/],
      [['show', join(runsDir, runId), '--runs-dir', join(ws.dir, 'other')], /is not inside the runs dir/],
      [['show', 'latest', '--runs-dir', join(ws.dir, 'empty')], /no run in /],
      [['show'], /missing required argument 'run'/],
    ];
    for (const [args, pattern] of mistakes) {
      const refused = await labrun(args);
      assert.equal(refused.exitCode, 2, `${args.join(' ')}: ${refused.stderr}`);
      assert.match(refused.stderr, pattern);
    }
  });
});
