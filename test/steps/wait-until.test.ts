import assert from 'node:assert/strict';
import type { StepProgressEvent } from '../../src/engine/events.js';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { fakeClock, workspace, type Workspace } from '../helpers/runbook.js';

describe('wait-until steps with SQL probes (real MariaDB)', function () {
  this.timeout(120_000);
  let db: TestMariadb;
  let ws: Workspace;
  let set: Record<string, string>;

  const runbook = (name: string, wait: string): string => `name: ${name}
inputs:
  host: {}
  user: {}
  password: { secret: true }
  readyAt: { type: number, default: 0 }
connections:
  db:
    host: "{{inputs.host}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
steps:
  - id: wait
    type: wait-until
${wait}
`;

  before(async () => {
    db = await startMariadb();
    ws = await workspace();
    set = { host: db.host, user: db.user, password: db.password };
  });
  after(async () => {
    await db?.stop();
    await ws?.remove();
  });

  it('polls until the observed value is a success value, reporting progress', async () => {
    const readyAt = (Date.now() + 1500) / 1000;
    const { record, events } = await ws.run(
      runbook(
        'wait-success',
        `    probe:
      type: sql
      connection: db
      query: SELECT IF(UNIX_TIMESTAMP(NOW(6)) >= ?, 'available', 'creating') AS status
      params: ["{{inputs.readyAt}}"]
    value: "{{result.rows.0.status}}"
    success: [available]
    failure: [failed]
    interval: 200ms
    backoff: 1
    timeout: 20s`,
      ),
      { set: { ...set, readyAt: String(readyAt) } },
    );
    const step = record.steps[0]!;
    assert.equal(step.status, 'passed', step.error?.message);
    const result = step.result as { observed: string; polls: number; elapsedMs: number; rows: unknown[] };
    assert.equal(result.observed, 'available');
    assert.ok(result.polls >= 3, `polled ${result.polls} times`);
    assert.ok(result.elapsedMs >= 1000 && result.elapsedMs < 10_000);
    assert.deepEqual(result.rows, [{ status: 'available' }]);
    const progress = events.filter((e): e is StepProgressEvent => e.type === 'step-progress');
    assert.equal(progress[0]!.observed, 'creating');
    assert.equal(progress.at(-1)!.observed, 'available');
    assert.equal(progress.length, result.polls);
  });

  it('fails at once on a failure value', async () => {
    const started = Date.now();
    const { record } = await ws.run(
      runbook(
        'wait-failure',
        `    probe:
      type: sql
      connection: db
      query: SELECT 'incompatible-restore' AS status
    value: "{{result.rows.0.status}}"
    success: [available]
    failure: [failed, incompatible-restore]
    interval: 5s
    timeout: 10m`,
      ),
      { set },
    );
    assert.ok(Date.now() - started < 3000);
    const error = record.steps[0]!.error!;
    assert.equal(error.code, 'WaitFailed');
    assert.match(error.message, /reached failure value "incompatible-restore"/);
    assert.equal(record.exitCode, 3);
  });

  it('times out with the last observed value and the elapsed time', async () => {
    const { record } = await ws.run(
      runbook(
        'wait-timeout',
        `    probe:
      type: sql
      connection: db
      query: SELECT 'creating' AS status
    value: "{{result.rows.0.status}}"
    success: [available]
    interval: 100ms
    timeout: 700ms`,
      ),
      { set },
    );
    const error = record.steps[0]!.error!;
    assert.equal(error.code, 'WaitTimeout');
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /^timed out after \d+ms \(\d+ polls\); last observed value: "creating"$/);
    const elapsed = Number(/after (\d+)ms/.exec(error.message)![1]);
    assert.ok(elapsed >= 700 && elapsed < 3000, `elapsed ${elapsed}`);
    assert.equal(record.exitCode, 3);
  });

  it('counts a probe error as an observation only when its code is listed', async () => {
    const listed = await ws.run(
      runbook(
        'wait-error-listed',
        `    probe:
      type: sql
      connection: db
      query: SELECT COUNT(*) AS n FROM mysql.no_such_table
    value: "{{result.rows.0.n}}"
    success: [ER_NO_SUCH_TABLE]`,
      ),
      { set },
    );
    assert.equal(listed.record.steps[0]!.status, 'passed');
    assert.equal((listed.record.steps[0]!.result as { observed: string }).observed, 'ER_NO_SUCH_TABLE');

    const unlisted = await ws.run(
      runbook(
        'wait-error-unlisted',
        `    probe:
      type: sql
      connection: db
      query: SELECT COUNT(*) AS n FROM mysql.no_such_table
    value: "{{result.rows.0.n}}"
    success: [0]`,
      ),
      { set },
    );
    assert.equal(unlisted.record.steps[0]!.error!.code, 'ER_NO_SUCH_TABLE');
  });

  it('backs off from the first interval by the multiplier up to the cap, ending at the deadline', async () => {
    const clock = fakeClock();
    const { record } = await ws.run(
      runbook(
        'wait-backoff',
        `    probe:
      type: sql
      connection: db
      query: SELECT 'creating' AS status
    value: "{{result.rows.0.status}}"
    success: [available]
    interval: 1s
    backoff: 2
    maxInterval: 5s
    timeout: 20s`,
      ),
      { set, clock },
    );
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 5000, 5000, 3000]);
    const error = record.steps[0]!.error!;
    assert.equal(error.code, 'WaitTimeout');
    assert.match(error.message, /^timed out after 20\.0s \(7 polls\); last observed value: "creating"$/);
  });

  it('just waits for a duration, on the injected clock', async () => {
    const clock = fakeClock();
    const { record } = await ws.run(runbook('wait-duration', '    duration: 2s'), { set, clock });
    assert.equal(record.status, 'passed');
    assert.deepEqual(clock.sleeps, [2000]);
    assert.deepEqual(record.steps[0]!.result, { waitedMs: 2000 });
  });

  it('polls until an `until` template over the result renders true: a server instant at or past a marker', async () => {
    const { record } = await ws.run(
      `name: wait-until-instant
inputs:
  host: {}
  user: {}
  password: { secret: true }
connections:
  db:
    host: "{{inputs.host}}"
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
steps:
  - id: marker
    type: capture
    name: marker
    serverTime: db
  - id: wait
    type: wait-until
    probe:
      type: sql
      connection: db
      query: SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ') AS now
    until: "{{gte result.rows.0.now (addSeconds captures.marker 1)}}"
    interval: 200ms
    backoff: 1
    timeout: 20s
`,
      { set },
    );
    const step = record.steps[1]!;
    assert.equal(step.status, 'passed', step.error?.message);
    const result = step.result as { observed: unknown; polls: number; rows: Array<{ now: string }> };
    assert.equal(result.observed, true);
    assert.ok(result.polls >= 3, `polled ${result.polls} times`);
    const marker = String(record.captures.marker);
    assert.ok(
      Date.parse(result.rows[0]!.now) - Date.parse(marker) >= 1000,
      `${result.rows[0]!.now} is a second past ${marker}`,
    );
  });

  it('times out an `until` that never renders true, at the until template', async () => {
    const { record } = await ws.run(
      runbook(
        'wait-until-never',
        `    probe:
      type: sql
      connection: db
      query: SELECT 1 AS n
    until: "{{gt result.rows.0.n 1}}"
    interval: 100ms
    backoff: 1
    timeout: 500ms`,
      ),
      { set },
    );
    const step = record.steps[0]!;
    assert.equal(step.status, 'failed');
    assert.equal(step.error!.code, 'WaitTimeout');
    assert.match(step.error!.message, /last observed value: false/);
    assert.match(step.error!.span ?? '', /:19:12$/);
    assert.match(step.error!.hint ?? '', /until condition never rendered true/);
  });
});
