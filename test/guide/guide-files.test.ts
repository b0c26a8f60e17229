/**
 * The generated guides under docs/guides/: current (regenerated from the seed runbooks, they must be the
 * committed files, like the schema check), clean under markdownlint, and valid bash that stops with exit 2
 * before the lab starts when a value is missing or unusable. The aws CLI's own naming rule (botocore's
 * xform_name, run by the real Python botocore) gives the same option and command names as the guide's for
 * every RDS and CloudFormation operation and input member.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { writeGuide } from '../../src/guide/index.js';
import { cliName } from '../../src/guide/names.js';
import { compileRunbook } from '../../src/runbook/index.js';
import { modelledOperations, operationModel } from '../../src/steps/aws/model.js';

const SEEDS = ['aurora-clone-backtrack', 'aurora-backtrack'];

describe('the generated lab guides in docs/guides', () => {
  for (const name of SEEDS) {
    for (const format of ['md', 'sh'] as const) {
      it(`docs/guides/${name}.${format} is what labrun guide writes now`, () => {
        const { runbook, diagnostics } = compileRunbook(`runbooks/${name}.yaml`);
        assert.ok(runbook, JSON.stringify(diagnostics));
        const result = writeGuide(runbook, { format });
        assert.deepEqual(result.diagnostics, []);
        const committed = readFileSync(`docs/guides/${name}.${format}`, 'utf8');
        assert.equal(
          committed,
          result.text,
          `docs/guides/${name}.${format} is stale: regenerate it with labrun guide runbooks/${name}.yaml${format === 'sh' ? ' --format sh' : ''} --out docs/guides/${name}.${format}`,
        );
      });
    }
    it(`docs/guides/${name}.sh parses as bash`, async () => {
      const result = await execa('bash', ['-n', `docs/guides/${name}.sh`], { reject: false });
      assert.equal(result.exitCode, 0, String(result.stderr));
    });
    it(`docs/guides/${name}.sh stops with exit 2 before the lab when a value is missing or unusable`, async () => {
      const file = `docs/guides/${name}.sh`;
      const script = readFileSync(file, 'utf8');
      const fromStack = [...script.matchAll(/^([A-Z_]+)="\$\{\1:-\$\(stack_output /gm)].map((m) => m[1]!);
      const required = [...script.matchAll(/^\[ -n "\$\{([A-Z_]+):-\}" \] \|\| /gm)].map((m) => m[1]!);
      const durations = [...script.matchAll(/^seconds_of "\$([A-Z_]+)" >\/dev\/null \|\| exit 2$/gm)].map(
        (m) => m[1]!,
      );
      assert.ok(
        fromStack.length > 0 && required.length > 0 && durations.length > 0,
        'the script reads values',
      );
      const clean = Object.fromEntries(
        Object.entries(process.env).filter(
          (entry): entry is [string, string] =>
            entry[1] !== undefined && !/^(AWS_|LABRUN_|MYSQL_|STACK_NAME$|DB)/.test(entry[0]),
        ),
      );
      const run = async (env: Record<string, string>) => {
        const result = await execa('bash', [file], {
          env: { ...clean, ...env },
          extendEnv: false,
          reject: false,
        });
        return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
      };
      const given = Object.fromEntries([...fromStack, ...required].map((v) => [v, 'x']));

      const noStack = await run({});
      assert.deepEqual(noStack.exitCode, 2, noStack.stderr);
      assert.match(noStack.stderr, /give the stack name as STACK_NAME or the first argument/);
      for (const variable of required) {
        const missing = await run({ ...given, [variable]: '' });
        assert.equal(missing.exitCode, 2, missing.stderr);
        assert.match(missing.stderr, new RegExp(`^set ${variable}: it is the \\w+ input$`, 'm'));
        assert.equal(missing.stdout, '', 'no step started');
      }
      for (const variable of durations) {
        const wrong = await run({ ...given, [variable]: 'soon' });
        assert.equal(wrong.exitCode, 2, wrong.stderr);
        assert.match(wrong.stderr, /^not a duration: "soon" \(expected e\.g\. 500ms, 10s, 5m, 1h30m\)$/m);
        assert.equal(wrong.stdout, '', 'no step started');
      }
    });
  }

  it('passes markdownlint', async function () {
    this.timeout(60_000);
    const result = await execa('npx', ['markdownlint-cli2', 'docs/guides/*.md'], { reject: false });
    assert.equal(result.exitCode, 0, `${String(result.stdout)}\n${String(result.stderr)}`);
    assert.match(String(result.stderr) + String(result.stdout), /Linting: 2 file\(s\)/);
  });
});

describe('aws CLI names', () => {
  it("are botocore's for every RDS and CloudFormation operation and input member", async function () {
    this.timeout(60_000);
    const names = new Set<string>();
    for (const service of ['rds', 'cloudformation'] as const) {
      for (const operation of modelledOperations(service)) {
        names.add(operation);
        for (const member of Object.keys(operationModel(service, operation)?.input.members ?? {}))
          names.add(member);
      }
    }
    const list = [...names].sort();
    assert.ok(list.length > 500, `only ${list.length} names`);
    const script =
      'import json, sys\nfrom botocore import xform_name\nprint(json.dumps([xform_name(n, "-") for n in json.load(sys.stdin)]))';
    const result = await execa('python3', ['-c', script], { input: JSON.stringify(list) });
    const expected = JSON.parse(String(result.stdout)) as string[];
    const differ = list
      .filter((name, i) => cliName(name) !== expected[i])
      .map((name, i) => `${name}: ${cliName(name)} vs ${expected[i]}`);
    assert.deepEqual(differ, []);
    assert.equal(cliName('RestoreDBClusterToPointInTime'), 'restore-db-cluster-to-point-in-time');
    assert.equal(cliName('DBClusterIdentifier'), 'db-cluster-identifier');
  });
});
