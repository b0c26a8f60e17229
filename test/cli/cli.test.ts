/**
 * The built CLI (`node dist/cli/main.js`) against runbooks in a temp directory and a fake AWS Query server:
 * help, usage errors, diagnostics, exit codes, the record, --json and --junit, the destructive-step guard,
 * plan, SIGINT, and secrets masked in everything it prints and writes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { labrun as labrunCli, type LabrunOptions, type LabrunProcess } from '../helpers/labrun-cli.js';
import { startQueryServer, type QueryServer } from '../helpers/query-server.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const SECRET = 'cli-Secret-Value-42';
/** Audited (test/helpers/secret-audit.ts) in all its JSON, URL and shell forms. */
const AWKWARD_SECRET = 'My"Sec\\ret\tSp ce%9';

function labrun(args: string[], options: LabrunOptions = {}): LabrunProcess {
  return labrunCli(args, { timeout: 60_000, ...options });
}

function noStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at .+:\d+:\d+\)?$/m, `no stack trace in:\n${text}`);
}

const PASSING = `name: cli-pass
title: A passing runbook
inputs:
  clusterName: { stackOutput: clusterName }
  token: { secret: true, env: LAB_TOKEN }
  size: { type: integer, default: 3 }
steps:
  - id: name
    type: capture
    name: cloneName
    value: "{{inputs.clusterName}}-clone"
  - id: token
    type: capture
    name: tokenCopy
    value: "{{inputs.token}}"
  - id: check
    type: assert
    that:
      - actual: "{{inputs.size}}"
        equals: "3"
        message: the size is three
finally:
  - id: tidy
    type: capture
    name: tidied
    value: "yes"
`;

describe('labrun CLI (node dist/cli/main.js)', function () {
  this.timeout(120_000);
  let ws: Workspace;
  let server: QueryServer;

  before(async function () {
    ws = await workspace();
    server = await startQueryServer();
  });
  after(async () => {
    await server?.close();
    await ws?.remove();
  });

  it('--help lists the commands and exits 0', async () => {
    const result = await labrun(['--help']);
    assert.equal(result.exitCode, 0);
    assert.match(result.stdout, /Usage: labrun/);
    for (const command of ['validate', 'plan', 'run', 'sandbox'])
      assert.match(result.stdout, new RegExp(`\\b${command}\\b`));
    const run = await labrun(['run', '--help']);
    assert.equal(run.exitCode, 0);
    assert.match(run.stdout, /--junit <file>/);
  });

  it('prints the version', async () => {
    const result = await labrun(['--version']);
    assert.equal(result.exitCode, 0);
    assert.match(result.stdout.trim(), /^\d+\.\d+\.\d+$/);
  });

  it('turns a bad flag into one line, exit 2, no stack trace', async () => {
    const file = await ws.write({ 'bad-flag.yaml': PASSING });
    const result = await labrun(['run', file, '--bogus']);
    assert.equal(result.exitCode, 2);
    assert.equal(result.stderr, "labrun: unknown option '--bogus'\nsee labrun --help");
    const unknown = await labrun(['frobnicate']);
    assert.equal(unknown.exitCode, 2);
    assert.match(unknown.stderr, /^labrun: unknown command 'frobnicate'/);
    const missing = await labrun(['run']);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /^labrun: missing required argument 'file'\nsee labrun --help$/);
    const none = await labrun([]);
    assert.equal(none.exitCode, 2);
    assert.match(none.stderr, /Usage: labrun/);
  });

  it('validates the seed runbooks', async () => {
    const result = await labrun([
      'validate',
      'runbooks/aurora-clone-backtrack.yaml',
      'runbooks/aurora-backtrack.yaml',
    ]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(result.stdout, 'ok runbooks/aurora-clone-backtrack.yaml\nok runbooks/aurora-backtrack.yaml');
  });

  it('prints diagnostics with file:line:col for an invalid runbook and exits 2', async () => {
    const file = await ws.write({
      'invalid.yaml': `name: invalid
steps:
  - id: one
    type: sql
    connection: nowhere
    query: SELECT 1
`,
    });
    const result = await labrun(['validate', file]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+`));
    assert.match(result.stderr, /nowhere/);
    assert.equal(result.stdout, '');
    noStackTrace(result.stderr);
    const run = await labrun(['run', file]);
    assert.equal(run.exitCode, 2);
  });

  it('names a missing input and where it could come from, exit 2', async () => {
    const file = await ws.write({ 'missing-input.yaml': PASSING });
    const result = await labrun(['run', file, '--runs-dir', join(ws.dir, 'runs')]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /input "clusterName" has no value/);
    assert.match(result.stderr, /--set clusterName=/);
    assert.match(result.stderr, /stack output clusterName/);
    assert.match(result.stderr, /missing-input\.yaml:4:\d+/);
    noStackTrace(result.stderr);
  });

  it('rejects an unreadable outputs file with exit 2', async () => {
    const file = await ws.write({ 'outputs-missing.yaml': PASSING });
    const result = await labrun(['run', file, '--outputs', join(ws.dir, 'nope.json')]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /^labrun: cannot read outputs file .*nope\.json: no such file/);
  });

  it('runs a passing runbook: progress lines, summary, record, --json and --junit, secrets masked', async () => {
    const file = await ws.write({
      'pass.yaml': PASSING,
      'outputs.json': JSON.stringify({
        Stacks: [{ Outputs: [{ OutputKey: 'clusterName', OutputValue: 'lab' }] }],
      }),
    });
    const json = join(ws.dir, 'out', 'record.json');
    const junit = join(ws.dir, 'out', 'junit.xml');
    const result = await labrun([
      'run',
      file,
      '--outputs',
      join(ws.dir, 'outputs.json'),
      '--runs-dir',
      join(ws.dir, 'runs'),
      '--json',
      json,
      '--junit',
      junit,
      '--set',
      `token=${SECRET}`,
    ]);
    assert.equal(result.exitCode, 0, result.stderr);
    const lines = result.stdout.split('\n');
    assert.match(lines[0]!, /^A passing runbook \(.*pass\.yaml, run \d{8}T\d{6}Z-cli-pass-[0-9a-f]{4}\)$/);
    assert.match(lines[1]!, /^\[1\/4\] name \.\.\. passed \(\d+ms\)$/);
    assert.match(lines[3]!, /^\[3\/4\] check \.\.\. passed/);
    assert.match(lines[4]!, /^\[4\/4\] tidy \.\.\. passed/);
    assert.match(result.stdout, /cloneName {2}lab-clone/);
    assert.match(result.stdout, /tokenCopy {2}\*\*\*\*/);
    assert.match(result.stdout, /✔ check: the size is three/);
    assert.match(result.stdout, /Run passed in \d+ms: 4 passed, 0 failed, 0 skipped/);
    const recordPath = /^Record: (.+)$/m.exec(result.stdout)![1]!;
    const record = JSON.parse(await readFile(recordPath, 'utf8'));
    assert.deepEqual(JSON.parse(await readFile(json, 'utf8')), record);
    assert.equal(record.exitCode, 0);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(junit, 'utf8'),
    );
    assert.equal(xml.testsuites.testsuite.tests, '4');
    for (const text of [
      result.stdout,
      result.stderr,
      JSON.stringify(record),
      await readFile(junit, 'utf8'),
    ]) {
      assert.ok(!text.includes(SECRET));
    }
  });

  it('reads secrets from the environment and never prints them', async () => {
    const file = await ws.write({ 'env-secret.yaml': PASSING });
    const result = await labrun(['run', file, '--set', 'clusterName=c', '--runs-dir', join(ws.dir, 'runs')], {
      env: { LAB_TOKEN: SECRET },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(SECRET));
  });

  it('masks a secret with quotes, backslashes, a tab and a space in every form it is shown in', async () => {
    const file = await ws.write({
      'awkward-secret.yaml': `name: awkward-secret
inputs:
  token: { secret: true }
steps:
  - id: keep
    type: capture
    name: shown
    value: "{{json inputs.token}}"
  - id: compare
    type: assert
    that:
      - actual: "{{json inputs.token}}"
        equals: "{{inputs.token}}-not"
        message: The token must differ.
`,
    });
    const result = await labrun([
      'run',
      file,
      '--set',
      `token=${AWKWARD_SECRET}`,
      '--runs-dir',
      join(ws.dir, 'runs'),
      '--json',
      join(ws.dir, 'awkward.json'),
    ]);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /The token must differ/);
    assert.match(result.stderr, /\*\*\*\*/);
    // The suite-wide audit checks every form of AWKWARD_SECRET in stdout, stderr, the run dir and the --json.
  });

  it('exits 1 when an assertion fails, showing both sides and the position', async () => {
    const file = await ws.write({
      'assert-fail.yaml': `name: assert-fail
steps:
  - id: compare
    type: assert
    that:
      - actual: "2761758555"
        equals: 748116883
        message: The checksums must match.
`,
    });
    const result = await labrun(['run', file, '--runs-dir', join(ws.dir, 'runs')]);
    assert.equal(result.exitCode, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `assert-fail\\.yaml:6:9: step compare: The checksums must match: expected "2761758555" to equal 748116883`,
      ),
    );
    assert.match(result.stdout, /✘ compare: The checksums must match\./);
    assert.match(result.stdout, /actual: {3}2761758555/);
    assert.match(result.stdout, /equals {4}748116883/);
    assert.match(result.stdout, /Run failed/);
    noStackTrace(result.stderr);
  });

  it('guards destructive steps: exit 2 before the run, exit 3 at run time, off with --allow-destructive', async () => {
    const statik = await ws.write({
      'drop-source.yaml': `name: drop-source
connections:
  source: { host: 127.0.0.1, user: lab }
steps:
  - id: drop
    type: sql
    connection: source
    query: DROP TABLE sbtest1
`,
    });
    const validate = await labrun(['validate', statik]);
    assert.equal(validate.exitCode, 2);
    assert.match(
      validate.stderr,
      /drop-source\.yaml:8:12: error: step "drop" runs DROP on connection "source", which is not disposable/,
    );
    assert.match(validate.stderr, /hint: mark the connection `disposable: true` .*--allow-destructive/);
    const run = await labrun(['run', statik, '--runs-dir', join(ws.dir, 'runs')]);
    assert.equal(run.exitCode, 2);
    assert.match(run.stderr, /drop-source\.yaml:8:12/);
    const allowed = await labrun(['validate', '--allow-destructive', statik]);
    assert.equal(allowed.exitCode, 0, allowed.stderr);
    assert.match(allowed.stderr, /--allow-destructive: the destructive-step guard is off/);

    server.handle('BacktrackDBCluster', (request) => ({
      result: `<DBClusterIdentifier>${request.params.DBClusterIdentifier}</DBClusterIdentifier><Status>PENDING</Status>`,
    }));
    const dynamic = await ws.write({
      'backtrack-source.yaml': `name: backtrack-source
inputs:
  clusterName: { default: lab-cluster }
steps:
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params: { DBClusterIdentifier: "{{inputs.clusterName}}", BacktrackTo: "2026-01-01T00:00:00Z" }
`,
    });
    const common = [
      '--endpoint-url',
      server.endpoint,
      '--region',
      'us-east-1',
      '--runs-dir',
      join(ws.dir, 'runs'),
    ];
    const env = { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' };
    const before = server.requests.length;
    // The target comes from an input: known once inputs are resolved, so refused before the run starts.
    const refused = await labrun(['run', dynamic, ...common], { env });
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /backtrack-source\.yaml:8:36: error: step backtrack: refused to call BacktrackDBCluster on cluster "lab-cluster": this run did not create it/,
    );
    const planned = await labrun(['plan', dynamic, ...common.slice(0, 4)], { env });
    assert.equal(planned.exitCode, 2, planned.stderr);
    assert.match(planned.stderr, /backtrack-source\.yaml:8:36: error: step backtrack: refused/);
    assert.equal(server.requests.length, before, 'nothing reached the server');
    noStackTrace(refused.stderr);
    const forced = await labrun(['run', dynamic, '--allow-destructive', ...common], { env });
    assert.equal(forced.exitCode, 0, forced.stderr);
    assert.match(forced.stderr, /--allow-destructive: the destructive-step guard is off/);
    assert.deepEqual(
      server.requests.slice(before).map((r) => [r.action, r.params.DBClusterIdentifier]),
      [['BacktrackDBCluster', 'lab-cluster']],
    );
  });

  it('exits 3 when a step fails, with the AWS error code and a position', async () => {
    server.handle('DescribeDBClusters', () => ({
      error: { status: 404, code: 'DBClusterNotFoundFault', message: 'DBCluster nosuch not found.' },
    }));
    const file = await ws.write({
      'aws-fail.yaml': `name: aws-fail
steps:
  - id: describe
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: nosuch }
`,
    });
    const result = await labrun(
      [
        'run',
        file,
        '--endpoint-url',
        server.endpoint,
        '--region',
        'us-east-1',
        '--runs-dir',
        join(ws.dir, 'runs'),
      ],
      { env: { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' } },
    );
    assert.equal(result.exitCode, 3, result.stderr);
    assert.match(
      result.stderr,
      /aws-fail\.yaml:5:16: step describe: rds DescribeDBClusters failed: DBClusterNotFoundFault: DBCluster nosuch not found\./,
    );
    assert.match(result.stdout, /\[1\/1\] describe \.\.\. failed/);
    noStackTrace(result.stderr);
  });

  it('reads inputs from a CloudFormation stack with --stack, and exits 2 for a missing stack', async () => {
    server.handle('DescribeStacks', (request) =>
      request.params.StackName === 'auroralab'
        ? {
            result:
              '<Stacks><member><StackName>auroralab</StackName><CreationTime>2026-11-23T08:00:00Z</CreationTime>' +
              '<StackStatus>CREATE_COMPLETE</StackStatus><Outputs><member><OutputKey>clusterName</OutputKey>' +
              '<OutputValue>from-stack</OutputValue></member></Outputs></member></Stacks>',
          }
        : {
            error: {
              status: 400,
              code: 'ValidationError',
              message: `Stack with id ${request.params.StackName} does not exist`,
            },
          },
    );
    const file = await ws.write({ 'stack.yaml': PASSING });
    const common = [
      '--endpoint-url',
      server.endpoint,
      '--region',
      'us-east-1',
      '--runs-dir',
      join(ws.dir, 'runs'),
    ];
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
      LAB_TOKEN: 'stack-token',
    };
    const result = await labrun(['run', file, '--stack', 'auroralab', ...common], { env });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /cloneName {2}from-stack-clone/);
    const missing = await labrun(['run', file, '--stack', 'nosuch', ...common], { env });
    assert.equal(missing.exitCode, 2);
    assert.match(
      missing.stderr,
      /^labrun: cannot read the outputs of stack nosuch: Stack with id nosuch does not exist/,
    );
    const both = await labrun(['run', file, '--stack', 'a', '--outputs', 'b.json']);
    assert.equal(both.exitCode, 2);
    assert.match(both.stderr, /--outputs and --stack cannot be combined/);
  });

  it('plans without running: inputs filled in, run-time values as placeholders, secrets masked', async () => {
    const file = await ws.write({
      'plan.yaml': `name: plan-me
inputs:
  clusterName: { default: lab }
  password: { secret: true }
disposable:
  clusters: ["{{inputs.clusterName}}-clone"]
connections:
  clone:
    host: "{{captures.cloneEndpoint}}"
    user: admin
    password: "{{inputs.password}}"
steps:
  - id: describe
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: "{{inputs.clusterName}}-clone" }
    capture:
      cloneEndpoint: "{{result.DBClusters.0.Endpoint}}"
  - id: backtrack
    type: aws
    operation: BacktrackDBCluster
    params:
      DBClusterIdentifier: "{{inputs.clusterName}}-clone"
      BacktrackTo: "{{isoSecond captures.cloneEndpoint}}"
  - id: load
    type: sysbench
    connection: clone
    workload: oltp_write_only
    command: prepare
    options: { tables: 1 }
`,
    });
    const result = await labrun(['plan', file, '--set', `password=${SECRET}`]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /\[1\/3\] reads {3}describe/);
    assert.match(result.stdout, /"DBClusterIdentifier":"lab-clone"/);
    assert.match(result.stdout, /\[2\/3\] changes backtrack/);
    assert.match(result.stdout, /"BacktrackTo":"<isoSecond captures\.cloneEndpoint>"/);
    assert.match(
      result.stdout,
      /sysbench --config-file=<private file with the password> .*--mysql-host=<captures\.cloneEndpoint> /,
    );
    assert.doesNotMatch(result.stdout, /mysql-password/);
    assert.ok(!result.stdout.includes(SECRET));
  });

  it('on SIGINT stops the current step, runs finally, writes the record and exits 130', async () => {
    const file = await ws.write({
      'interrupt.yaml': `name: interrupt
steps:
  - id: long
    type: wait-until
    duration: 30s
  - id: never
    type: capture
    name: never
    value: "x"
finally:
  - id: tidy
    type: capture
    name: tidied
    value: "yes"
`,
    });
    const runsDir = join(ws.dir, 'runs-interrupt');
    const child: LabrunProcess = labrun(['run', file, '--runs-dir', runsDir]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGINT');
    const result = await child;
    assert.equal(result.exitCode, 130, `${result.stdout}\n${result.stderr}`);
    assert.match(String(result.stderr), /SIGINT: stopping the current step/);
    assert.match(String(result.stdout), /\[1\/3\] long \.\.\. failed/);
    assert.match(String(result.stdout), /\[3\/3\] tidy \.\.\. passed/);
    const recordPath = /^Record: (.+)$/m.exec(String(result.stdout))![1]!;
    const record = JSON.parse(await readFile(recordPath, 'utf8'));
    assert.equal(record.status, 'interrupted');
    assert.deepEqual(record.captures, { tidied: 'yes' });
  });

  it('on a second SIGTERM during finally skips the rest of finally, warns, and still writes the record', async () => {
    const file = await ws.write({
      'interrupt-twice.yaml': `name: interrupt-twice
steps:
  - id: long
    type: wait-until
    duration: 30s
finally:
  - id: slow-cleanup
    type: wait-until
    duration: 30s
  - id: last-cleanup
    type: capture
    name: tidied
    value: "yes"
`,
    });
    const runsDir = join(ws.dir, 'runs-interrupt-twice');
    const child: LabrunProcess = labrun(['run', file, '--runs-dir', runsDir]);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    child.kill('SIGTERM');
    const result = await child;
    assert.ok(Date.now() - started < 20_000, 'neither wait ran out');
    assert.equal(result.exitCode, 130, `${result.stdout}\n${result.stderr}`);
    assert.match(
      String(result.stderr),
      /SIGTERM again: skipping the rest of finally; what this run created may be left behind/,
    );
    assert.match(String(result.stdout), /\[2\/3\] slow-cleanup \.\.\. failed/);
    assert.match(String(result.stdout), /\[3\/3\] last-cleanup \.\.\. skipped/);
    const recordPath = /^Record: (.+)$/m.exec(String(result.stdout))![1]!;
    const record = JSON.parse(await readFile(recordPath, 'utf8'));
    assert.equal(record.status, 'interrupted');
    assert.equal(record.steps[2].reason, 'the run was interrupted twice');
  });
});
