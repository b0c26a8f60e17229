/**
 * `labrun validate` output for people and machines (the built CLI): text with code frames, JSON, GitHub
 * annotations; a problem in a step group shared by two runbooks reported once; warnings shown with exit 0,
 * and errors with --strict (validate and plan).
 */
import assert from 'node:assert/strict';
import { labrun } from '../helpers/labrun-cli.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const GROUP = `kind: steps
steps:
  - id: shared-step
    type: capture
    name: shared
    value: "{{inputs.nope}}"
`;

const runbook = (name: string) => `name: ${name}
steps:
  - include: group.steps.yaml
`;

/** A YAML warning: an unknown tag is read as a plain string. */
const WARNED = `name: warned
steps:
  - id: a
    type: capture
    name: x
    value: !custom hello
`;

describe('labrun validate: formats, shared groups, warnings, --strict', function () {
  this.timeout(60_000);
  let ws: Workspace;
  let one: string;
  let two: string;
  let warned: string;

  before(async () => {
    ws = await workspace();
    await ws.write({ 'group.steps.yaml': GROUP });
    one = await ws.write({ 'one.yaml': runbook('one') });
    two = await ws.write({ 'two.yaml': runbook('two') });
    warned = await ws.write({ 'warned.yaml': WARNED });
  });
  after(async () => ws?.remove());

  it('reports a problem in a step group included by two runbooks once; both are invalid', async () => {
    const result = await labrun(['validate', one, two]);
    assert.equal(result.exitCode, 2);
    const frames = result.stderr.match(/group\.steps\.yaml:6:\d+: error: unknown input "nope"/g) ?? [];
    assert.equal(frames.length, 1, result.stderr);
    assert.match(result.stderr, /two\.yaml: invalid; 1 problem in shared files reported above/);
    assert.match(result.stderr, /2 of 2 files are invalid/);
  });

  it('prints GitHub annotations on stdout, one per problem', async () => {
    const result = await labrun(['validate', '--format', 'github', one, two]);
    assert.equal(result.exitCode, 2);
    const lines = result.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, result.stdout);
    assert.match(
      lines[0]!,
      /^::error file=[^,]*group\.steps\.yaml,line=6,col=13,endColumn=\d+,title=labrun unknown-reference::unknown input "nope" in "inputs\.nope"(%0Ahint: .*)?$/,
    );
  });

  it('prints JSON on stdout: each file and each problem once', async () => {
    const result = await labrun(['validate', '--format', 'json', one, two, warned]);
    assert.equal(result.exitCode, 2);
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      files: Array<{ file: string; valid: boolean; errors: number; warnings: number }>;
      diagnostics: Array<{ file: string; line: number; col: number; severity: string; code: string }>;
    };
    assert.equal(report.valid, false);
    assert.deepEqual(
      report.files.map((f) => [f.file, f.valid, f.errors, f.warnings]),
      [
        [one, false, 1, 0],
        [two, false, 1, 0],
        [warned, true, 0, 1],
      ],
    );
    assert.deepEqual(
      report.diagnostics.map((d) => [d.file.replace(ws.dir, ''), d.line, d.col, d.severity, d.code]),
      [
        ['/group.steps.yaml', 6, 13, 'error', 'unknown-reference'],
        ['/warned.yaml', 6, 12, 'warning', 'yaml-syntax'],
      ],
    );
  });

  it('shows warnings and exits 0; --strict makes them errors', async () => {
    const plain = await labrun(['validate', warned]);
    assert.equal(plain.exitCode, 0, plain.stderr);
    assert.equal(plain.stdout, `ok ${warned} (1 warning)`);
    assert.match(
      plain.stderr,
      /warned\.yaml:6:12: warning: unresolved tag: !custom\n6 \| {5}value: !custom hello/,
    );
    const strict = await labrun(['validate', '--strict', warned]);
    assert.equal(strict.exitCode, 2);
    assert.equal(strict.stdout, '');
    assert.match(strict.stderr, /warned\.yaml:6:12: error: unresolved tag: !custom/);
    const github = await labrun(['validate', '--format', 'github', warned]);
    assert.equal(github.exitCode, 0);
    assert.match(github.stdout, /^::warning file=[^,]*warned\.yaml,line=6,col=12,/);
  });

  it('plan shows warnings, and refuses them with --strict', async () => {
    const outputs = await ws.write({ 'outputs.json': '{}' });
    const plan = await labrun(['plan', warned, '--outputs', outputs]);
    assert.equal(plan.exitCode, 0, plan.stderr);
    assert.match(plan.stderr, /warning: unresolved tag/);
    assert.match(plan.stdout, /\[1\/1\] reads {3}a/);
    const strict = await labrun(['plan', warned, '--outputs', outputs, '--strict']);
    assert.equal(strict.exitCode, 2);
    assert.match(strict.stderr, /error: unresolved tag/);
    assert.equal(strict.stdout, '');
  });

  it('refuses an unknown format', async () => {
    const result = await labrun(['validate', '--format', 'xml', one]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, /argument 'xml' is invalid\. Allowed choices are text, json, github/);
  });
});
