/**
 * Both seed labs end to end, as a lab runner runs them: `labrun run runbooks/... --sandbox` against a sandbox
 * whose sbtest1 holds LABRUN_E2E_TABLE_SIZE rows (default 1,000,000, the guide's size). Checks the exit code, the
 * run record, the JUnit report, the captured values' relations the guides document, that the password never
 * appears, and that the lab leaves only the source cluster behind. The sandbox runs in strict mode
 * (`sandbox up --strict`), which refuses what today's AWS refuses (engine `aurora`, db.r4 classes), so the labs
 * pass only by taking the clone's engine and instance class from the source cluster, as on a stack made today.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { XMLParser } from 'fast-xml-parser';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';
import { labrun as labrunCli } from '../helpers/labrun-cli.js';
import { serversOf } from '../helpers/loopback.js';
const TABLE_SIZE = Number(process.env.LABRUN_E2E_TABLE_SIZE ?? 1_000_000);
const PASSWORD = 'Password1';

interface RunRecord {
  status: string;
  exitCode: number;
  captures: Record<string, unknown>;
  steps: Array<{ id: string; status: string }>;
  resources?: { created: unknown[]; leaked: unknown[] };
}

describe(`the seed labs on the sandbox (${TABLE_SIZE.toLocaleString('en-US')} rows)`, function () {
  this.timeout(900_000);
  let home: string;
  let out: string;
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.50.1',
  });
  const labrun = (args: string[]) => labrunCli(args, { env: env(), timeout: 800_000 });

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'labrun-e2e-'));
    out = await mkdtemp(join(tmpdir(), 'labrun-e2e-out-'));
    const up = await labrun(['sandbox', 'up', '--strict', '--table-size', String(TABLE_SIZE)]);
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
    assert.match(up.stdout, /sandbox ready at .*\(stack auroralab, strict mode\)/);
  });

  after(async () => {
    if (home) await labrun(['sandbox', 'down', '--purge']);
    if (home) assert.deepEqual(serversOf(home), [], 'no mariadbd of the sandbox is left running');
    await rm(home, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  async function runLab(runbook: string, name: string) {
    const json = join(out, `${name}.json`);
    const junit = join(out, `${name}.xml`);
    const result = await labrun([
      'run',
      runbook,
      '--sandbox',
      '--set',
      `tableSize=${TABLE_SIZE}`,
      '--set',
      'pollInterval=200ms',
      '--set',
      'pollMaxInterval=1s',
      '--runs-dir',
      join(out, 'runs'),
      '--json',
      json,
      '--junit',
      junit,
    ]);
    const record = JSON.parse(await readFile(json, 'utf8')) as RunRecord;
    const junitXml = await readFile(junit, 'utf8');
    return { result, record, junitXml };
  }

  it("runs in strict mode: the guide's literal --engine aurora --db-instance-class db.r4.large is refused", async () => {
    const status = await labrun(['sandbox', 'status']);
    assert.match(status.stdout, /^running at (http:\/\/127\.0\.0\.1:\d+) \(strict mode\)$/m);
    const endpoint = /^running at (\S+)/m.exec(status.stdout)![1]!;
    // The mode is the daemon's: asking for lenient while it runs strict is refused; asking for strict is not.
    const lenient = await labrunCli(['sandbox', 'up'], { env: { ...env(), LABRUN_SANDBOX_STRICT: '0' } });
    assert.equal(lenient.exitCode, 2, `${lenient.stdout}\n${lenient.stderr}`);
    assert.match(lenient.stderr, /already running in strict mode, and lenient mode was asked for/);
    const again = await labrun(['sandbox', 'up', '--strict']);
    assert.equal(again.exitCode, 0, `${again.stdout}\n${again.stderr}`);
    const rds = new RDSClient({
      endpoint,
      region: 'us-west-2',
      credentials: { accessKeyId: 'labrun', secretAccessKey: 'labrun-sandbox' },
      maxAttempts: 1,
    });
    try {
      for (const [engine, instanceClass, code] of [
        ['aurora', 'db.r6g.large', 'InvalidParameterValue'],
        ['aurora-mysql', 'db.r4.large', 'InvalidParameterCombination'],
      ] as const) {
        await assert.rejects(
          rds.send(
            new CreateDBInstanceCommand({
              DBInstanceIdentifier: 'guide-literal-instance',
              DBInstanceClass: instanceClass,
              Engine: engine,
              DBClusterIdentifier: 'auroralab-mysql-cluster',
            }),
          ),
          (error: Error) => error.name === code,
          `${engine} on ${instanceClass}`,
        );
      }
    } finally {
      rds.destroy();
    }
  });

  it('runs Part 3 (clone, checksums, drop, re-prepare, two backtracks) and passes every assertion', async () => {
    const { result, record, junitXml } = await runLab('runbooks/aurora-clone-backtrack.yaml', 'part3');
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(record.status, 'passed');
    assert.ok(record.steps.every((s) => s.status === 'passed'));

    const c = record.captures;
    // The clone's instance was made with what the source reports, which strict mode accepts.
    assert.equal(c.sourceEngine, 'aurora-mysql');
    assert.equal(c.sourceEngineVersion, '8.0.mysql_aurora.3.10.0');
    assert.equal(c.sourceInstanceClass, 'db.r6g.large');
    assert.equal(c.cloneChecksum, c.sourceChecksum, 'clone equals source');
    assert.notEqual(c.repreparedChecksum, c.cloneChecksum, 're-prepared table differs');
    assert.equal(c.restoredChecksum, c.sourceChecksum, 'second backtrack restores the original data');
    assert.equal(c.sourceChecksumAfter, c.sourceChecksum, 'the source was not written to');
    assert.match(String(c.beforeDrop), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.ok(Date.parse(String(c.beforeDrop)) <= Date.parse(String(c.afterDrop)), 'markers in order');

    // The terminal shows the time markers, checksums and assertion results.
    assert.match(result.stdout, new RegExp(`beforeDrop\\s+${String(c.beforeDrop).replaceAll('.', '\\.')}`));
    assert.match(result.stdout, new RegExp(`sourceChecksum\\s+${String(c.sourceChecksum)}`));
    assert.match(result.stdout, /✔ table-missing/);

    const suite = new XMLParser({ ignoreAttributes: false }).parse(junitXml) as {
      testsuites: { testsuite: { '@_tests': string; '@_failures': string } };
    };
    assert.equal(Number(suite.testsuites.testsuite['@_tests']), record.steps.length);
    assert.equal(Number(suite.testsuites.testsuite['@_failures']), 0);

    for (const text of [result.stdout, result.stderr, JSON.stringify(record), junitXml]) {
      assert.ok(!text.includes(PASSWORD), 'the master password never appears');
    }
  });

  it('leaves only the source cluster behind', async () => {
    await assertOnlySourceCluster(home, 60_000);
  });

  it('runs "Backtracking a Cluster" on a fresh clone and passes every assertion', async () => {
    const { result, record } = await runLab('runbooks/aurora-backtrack.yaml', 'backtrack');
    assert.equal(result.exitCode, 0, `${result.stdout}\n${result.stderr}`);
    assert.equal(record.status, 'passed');
    const c = record.captures;
    assert.notEqual(c.repreparedChecksum, c.cloneChecksum);
    assert.equal(c.restoredChecksum, c.cloneChecksum);
    assert.ok(record.steps.some((s) => s.id === 'table-missing' && s.status === 'passed'));
    assert.deepEqual(record.resources?.leaked, [], 'the run reports nothing left behind');
    await assertOnlySourceCluster(home, 60_000);
  });
});
