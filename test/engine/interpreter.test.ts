import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import type { RunEvent } from '../../src/engine/events.js';
import { runRunbook } from '../../src/engine/interpreter.js';
import { junitXml } from '../../src/engine/junit.js';
import type { AwsSettings } from '../../src/steps/types.js';
import { startQueryServer, type QueryServer } from '../helpers/query-server.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const SECRET = 'Tr0ub4dor-secret-value';

describe('the interpreter', function () {
  this.timeout(60_000);
  let ws: Workspace;
  let server: QueryServer;
  let aws: AwsSettings;

  before(async () => {
    ws = await workspace();
    server = await startQueryServer();
    aws = {
      endpoint: server.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLABRUNTEST', secretAccessKey: 'labrun-test-secret-key' },
      maxAttempts: 1,
    };
  });
  after(async () => {
    await server?.close();
    await ws?.remove();
  });

  it('retries a failing step on listed codes with backoff, and stops on other codes', async () => {
    server.handle('DeleteDBCluster', (request, calls) =>
      request.params.DBClusterIdentifier === 'busy' && calls <= 2
        ? {
            error: {
              status: 400,
              code: 'InvalidDBClusterStateFault',
              message: 'DBCluster busy is not available.',
            },
          }
        : request.params.DBClusterIdentifier === 'gone'
          ? { error: { status: 404, code: 'DBClusterNotFoundFault', message: 'DBCluster gone not found.' } }
          : { result: '<DBCluster><Status>deleting</Status></DBCluster>' },
    );
    const { record, events } = await ws.run(
      `name: retries
steps:
  - id: delete-busy
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: busy, SkipFinalSnapshot: true }
    retry: { attempts: 5, interval: 10ms, backoff: 2, on: [InvalidDBClusterStateFault] }
  - id: delete-gone
    type: aws
    operation: DeleteDBCluster
    params: { DBClusterIdentifier: gone, SkipFinalSnapshot: true }
    retry: { attempts: 5, interval: 10ms, on: [InvalidDBClusterStateFault] }
`,
      { aws },
    );
    const [busy, gone] = record.steps;
    assert.equal(busy!.status, 'passed');
    assert.equal(busy!.attempts, 3);
    const retries = events.filter((e) => e.type === 'step-retry');
    assert.deepEqual(
      retries.map((e) => [e.stepId, e.attempt, e.delayMs, e.error.code]),
      [
        ['delete-busy', 1, 10, 'InvalidDBClusterStateFault'],
        ['delete-busy', 2, 20, 'InvalidDBClusterStateFault'],
      ],
    );
    assert.equal(gone!.status, 'failed');
    assert.equal(gone!.attempts, 1);
    assert.equal(gone!.error!.code, 'DBClusterNotFoundFault');
  });

  it('gives up after the last attempt', async () => {
    server.handle('DescribeDBClusters', () => ({
      error: { status: 400, code: 'InvalidParameterValue', message: 'bad' },
    }));
    const { record } = await ws.run(
      `name: exhausted
steps:
  - id: describe
    type: aws
    operation: DescribeDBClusters
    retry: { attempts: 3, interval: 5ms }
`,
      { aws },
    );
    assert.equal(record.steps[0]!.status, 'failed');
    assert.equal(record.steps[0]!.attempts, 3);
  });

  it('skips a step whose if renders false, and runs it when true', async () => {
    const yaml = `name: conditions
inputs:
  mode: { default: fast }
steps:
  - id: only-slow
    if: "{{eq inputs.mode 'slow'}}"
    type: capture
    name: ranSlow
    value: "yes"
  - id: only-fast
    if: "{{eq inputs.mode 'fast'}}"
    type: capture
    name: ranFast
    value: "yes"
`;
    const fast = await ws.run(yaml);
    assert.deepEqual(
      fast.record.steps.map((s) => s.status),
      ['skipped', 'passed'],
    );
    assert.match(fast.record.steps[0]!.reason ?? '', /is false/);
    assert.deepEqual(fast.record.captures, { ranFast: 'yes' });
    assert.equal(fast.record.status, 'passed');
    const slow = await ws.run(yaml, { set: { mode: 'slow' } });
    assert.deepEqual(slow.record.captures, { ranSlow: 'yes' });
  });

  it('cuts off a step at its timeout', async () => {
    server.handle('DescribeDBInstances', async () => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return { result: '<DBInstances/>' };
    });
    const started = Date.now();
    const { record } = await ws.run(
      `name: timeouts
steps:
  - id: slow
    type: aws
    operation: DescribeDBInstances
    timeout: 300ms
`,
      { aws },
    );
    assert.ok(Date.now() - started < 2500);
    const error = record.steps[0]!.error!;
    assert.equal(error.code, 'StepTimeout');
    assert.equal(error.message, 'timed out after 300ms');
    assert.match(error.span ?? '', /:6:14$/);
  });

  it('skips the remaining steps after a failure, and runs every finally step', async () => {
    const { record } = await ws.run(
      `name: finally-runs
steps:
  - id: first
    type: capture
    name: a
    value: one
  - id: broken
    type: assert
    that:
      - actual: "{{captures.a}}"
        equals: two
        message: a must be two
  - id: never
    type: capture
    name: b
    value: never
finally:
  - id: cleanup-fails
    type: assert
    that:
      - actual: 1
        equals: 2
  - id: cleanup-runs
    type: capture
    name: cleaned
    value: "yes"
`,
    );
    assert.deepEqual(
      record.steps.map((s) => [s.id, s.status]),
      [
        ['first', 'passed'],
        ['broken', 'failed'],
        ['never', 'skipped'],
        ['cleanup-fails', 'failed'],
        ['cleanup-runs', 'passed'],
      ],
    );
    assert.equal(record.steps[2]!.reason, 'an earlier step failed');
    assert.equal(record.status, 'failed');
    assert.equal(record.exitCode, 1, 'the first failure is an assertion');
    assert.deepEqual(record.captures, { a: 'one', cleaned: 'yes' });
  });

  it('reports every assertion of a step with both sides, and the first failure at its position', async () => {
    const { record, runbook } = await ws.run(
      `name: assertions
steps:
  - id: checks
    type: assert
    that:
      - actual: "3264529792"
        equals: 3264529792
        message: numbers and numeric strings are equal
      - actual: clone
        equals: source
        message: the clone must equal the source
      - actual: "{{json (default null 'x')}}"
        matches: ^"x"$
      - actual: 5
        lessThan: 3
`,
    );
    const step = record.steps[0]!;
    assert.equal(step.status, 'failed');
    assert.equal(step.error!.code, 'AssertionFailed');
    assert.equal(step.error!.message, '2 of 4 assertions failed');
    assert.deepEqual(
      step.assertions.map(({ actual, operator, expected, passed, message }) => ({
        actual,
        operator,
        expected,
        passed,
        message,
      })),
      [
        {
          actual: '3264529792',
          operator: 'equals',
          expected: 3264529792,
          passed: true,
          message: 'numbers and numeric strings are equal',
        },
        {
          actual: 'clone',
          operator: 'equals',
          expected: 'source',
          passed: false,
          message: 'the clone must equal the source',
        },
        { actual: '"x"', operator: 'matches', expected: '^"x"$', passed: true, message: undefined },
        { actual: 5, operator: 'lessThan', expected: 3, passed: false, message: undefined },
      ],
    );
    const line = runbook.sources[runbook.file]!.split('\n').findIndex((l) => l.includes('actual: clone')) + 1;
    assert.equal(step.error!.span, `${runbook.file}:${line}:9`);
    assert.equal(record.exitCode, 1);
  });

  it('reports a run-time template error at the {{ that failed', async () => {
    const { record, runbook } = await ws.run(
      `name: template-error
steps:
  - id: first
    type: capture
    name: list
    value: [1, 2]
  - id: second
    type: capture
    name: bad
    value: "prefix {{captures.list}} and {{steps.first.result.value.5}}"
`,
    );
    // A list's length is known only at run time, so the path passes the static checks.
    const error = record.steps[1]!.error!;
    assert.equal(error.kind, 'template');
    assert.match(error.message, /steps\.first\.result\.value\.5.*has 2 items, no item 5/);
    const lines = runbook.sources[runbook.file]!.split('\n');
    const line = lines.findIndex((l) => l.includes('{{steps.first')) + 1;
    const col = lines[line - 1]!.indexOf('{{steps.first') + 1;
    assert.equal(error.span, `${runbook.file}:${line}:${col}`);
    assert.equal(record.exitCode, 3);
  });

  it('writes a record after every step and an append-only journal of the same events', async () => {
    const seen: RunEvent[] = [];
    const { record, recordPath, journalPath } = await ws.run(
      `name: record-journal
title: Record and journal
inputs:
  size: { type: integer, default: 10 }
steps:
  - id: one
    title: The first step
    type: capture
    name: size
    value: "{{inputs.size}}"
  - id: two
    type: assert
    that:
      - actual: "{{captures.size}}"
        greaterThan: 5
`,
      { onEvent: (e) => seen.push(e) },
    );
    const onDisk = JSON.parse(await readFile(recordPath, 'utf8'));
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(record)));
    assert.equal(onDisk.status, 'passed');
    assert.equal(onDisk.exitCode, 0);
    assert.deepEqual(onDisk.runbook, {
      file: record.runbook.file,
      name: 'record-journal',
      title: 'Record and journal',
    });
    assert.deepEqual(onDisk.inputs, { size: 10 });
    assert.deepEqual(onDisk.captures, { size: 10 });
    assert.match(onDisk.runId, /^\d{8}T\d{6}Z-record-journal-[0-9a-f]{4}$/);
    const [one, two] = onDisk.steps;
    assert.equal(one.title, 'The first step');
    assert.equal(one.attempts, 1);
    assert.ok(Date.parse(one.finishedAt) >= Date.parse(one.startedAt));
    assert.equal(typeof one.durationMs, 'number');
    assert.deepEqual(two.assertions, [
      { actual: 10, operator: 'greaterThan', expected: 5, passed: true, span: two.assertions[0].span },
    ]);
    const journal = (await readFile(journalPath, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as RunEvent);
    assert.deepEqual(journal, JSON.parse(JSON.stringify(seen)));
    assert.deepEqual(
      journal.map((e) => e.type),
      [
        'run-started',
        'step-started',
        'step-finished',
        'step-started',
        'assertion',
        'step-finished',
        'run-finished',
      ],
    );
  });

  it('writes JUnit XML with one testcase per step', async () => {
    const { record } = await ws.run(
      `name: junit
steps:
  - id: ok
    type: capture
    name: a
    value: "1"
  - id: bad
    type: assert
    that:
      - actual: 1
        equals: 2
        message: one is not two
  - id: later
    type: capture
    name: b
    value: "2"
finally:
  - id: tidy
    type: capture
    name: c
    value: "3"
`,
    );
    const xml = junitXml(record);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    const suite = parsed.testsuites.testsuite;
    assert.equal(suite.name, 'junit');
    assert.equal(suite.tests, '4');
    assert.equal(suite.failures, '1');
    assert.equal(suite.skipped, '1');
    const cases = suite.testcase as Array<Record<string, unknown>>;
    assert.deepEqual(
      cases.map((c) => c.name),
      ['ok', 'bad', 'later', 'tidy'],
    );
    assert.equal(cases[3]!.classname, 'junit.finally');
    assert.equal(cases[1]!.file, record.runbook.file);
    assert.equal(cases[1]!.line, '7');
    const failure = cases[1]!.failure as Record<string, string>;
    assert.equal(failure.type, 'AssertionFailed');
    assert.match(failure.message!, /one is not two: expected 1 to equal 2/);
    assert.match(failure['#text']!, /actual 1 equals 2/);
    assert.deepEqual(cases[2]!.skipped, { message: 'an earlier step failed' });
  });

  it('never lets a secret input out: events, record, journal, JUnit, errors', async () => {
    server.handle('DescribeDBClusters', (request) => ({
      error: {
        status: 404,
        code: 'DBClusterNotFoundFault',
        message: `DBCluster ${request.params.DBClusterIdentifier} not found.`,
      },
    }));
    const events: RunEvent[] = [];
    const { record, recordPath, journalPath } = await ws.run(
      `name: secrets
inputs:
  token: { secret: true }
steps:
  - id: copy
    type: capture
    name: copied
    value: "token={{inputs.token}}"
  - id: echo
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: "{{inputs.token}}" }
  - id: compare
    type: assert
    that:
      - actual: "{{inputs.token}}"
        equals: "{{captures.copied}}"
        message: "{{inputs.token}} differs"
`,
      { set: { token: SECRET }, aws, onEvent: (e) => events.push(e) },
    );
    assert.equal(record.steps[1]!.error!.code, 'DBClusterNotFoundFault');
    assert.match(record.steps[1]!.error!.message, /DBCluster \*\*\*\* not found/);
    assert.deepEqual(record.inputs, { token: '****' });
    assert.deepEqual(record.captures, { copied: 'token=****' });
    assert.equal(server.requests.at(-1)!.params.DBClusterIdentifier, SECRET, 'the real value was used');
    for (const text of [
      JSON.stringify(events),
      await readFile(recordPath, 'utf8'),
      await readFile(journalPath, 'utf8'),
      junitXml(record),
    ]) {
      assert.ok(text.includes('****'));
      assert.ok(!text.includes(SECRET));
    }
  });

  it('refuses a one-letter secret, which masking would turn into every occurrence of that letter', async () => {
    const runbook = await ws.compile(`name: short-secret
inputs:
  pin: { secret: true }
steps:
  - id: copy
    type: capture
    name: copied
    value: "pin {{inputs.pin}} set"
`);
    await assert.rejects(
      runRunbook(runbook, { inputs: { pin: 't' }, runsDir: join(ws.dir, 'runs') }),
      /secret input pin is too short to mask/,
    );
  });

  it('finishes the run, finally included, when an event listener throws, then rethrows', async () => {
    const runbook = await ws.compile(`name: broken-view
steps:
  - id: one
    type: capture
    name: one
    value: "1"
  - id: two
    type: capture
    name: two
    value: "2"
finally:
  - id: tidy
    type: capture
    name: tidy
    value: "yes"
`);
    const seen: string[] = [];
    await assert.rejects(
      runRunbook(runbook, {
        inputs: {},
        runsDir: join(ws.dir, 'runs'),
        onEvent: (event) => {
          if (event.type === 'step-finished') seen.push(event.stepId);
          if (event.type === 'step-started' && event.stepId === 'one') throw new Error('view broke');
        },
      }),
      /view broke/,
    );
    assert.deepEqual(seen, ['one', 'two', 'tidy']);
  });

  it('on interrupt aborts the current step, skips the rest, runs finally and exits 130', async () => {
    const interrupt = new AbortController();
    const { record } = await ws.run(
      `name: interrupted
steps:
  - id: long-wait
    type: wait-until
    duration: 30s
  - id: after
    type: capture
    name: after
    value: "no"
finally:
  - id: cleanup
    type: capture
    name: cleaned
    value: "yes"
`,
      {
        signal: interrupt.signal,
        onEvent: (e) => {
          if (e.type === 'step-started' && e.stepId === 'long-wait') setTimeout(() => interrupt.abort(), 100);
        },
      },
    );
    assert.deepEqual(
      record.steps.map((s) => [s.id, s.status]),
      [
        ['long-wait', 'failed'],
        ['after', 'skipped'],
        ['cleanup', 'passed'],
      ],
    );
    assert.equal(record.steps[0]!.error!.code, 'Interrupted');
    assert.ok(record.steps[0]!.durationMs! < 5000);
    assert.equal(record.status, 'interrupted');
    assert.equal(record.exitCode, 130);
    assert.deepEqual(record.captures, { cleaned: 'yes' });
  });
});
