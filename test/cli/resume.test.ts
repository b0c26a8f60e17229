/**
 * `labrun resume` after a real `kill -9` of `labrun run` against a real MariaDB: a step cut off mid-way is
 * refused or skipped as the runbook says, finished steps never run twice, captures are restored, and a torn
 * last journal line is ignored.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import mysql from 'mysql2/promise';
import { labrun as labrunCli, type LabrunProcess } from '../helpers/labrun-cli.js';
import { startMariadb, type TestMariadb } from '../helpers/mariadb.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

function runbookText(extra = '', sleep = 20): string {
  return `name: resume-lab
inputs:
  host: {}
  user: {}
  database: {}
  password: { secret: true, env: LAB_DB_PASSWORD }
connections:
  db:
    host: "{{inputs.host}}"
    port: 3306
    user: "{{inputs.user}}"
    password: "{{inputs.password}}"
    database: "{{inputs.database}}"
steps:
  - id: setup
    type: sql
    connection: db
    query: CREATE TABLE IF NOT EXISTS counter (n INT)
  - id: bump
    type: sql
    connection: db
    query: INSERT INTO counter VALUES (1)
  - id: stamp
    type: sql
    connection: db
    query: SELECT DATE_FORMAT(NOW(6), '%H:%i:%s.%f') AS t
    capture:
      stamp: "{{result.rows.0.t}}"
  - id: slow
    type: sql
    connection: db
    query: DO SLEEP(${sleep})${extra}
  - id: pause
    type: wait-until
    duration: 3s
  - id: count
    type: sql
    connection: db
    query: SELECT COUNT(*) AS c FROM counter
    capture:
      count: "{{result.rows.0.c}}"
  - id: check
    type: assert
    that:
      - actual: "{{captures.count}}"
        equals: "1"
finally:
  - id: tidy
    type: capture
    name: stampAgain
    value: "{{captures.stamp}}"
`;
}

interface Event {
  type: string;
  stepId?: string;
  [key: string]: unknown;
}

function journalEvents(path: string): Event[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Event);
}

describe('labrun resume (kill -9 of a real run, real MariaDB)', function () {
  this.timeout(180_000);
  let db: TestMariadb;
  let ws: Workspace;
  let env: Record<string, string>;
  let runsDir: string;

  before(async function () {
    db = await startMariadb();
    ws = await workspace();
    runsDir = join(ws.dir, 'runs');
    env = { LAB_DB_PASSWORD: db.password };
  });
  after(async function () {
    await db?.stop();
    await ws?.remove();
  });

  async function reset(): Promise<void> {
    const conn = await mysql.createConnection({
      host: db.host,
      port: 3306,
      user: db.user,
      password: db.password,
      database: db.database,
    });
    await conn.query('DROP TABLE IF EXISTS counter');
    await conn.end();
  }

  async function counterRows(): Promise<number> {
    const conn = await mysql.createConnection({
      host: db.host,
      port: 3306,
      user: db.user,
      password: db.password,
      database: db.database,
    });
    const [rows] = await conn.query('SELECT COUNT(*) AS c FROM counter');
    await conn.end();
    return Number((rows as Array<{ c: number }>)[0]!.c);
  }

  function labrun(args: string[], extraEnv: Record<string, string> = {}): LabrunProcess {
    return labrunCli(args, { cwd: ws.dir, env: { ...env, ...extraEnv }, timeout: 90_000 });
  }

  /** Starts `labrun run` and waits until its journal shows `stepId` started; the run goes on. */
  async function runUntil(
    file: string,
    stepId: string,
  ): Promise<{ child: LabrunProcess; runDir: string; journal: string }> {
    const before = new Set(existsSync(runsDir) ? readdirSync(runsDir) : []);
    const child = labrun([
      'run',
      file,
      '--runs-dir',
      runsDir,
      '--set',
      `host=${db.host}`,
      '--set',
      `user=${db.user}`,
      '--set',
      `database=${db.database}`,
    ]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      assert.ok(Date.now() < deadline, 'the run never reached the step');
      const fresh = existsSync(runsDir) ? readdirSync(runsDir).filter((d) => !before.has(d)) : [];
      const journal = fresh[0] ? join(runsDir, fresh[0], 'journal.jsonl') : undefined;
      if (
        journal &&
        existsSync(journal) &&
        readFileSync(journal, 'utf8').includes(`"type":"step-started","stepId":"${stepId}"`)
      ) {
        return { child, runDir: join(runsDir, fresh[0]!), journal };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Starts `labrun run`, waits until the journal shows `stepId` started, then kills it with SIGKILL. */
  async function runAndKill(file: string, stepId: string): Promise<{ runDir: string; journal: string }> {
    const { child, runDir, journal } = await runUntil(file, stepId);
    child.kill('SIGKILL');
    const result = await child;
    assert.equal(result.signal, 'SIGKILL');
    return { runDir, journal };
  }

  it('refuses a changing step cut off mid-way, resumes with onResume, restores captures, runs nothing twice', async function () {
    await reset();
    const file = await ws.write({ 'lab.yaml': runbookText() });
    const { runDir, journal } = await runAndKill(file, 'slow');
    const stampBefore = journalEvents(journal).find(
      (e) => e.type === 'step-finished' && e.stepId === 'stamp',
    )!.captures as { stamp: string };
    assert.match(stampBefore.stamp, /^\d\d:\d\d:\d\d\.\d+$/);

    // DO SLEEP is not read-only: cut off, it is refused, naming the step.
    const refused = await labrun(['resume', '--runs-dir', runsDir]);
    assert.equal(refused.exitCode, 2, String(refused.stderr));
    assert.match(String(refused.stderr), /step slow \(sql\) was cut off mid-way/);
    assert.match(String(refused.stderr), /onResume/);

    // The runbook says how: skip it. The run resumes from there.
    writeFileSync(file, runbookText('\n    onResume: skip'));
    const resumed = await labrun(['resume', runDir, '--json', join(ws.dir, 'out.json')]);
    assert.equal(resumed.exitCode, 0, `${String(resumed.stdout)}\n${String(resumed.stderr)}`);
    const record = JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as {
      status: string;
      runId: string;
      captures: Record<string, unknown>;
      steps: Array<{ id: string; status: string; reason?: string }>;
    };
    assert.equal(record.status, 'passed');
    assert.equal(record.captures.stamp, stampBefore.stamp);
    assert.equal(record.captures.stampAgain, stampBefore.stamp);
    assert.equal(String(record.captures.count), '1');
    assert.equal(record.steps.find((s) => s.id === 'slow')!.status, 'skipped');
    assert.deepEqual(JSON.parse(readFileSync(join(ws.dir, 'out.json'), 'utf8')).runId, record.runId);
    assert.equal(await counterRows(), 1);

    const events = journalEvents(journal);
    assert.equal(events.filter((e) => e.type === 'run-started').length, 1);
    assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'bump').length, 1);
    assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'stamp').length, 1);
    assert.equal(events.filter((e) => e.type === 'run-finished').length, 1);
    const text = readFileSync(journal, 'utf8');
    assert.ok(!text.includes(db.password), 'the password is not in the journal');
    const started = events[0] as { resume?: { runbook: string; set: Record<string, string> } };
    assert.equal(started.resume?.runbook, file);
    assert.equal(started.resume?.set.host, db.host);

    // A finished run cannot be resumed.
    const again = await labrun(['resume', runDir]);
    assert.equal(again.exitCode, 2);
    assert.match(String(again.stderr), /has finished/);
    assert.equal(await counterRows(), 1);
  });

  it('re-runs a wait cut off mid-way and resumes from a step boundary (torn last line)', async function () {
    await reset();
    const file = await ws.write({ 'lab2.yaml': runbookText('\n    onResume: skip', 2) });
    const { runDir, journal } = await runAndKill(file, 'pause');
    const stamp = (
      journalEvents(journal).find((e) => e.type === 'step-finished' && e.stepId === 'stamp')!.captures as {
        stamp: string;
      }
    ).stamp;

    // Without the secret, resuming stops before any step with exit 2.
    const noSecret = await labrun(['resume', runDir], { LAB_DB_PASSWORD: '' });
    assert.equal(noSecret.exitCode, 2);
    assert.match(String(noSecret.stderr), /password/);
    assert.match(String(noSecret.stderr), /secret inputs are not stored/);

    const resumed = await labrun(['resume', runDir]);
    assert.equal(resumed.exitCode, 0, String(resumed.stderr));
    let events = journalEvents(journal);
    assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'pause').length, 2);
    assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'bump').length, 1);
    const record = JSON.parse(readFileSync(join(runDir, 'record.json'), 'utf8')) as {
      status: string;
      captures: Record<string, unknown>;
    };
    assert.equal(record.status, 'passed');
    assert.equal(record.captures.stamp, stamp);
    assert.equal(await counterRows(), 1);

    // At a step boundary: the journal as a kill -9 right after `stamp` finished leaves it, plus a torn line.
    await reset();
    const second = await runAndKill(file, 'slow');
    events = journalEvents(second.journal);
    const cut = events.findIndex((e) => e.type === 'step-started' && e.stepId === 'slow');
    const lines = readFileSync(second.journal, 'utf8').split('\n').slice(0, cut);
    writeFileSync(second.journal, `${lines.join('\n')}\n{"type":"step-sta`);
    const boundary = await labrun(['resume', '--runs-dir', runsDir]);
    assert.equal(boundary.exitCode, 0, String(boundary.stderr));
    events = journalEvents(second.journal);
    assert.equal(events.filter((e) => e.type === 'step-started' && e.stepId === 'bump').length, 1);
    assert.equal(events.filter((e) => e.type === 'step-finished' && e.stepId === 'slow').length, 1);
    assert.equal(await counterRows(), 1);
  });

  it('refuses to resume a run whose process is still running, and takes over once it is gone', async function () {
    await reset();
    const file = await ws.write({ 'lab3.yaml': runbookText('\n    onResume: skip', 30) });
    const { child, runDir } = await runUntil(file, 'slow');

    // By name: refused, naming the process; nothing is written to the live run's journal.
    const journalBefore = readFileSync(join(runDir, 'journal.jsonl'), 'utf8');
    const named = await labrun(['resume', runDir]);
    assert.equal(named.exitCode, 2, String(named.stderr));
    assert.match(
      String(named.stderr),
      new RegExp(
        `still running \\(process ${child.pid}\\); only a run whose process has ended can be resumed`,
      ),
    );
    assert.equal(readFileSync(join(runDir, 'journal.jsonl'), 'utf8'), journalBefore);
    // The latest unfinished run is not one that is still going.
    const latest = await labrun(['resume', '--runs-dir', runsDir]);
    assert.notEqual(latest.exitCode, 0);
    assert.doesNotMatch(String(latest.stderr), new RegExp(`resuming run ${basename(runDir)}`));

    // Once its process is gone (kill -9 leaves run.lock behind), resume takes the run over.
    child.kill('SIGKILL');
    await child;
    assert.ok(existsSync(join(runDir, 'run.lock')), 'the killed process left its lock');
    const resumed = await labrun(['resume', runDir]);
    assert.equal(resumed.exitCode, 0, String(resumed.stderr));
    assert.match(String(resumed.stderr), new RegExp(`resuming run ${basename(runDir)}`));
    assert.ok(!existsSync(join(runDir, 'run.lock')), 'the lock is gone when the run ends');
  });
});
