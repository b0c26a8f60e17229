/**
 * Honest cleanup on the sandbox (issue 10, item 5), with the seed lab as a lab author ran it: the clone's
 * create fails (its source does not exist), so `finally` has nothing to delete. Both deletes are skipped with
 * "nothing to delete: <id> does not exist" after the sandbox's DescribeDBInstances / DescribeDBClusters say
 * so, and the summary counts the one failure. A clone that exists but is not the run's is still refused.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labrun as labrunCli } from '../helpers/labrun-cli.js';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';

interface RunRecord {
  status: string;
  exitCode: number;
  steps: Array<{ id: string; status: string; reason?: string; error?: { code: string; hint?: string } }>;
}

describe('cleanup of what a run never created, on the sandbox (node dist/cli/main.js)', function () {
  this.timeout(600_000);
  let home: string;
  let out: string;
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.38.1',
  });
  const labrun = (args: string[]) => labrunCli(args, { env: env(), timeout: 300_000 });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'labrun-cleanup-'));
    out = await mkdtemp(join(tmpdir(), 'labrun-cleanup-out-'));
    const up = await labrun(['sandbox', 'up', '--table-size', '1000']);
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
  });
  after(async () => {
    if (home) await labrun(['sandbox', 'down', '--purge']);
    await rm(home, { recursive: true, force: true });
    await rm(out, { recursive: true, force: true });
  });

  const runLab = async (name: string, set: string[]) => {
    const json = join(out, `${name}.json`);
    const result = await labrun([
      'run',
      'runbooks/aurora-clone-backtrack.yaml',
      '--sandbox',
      ...set.flatMap((s) => ['--set', s]),
      '--runs-dir',
      join(out, 'runs'),
      '--json',
      json,
    ]);
    return { result, record: JSON.parse(await readFile(json, 'utf8')) as RunRecord };
  };

  it('skips the deletes of a clone that was never created: "1 failed", exit 3, nothing deleted', async () => {
    const { result, record } = await runLab('missing-source', ['clusterName=no-such-cluster']);
    assert.equal(result.exitCode, 3, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /Run failed in .*: 0 passed, 1 failed, 29 skipped/);
    const byId = new Map(record.steps.map((s) => [s.id, s]));
    // The source is looked up first (its engine and instance class), and it does not exist.
    assert.equal(byId.get('describe-source')?.status, 'failed');
    assert.equal(byId.get('describe-source')?.error?.code, 'DBClusterNotFoundFault');
    assert.equal(byId.get('clone-create')?.status, 'skipped');
    assert.deepEqual(
      ['delete-clone-instance', 'delete-clone-cluster'].map((id) => [
        byId.get(id)?.status,
        byId.get(id)?.reason,
      ]),
      [
        ['skipped', 'nothing to delete: no-such-cluster-clone-instance does not exist'],
        ['skipped', 'nothing to delete: no-such-cluster-clone does not exist'],
      ],
    );
    assert.match(
      result.stdout,
      /delete-clone-cluster \.\.\. skipped \(nothing to delete: no-such-cluster-clone does not exist\)/,
    );
    assert.doesNotMatch(result.stderr, /DestructiveStepRefused|refused to call/);
    await assertOnlySourceCluster(home);
  });

  it("still refuses to delete a clone that exists and is not the run's", async () => {
    // A first run is cut short after its clone exists: its own cleanup is skipped by the crash point.
    const first = await labrunCli(
      ['run', 'runbooks/aurora-clone-backtrack.yaml', '--sandbox', '--runs-dir', join(out, 'runs')],
      { env: { ...env(), LABRUN_CRASH_AT: 'clone-describe:start' }, timeout: 300_000 },
    );
    assert.notEqual(first.exitCode, 0);
    // A second run with the same clone name finds it taken; its cleanup must leave the first run's clone be.
    const { result, record } = await runLab('taken', []);
    assert.equal(result.exitCode, 3);
    const byId = new Map(record.steps.map((s) => [s.id, s]));
    assert.equal(byId.get('clone-create')?.error?.code, 'DBClusterAlreadyExistsFault');
    for (const id of ['delete-clone-instance', 'delete-clone-cluster']) {
      assert.equal(byId.get(id)?.status, 'failed', id);
      assert.equal(byId.get(id)?.error?.code, 'DestructiveStepRefused', id);
      assert.match(byId.get(id)!.error!.hint!, /it existed before this run|disposable/);
    }
    const status = await labrun(['sandbox', 'status']);
    assert.match(
      status.stdout,
      /auroralab-mysql-cluster-clone\s+available/,
      "the first run's clone is still there",
    );
  });
});
