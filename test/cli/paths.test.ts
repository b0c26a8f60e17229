/**
 * Bad paths given to the built CLI: a runs dir where nothing can be made (/proc), a runs dir or a parent that
 * is a file, a report named after a directory, a resume of a directory outside the runs dir. Each is a usage
 * error (exit 2) naming the flag or path, at once, with nothing left behind.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { labrun as labrunCli, type LabrunProcess } from '../helpers/labrun-cli.js';
import { workspace, type Workspace } from '../helpers/runbook.js';

const RUNBOOK = `name: paths
steps:
  - id: one
    type: capture
    name: one
    value: "1"
`;

/** Files named like the temp file of an atomic write (`<path>.<pid>.tmp`) in `dir`. */
function strayTemps(dir: string): string[] {
  return readdirSync(dir).filter((name) => /\.\d+\.tmp$/.test(name));
}

describe('labrun and bad paths (node dist/cli/main.js)', function () {
  this.timeout(60_000);
  let ws: Workspace;
  let file: string;
  let outputs: string;

  before(async () => {
    ws = await workspace();
    file = await ws.write({ 'paths.yaml': RUNBOOK, 'outputs.json': '{}' });
    outputs = join(ws.dir, 'outputs.json');
    await writeFile(join(ws.dir, 'a-file'), 'not a directory\n');
  });
  after(async () => ws?.remove());

  function labrun(args: string[]): LabrunProcess {
    return labrunCli(args, { cwd: ws.dir, timeout: 20_000 });
  }

  it('refuses --runs-dir under /proc at once, with exit 2 (it used to spin and ignore SIGTERM)', async () => {
    const started = Date.now();
    const result = await labrun(['run', file, '--outputs', outputs, '--runs-dir', '/proc/labrun-nowhere']);
    const took = Date.now() - started;
    assert.equal(result.timedOut, false, 'labrun ended by itself');
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(
      result.stderr,
      /^labrun: --runs-dir \/proc\/labrun-nowhere: cannot create \/proc\/labrun-nowhere: /,
    );
    assert.doesNotMatch(result.stderr, /internal error|^\s+at /m);
    assert.ok(took < 10_000, `answered in ${took} ms`);
  });

  it('refuses a --runs-dir that is a file, or lies under one, with exit 2 naming it', async () => {
    for (const runsDir of ['a-file', 'a-file/runs']) {
      const result = await labrun(['run', file, '--outputs', outputs, '--runs-dir', runsDir]);
      assert.equal(result.exitCode, 2, `${runsDir}: ${result.stderr}`);
      assert.equal(
        result.stderr.split('\n')[0],
        `labrun: --runs-dir ${runsDir}: ${join(ws.dir, 'a-file')} is not a directory`,
      );
    }
    assert.equal(readFileSync(join(ws.dir, 'a-file'), 'utf8'), 'not a directory\n', 'the file is untouched');
  });

  it('refuses --json and --junit naming a directory before the run, and leaves no temp file', async () => {
    const parent = join(ws.dir, 'reports');
    const target = join(parent, 'here');
    await mkdir(target, { recursive: true });
    for (const flag of ['--json', '--junit']) {
      for (const path of [target, '/tmp']) {
        const result = await labrun(['run', file, '--outputs', outputs, flag, path]);
        assert.equal(result.exitCode, 2, `${flag} ${path}: ${result.stderr}`);
        assert.equal(
          result.stderr.split('\n')[0],
          `labrun: ${flag} ${path}: is a directory; name the file to write`,
        );
        assert.doesNotMatch(result.stdout, /passed/, 'nothing ran');
      }
    }
    assert.deepEqual(strayTemps(parent), []);
    assert.deepEqual(strayTemps('/'), [], 'no /tmp.<pid>.tmp in /');
    const underFile = await labrun(['run', file, '--outputs', outputs, '--json', 'a-file/record.json']);
    assert.equal(underFile.exitCode, 2, underFile.stderr);
    assert.match(underFile.stderr, /^labrun: --json a-file\/record\.json: .*a-file is not a directory/);
  });

  it('still creates a missing runs dir and report directories', async () => {
    const result = await labrun([
      'run',
      file,
      '--outputs',
      outputs,
      '--runs-dir',
      'new/runs',
      '--json',
      'out/deep/record.json',
    ]);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.equal(readdirSync(join(ws.dir, 'new/runs')).length, 1);
    assert.ok(existsSync(join(ws.dir, 'out/deep/record.json')));
  });

  it('resumes only run directories inside the runs dir; --runs-dir naming its parent lets one in', async () => {
    // A cut-off run kept elsewhere: its journal has no run-finished.
    const first = await labrun(['run', file, '--outputs', outputs, '--runs-dir', 'elsewhere']);
    assert.equal(first.exitCode, 0, first.stderr);
    const runDir = join('elsewhere', readdirSync(join(ws.dir, 'elsewhere'))[0]!);
    const journal = join(ws.dir, runDir, 'journal.jsonl');
    const lines = readFileSync(journal, 'utf8').trimEnd().split('\n');
    await writeFile(journal, `${lines.filter((line) => !line.includes('"run-finished"')).join('\n')}\n`);

    for (const named of [runDir, `../${ws.dir.split('/').pop()}/${runDir}`, join(ws.dir, runDir)]) {
      const refused = await labrun(['resume', named, '--runs-dir', 'runs']);
      assert.equal(refused.exitCode, 2, `${named}: ${refused.stderr}`);
      assert.match(
        refused.stderr,
        new RegExp(`^labrun: run directory ${named.replaceAll('.', '\\.')} is not inside the runs dir runs`),
      );
    }
    // A run id that climbs out of the runs dir is no run id.
    await mkdir(join(ws.dir, 'runs'), { recursive: true });
    const climbing = await labrun(['resume', `../${runDir}`]);
    assert.equal(climbing.exitCode, 2, climbing.stderr);
    assert.match(climbing.stderr, /is not inside the runs dir runs/);
    assert.equal(readFileSync(journal, 'utf8').split('\n').filter(Boolean).length, lines.length - 1);

    const resumed = await labrun(['resume', runDir, '--runs-dir', 'elsewhere']);
    assert.equal(resumed.exitCode, 0, resumed.stderr);
    assert.match(readFileSync(journal, 'utf8'), /"run-finished"/);
  });
});
