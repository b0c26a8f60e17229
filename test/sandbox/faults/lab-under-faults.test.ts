/**
 * The seed lab `aurora-clone-backtrack.yaml` run with `labrun run --sandbox` against a sandbox whose API
 * injects throttling, 5xx answers and dropped connections (LABRUN_SANDBOX_FAULTS). The run either passes
 * (exit 0) or fails with a clear message (exit 3); either way its cleanup leaves no clone, the password never appears, and
 * `sandbox down` leaves no mariadbd running.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertOnlySourceCluster } from '../../helpers/sandbox-state.js';
import { labrun as labrunCli } from '../../helpers/labrun-cli.js';
import { serversOf } from '../../helpers/loopback.js';
const PASSWORD = 'Password1';
/**
 * Throttling alone is retried on every call (it proves the request was not carried out), so that lab must
 * pass; with 5xx answers and dropped connections a non-idempotent call may fail, and the run may then end 3.
 */
const CASES = [
  { faults: 'throttle=0.2,seed=5', mustPass: true },
  { faults: 'throttle=0.1,error5xx=0.08,drop=0.04,seed=99', mustPass: false },
];

for (const { faults, mustPass } of CASES) {
  describe(`the clone-and-backtrack lab on a sandbox that injects API faults (${faults})`, function () {
    this.timeout(600_000);
    let home = '';
    let out = '';
    const labrun = (args: string[]) =>
      labrunCli(args, {
        timeout: 500_000,
        env: {
          LABRUN_SANDBOX_HOME: home,
          LABRUN_SANDBOX_PORT: '0',
          LABRUN_SANDBOX_HOST_BASE: '127.0.32.1',
          LABRUN_SANDBOX_FAULTS: faults,
        },
      });

    before(async () => {
      home = await mkdtemp(join(tmpdir(), 'labrun-faults-e2e-'));
      out = await mkdtemp(join(tmpdir(), 'labrun-faults-e2e-out-'));
      const up = await labrun(['sandbox', 'up', '--table-size', '2000']);
      assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
    });

    after(async () => {
      if (home) {
        await labrun(['sandbox', 'down']);
        const left = serversOf(home);
        await labrun(['sandbox', 'down', '--purge']);
        await rm(home, { recursive: true, force: true });
        assert.deepEqual(left, [], 'no mariadbd of the sandbox is left running after `sandbox down`');
      }
      if (out) await rm(out, { recursive: true, force: true });
    });

    it(
      mustPass
        ? 'passes and cleans up'
        : 'passes, or fails with a clear message and exit 3, and cleans up either way',
      async () => {
        const json = join(out, 'record.json');
        const result = await labrun([
          'run',
          'runbooks/aurora-clone-backtrack.yaml',
          '--sandbox',
          '--set',
          'tableSize=2000',
          '--set',
          'pollInterval=200ms',
          '--set',
          'pollMaxInterval=1s',
          '--runs-dir',
          join(out, 'runs'),
          '--json',
          json,
        ]);
        const output = `${result.stdout}\n${result.stderr}`;
        assert.ok(
          (mustPass ? [0] : [0, 3]).includes(result.exitCode ?? -1),
          `exit ${result.exitCode}:\n${output}`,
        );
        const record = JSON.parse(await readFile(json, 'utf8')) as {
          status: string;
          steps: Array<{ id: string; status: string; error?: { message: string } }>;
        };
        if (result.exitCode === 0) {
          assert.equal(record.status, 'passed');
        } else {
          assert.equal(record.status, 'failed');
          const failed = record.steps.find((s) => s.status === 'failed');
          assert.ok(failed?.error?.message, 'the failed step carries its error');
          assert.match(result.stderr, new RegExp(`step ${failed.id}: `), 'stderr names the failed step');
        }
        assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
        for (const text of [result.stdout, result.stderr, JSON.stringify(record)])
          assert.ok(!text.includes(PASSWORD), 'the master password never appears');

        // The API really did inject faults during the run.
        const log = await readFile(join(home, 'daemon.log'), 'utf8');
        assert.match(log, /fault: (throttle|InternalFailure|ServiceUnavailable|drop)/);

        // The finally steps deleted the clone and its instance (the deletion may still be finishing), and
        // the run's own check after finally agrees.
        await assertOnlySourceCluster(home, 60_000);
        assert.deepEqual((record as { resources?: { leaked: unknown[] } }).resources?.leaked ?? [], []);
      },
    );
  });
}
