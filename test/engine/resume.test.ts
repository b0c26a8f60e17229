import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/engine/errors.js';
import { MASK } from '../../src/engine/mask.js';
import { latestUnfinishedRun, readJournal, resumeRun } from '../../src/engine/resume.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const RUNBOOK = `name: resume-engine
inputs:
  token: { secret: true, env: TOKEN }
  label: { default: plain }
steps:
  - id: first
    type: capture
    name: first
    value: "{{inputs.label}}-one"
  - id: second
    type: capture
    name: second
    value: "{{captures.first}}-two"
  - id: wait
    type: wait-until
    duration: 10ms
  - id: third
    type: capture
    name: third
    value: "{{captures.second}}-{{captures.first}}"
finally:
  - id: tidy
    type: capture
    name: tidied
    value: "{{captures.third}}"
`;

/** Keeps the journal up to (not including) the step-started of `stepId`, plus that start when `started`. */
function cutJournal(path: string, stepId: string, started: boolean): void {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  const at = lines.findIndex((line) => line.includes(`"type":"step-started","stepId":"${stepId}"`));
  assert.ok(at > 0);
  writeFileSync(path, `${lines.slice(0, started ? at + 1 : at).join('\n')}\n`);
}

describe('resumeRun', function () {
  let ws: Workspace;
  beforeEach(async function () {
    ws = await workspace();
  });
  afterEach(async function () {
    await ws.remove();
  });

  it('continues from the first unfinished step with earlier captures restored and secrets masked', async function () {
    const env = { TOKEN: 'tok-Very-Secret-1' };
    const first = await ws.run(RUNBOOK, {
      env,
      resume: { runbook: 'x.yaml', set: { token: 'tok-Very-Secret-1', label: 'L' } },
    });
    const runDir = first.record.runDir;
    cutJournal(first.journalPath, 'wait', true);
    // A capture the resumed run cannot recompute proves the restored value is used, not a fresh one.
    const lines = readFileSync(first.journalPath, 'utf8').replace(/plain-one-two/g, 'restored-two');
    writeFileSync(first.journalPath, lines);
    assert.equal(latestUnfinishedRun(join(ws.dir, 'runs')), runDir);

    const events: string[] = [];
    const resumed = await resumeRun(first.runbook, runDir, {
      inputs: { token: 'tok-Very-Secret-1', label: 'plain' },
      env,
      onEvent: (event) => events.push(`${event.type}:${'stepId' in event ? event.stepId : ''}`),
    });
    assert.equal(resumed.record.status, 'passed');
    assert.equal(resumed.record.runId, first.record.runId);
    assert.equal(resumed.record.captures.third, 'restored-two-plain-one');
    assert.equal(resumed.record.captures.tidied, 'restored-two-plain-one');
    assert.ok(!events.includes('step-started:first'));
    assert.ok(!events.includes('step-started:second'));
    assert.ok(events.includes('step-started:wait'));
    const journal = readJournal(runDir);
    assert.ok(journal.finished);
    assert.equal(journal.events.filter((e) => e.type === 'run-started').length, 1);
    assert.equal(journal.settings?.set.label, 'L');
    assert.equal(journal.settings?.set.token, MASK);
    assert.ok(!readFileSync(first.journalPath, 'utf8').includes('tok-Very-Secret-1'));
    assert.equal(latestUnfinishedRun(join(ws.dir, 'runs')), undefined);
  });

  it('refuses a finished run, a changed outline and a changing step cut off mid-way', async function () {
    const done = await ws.run(RUNBOOK, { env: { TOKEN: 't' } });
    await assert.rejects(
      resumeRun(done.runbook, done.record.runDir, { inputs: { token: 't' } }),
      (error: unknown) => error instanceof UsageError && /has finished/.test(error.message),
    );

    cutJournal(done.journalPath, 'third', false);
    const changed = await ws.compile(RUNBOOK.replace('id: third', 'id: renamed'));
    await assert.rejects(
      resumeRun(changed, done.record.runDir, { inputs: { token: 't' } }),
      (error: unknown) => error instanceof UsageError && /no longer match/.test(error.message),
    );

    const sql = `name: resume-sql
steps:
  - id: change
    type: sql
    connection: db
    query: UPDATE t SET n = n + 1
connections:
  db: { host: 127.0.0.1, user: u, password: p, database: d }
`;
    const runbook = await ws.compile(sql);
    const runDir = join(ws.dir, 'runs', 'cut-sql');
    const { openRunStore } = await import('../../src/engine/run-store.js');
    const store = openRunStore(join(ws.dir, 'runs'), 'cut-sql');
    store.appendEvent({
      type: 'run-started',
      runId: 'cut-sql',
      runbook: { file: runbook.file, name: runbook.name },
      startedAt: new Date().toISOString(),
      inputs: {},
      steps: [{ id: 'change', type: 'sql', cleanup: false, span: 'x:1:1' }],
      runDir,
    });
    store.appendEvent({
      type: 'step-started',
      stepId: 'change',
      index: 1,
      total: 1,
      startedAt: new Date().toISOString(),
    });
    store.close();
    await assert.rejects(
      resumeRun(runbook, runDir, { inputs: {} }),
      (error: unknown) =>
        error instanceof UsageError && /step change \(sql\) was cut off mid-way/.test(error.message),
    );
    assert.ok(!readJournal(runDir).finished, 'a refused resume writes nothing');
  });
});
