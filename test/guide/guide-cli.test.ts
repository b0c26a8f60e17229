/**
 * `labrun guide` from the command line (the built CLI): validate's diagnostics and exit 2 for an invalid
 * runbook, a step it cannot translate named with its line unless the step gives its commands, values from
 * an outputs file, example outputs from a real recorded run, and clear errors for an unusable --example.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labrun } from '../helpers/labrun-cli.js';

describe('labrun guide', function () {
  this.timeout(60_000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'labrun-guide-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the same diagnostics as validate for an invalid runbook, with exit 2', async () => {
    const file = 'test/fixtures/invalid/unknown-aws-operation.yaml';
    const validate = await labrun(['validate', file]);
    const guide = await labrun(['guide', file]);
    assert.equal(validate.exitCode, 2);
    assert.equal(guide.exitCode, 2);
    assert.equal(guide.stderr, validate.stderr);
    assert.equal(guide.stdout, '');
  });

  it('names a step it cannot translate and its line, and takes the commands the step gives instead', async () => {
    const body = (extra: string): string => `name: untranslatable
steps:
  - id: read-endpoint
    type: aws
    operation: DescribeDBClusters
    params: { DBClusterIdentifier: lab }
    capture:
      address: "{{result.DBClusters.0.Endpoint}}:3306"
${extra}`;
    const file = join(dir, 'untranslatable.yaml');
    await writeFile(file, body(''));
    const refused = await labrun(['guide', file]);
    assert.equal(refused.exitCode, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /untranslatable\.yaml:8:16: error: step read-endpoint: capture address is not a plain/,
    );
    assert.match(refused.stderr, /hint: give the step a `guide: \{commands: \.\.\.\}` field/);

    const given = join(dir, 'given.yaml');
    await writeFile(
      given,
      body(`    guide:
      text: Read the writer endpoint and add the port.
      commands: |
        ADDRESS="$(aws rds describe-db-clusters --db-cluster-identifier lab --query 'DBClusters[0].Endpoint' --output text):3306"
`),
    );
    const md = await labrun(['guide', given]);
    assert.equal(md.exitCode, 0, md.stderr);
    assert.match(md.stdout, /Read the writer endpoint and add the port\./);
    assert.match(md.stdout, /```bash\n {3}ADDRESS="\$\(aws rds describe-db-clusters/);
    const sh = await labrun(['guide', given, '--format', 'sh']);
    assert.equal(sh.exitCode, 0, sh.stderr);
    assert.match(sh.stdout, /^ADDRESS="\$\(aws rds describe-db-clusters/m);
  });

  it('writes the values of an outputs file instead of placeholders, never the password', async () => {
    const outputs = join(dir, 'outputs.json');
    await writeFile(
      outputs,
      JSON.stringify({
        clusterName: 'lab-cluster',
        clusterEndpoint: 'lab-cluster.cluster-x.us-west-2.rds.amazonaws.com',
        dbSecurityGroup: 'sg-123',
        dbSubnetGroup: 'lab-subnets',
      }),
    );
    const result = await labrun(['guide', 'runbooks/aurora-clone-backtrack.yaml', '--outputs', outputs], {
      env: { DBPASS: 'Password1', DBUSER: 'labuser' },
    });
    assert.equal(result.exitCode, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /\[clusterName\]|\[clusterEndpoint\]/);
    assert.match(result.stdout, /--source-db-cluster-identifier lab-cluster /);
    assert.match(result.stdout, /--db-cluster-identifier lab-cluster-clone/);
    assert.match(
      result.stdout,
      /mysql -h lab-cluster\.cluster-x\.us-west-2\.rds\.amazonaws\.com -u labuser mylab/,
    );
    assert.match(result.stdout, /export MYSQL_PWD="\$DBPASS"/);
    assert.ok(!result.stdout.includes('Password1'));
  });

  it('shows example outputs from a recorded run, and refuses an unreadable run or one of another runbook', async () => {
    const file = join(dir, 'example.yaml');
    await writeFile(
      file,
      `name: example-lab
steps:
  - id: remember
    title: Remember a number
    type: capture
    name: answer
    value: 42
  - id: answer-is-right
    type: assert
    that:
      - actual: "{{captures.answer}}"
        equals: 42
        message: The answer must be 42.
`,
    );
    const runs = join(dir, 'runs');
    const run = await labrun(['run', file, '--runs-dir', runs]);
    assert.equal(run.exitCode, 0, run.stderr);
    const [runId] = await readdir(runs);
    assert.ok(runId);
    const guide = await labrun(['guide', file, '--example', join(runs, runId)]);
    assert.equal(guide.exitCode, 0, guide.stderr);
    assert.match(guide.stdout, /Example output:\n\n {3}```text\n {3}answer: 42\n {3}```/);
    assert.match(guide.stdout, /```text\n {3}ok: The answer must be 42\.\n {3}```/);
    assert.match(guide.stdout, new RegExp(`Example outputs are from the run \`${runId}\``));

    const missing = await labrun(['guide', file, '--example', join(dir, 'no-such-run')]);
    assert.equal(missing.exitCode, 2);
    assert.match(missing.stderr, /labrun: cannot read the example run .*no-such-run: ENOENT/);

    const other = await labrun(['guide', 'runbooks/aurora-backtrack.yaml', '--example', join(runs, runId)]);
    assert.equal(other.exitCode, 2);
    assert.match(other.stderr, /is a run of the runbook "example-lab", not "aurora-backtrack"/);

    const notJson = join(dir, 'record.json');
    await writeFile(notJson, 'not json');
    const bad = await labrun(['guide', file, '--example', notJson]);
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /it is not JSON/);
  });

  it('refuses an unknown format', async () => {
    const result = await labrun(['guide', 'runbooks/aurora-backtrack.yaml', '--format', 'html']);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /--format html: expected md or sh/);
  });
});
