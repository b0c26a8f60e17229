/**
 * The generated guides, followed for real: the `.sh` of each seed runbook, and the fenced command blocks of
 * its `.md` in order, run by bash against a sandbox with the real aws CLI, mysql client and sysbench. labrun
 * only starts the sandbox, writes the guides and prints `labrun sandbox env` beforehand; the shell that runs a
 * guide gets that environment (AWS_ENDPOINT_URL, dummy keys, DBUSER, DBPASS read from the password file) and
 * nothing of labrun's. Each run is traced with `strace -f -e trace=execve`: no node or labrun process starts,
 * the aws CLI, mysql and sysbench do, and the password is on no command line.
 *
 * The checks are generic over the runbooks' contents: every capture and every assertion message comes from
 * the compiled runbook. A passing script prints each capture and `ok: MESSAGE` for each assertion; the
 * guide's commands print the same captures and `ok` lines, with the same equalities between captures. Both
 * leave only the source cluster (asked through the RDS API). A script whose data is broken on purpose (a
 * write to the clone just before its checksum) exits 1 naming the failed check, and still cleans up.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { compileRunbook } from '../../src/runbook/index.js';
import type { CompiledRunbook } from '../../src/runbook/types.js';
import { capturedNamesOf } from '../../src/steps/statics.js';
import { labrun as labrunCli } from '../helpers/labrun-cli.js';
import { serversOf } from '../helpers/loopback.js';
import { assertOnlySourceCluster } from '../helpers/sandbox-state.js';

const TABLE_SIZE = Number(process.env.LABRUN_GUIDE_TABLE_SIZE ?? 2000);
const SEEDS = ['aurora-clone-backtrack', 'aurora-backtrack'];
/** What the `--sandbox` guide asks the reader to run first. */
const SANDBOX_ENV_LINE = 'eval "$(labrun sandbox env)"';
/** The script's inputs that differ from the defaults: the sandbox's table, and polls as fast as the e2e runs'. */
const SCRIPT_ENV = { TABLE_SIZE: String(TABLE_SIZE), POLL_INTERVAL: '200ms', POLL_MAX_INTERVAL: '1s' };

interface GuideRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The execve calls of the run (strace -f), one a line. */
  trace: string;
  ms: number;
}

/** `name: value` lines for the runbook's captures, `ok:`/`NOT OK:` lines for its assertions. */
interface Outcomes {
  captures: Map<string, string>;
  ok: string[];
  notOk: string[];
}

describe(`the generated guides run with the aws CLI, mysql and sysbench (${TABLE_SIZE} rows)`, function () {
  this.timeout(600_000);
  let home: string;
  let dir: string;
  let envFile: string;
  let password: string;
  const timings: string[] = [];
  const env = (): Record<string, string> => ({
    LABRUN_SANDBOX_HOME: home,
    LABRUN_SANDBOX_PORT: '0',
    LABRUN_SANDBOX_HOST_BASE: '127.0.56.1',
  });
  const labrun = (args: string[]) => labrunCli(args, { env: env(), timeout: 300_000 });

  before(async function () {
    home = await mkdtemp(join(tmpdir(), 'guide-proof-sbx-'));
    dir = await mkdtemp(join(tmpdir(), 'guide-proof-'));
    const up = await labrun(['sandbox', 'up', '--table-size', String(TABLE_SIZE)]);
    assert.equal(up.exitCode, 0, `sandbox up failed:\n${up.stdout}\n${up.stderr}`);
    const lines = await labrun(['sandbox', 'env']);
    assert.equal(lines.exitCode, 0, lines.stderr);
    envFile = join(dir, 'sandbox.env');
    await writeFile(envFile, lines.stdout);
    password = (await readFile(join(home, 'db-password'), 'utf8')).trim();
    assert.ok(password.length >= 8, 'the sandbox has a real password to look for');
  });

  after(async () => {
    if (home) await labrun(['sandbox', 'down', '--purge']);
    if (home) assert.deepEqual(serversOf(home), [], 'no mariadbd of the sandbox is left running');
    await rm(home, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    if (timings.length > 0) console.log(`      guide runs: ${timings.join(', ')}`);
  });

  /** Writes `labrun guide FILE ARGS...` to `out` with the built CLI. */
  async function writeGuideFile(runbook: string, args: string[], out: string): Promise<string> {
    const result = await labrun(['guide', runbook, ...args, '--out', out]);
    assert.equal(result.exitCode, 0, result.stderr);
    const text = await readFile(out, 'utf8');
    assert.ok(!text.includes(password), `${out}: the guide never holds the password`);
    return text;
  }

  /**
   * Runs `bash SCRIPT ARGS...` under strace, in an environment of the test's own (nothing of labrun's, no AWS
   * settings) plus what `labrun sandbox env` printed, sourced first.
   */
  async function runTraced(
    script: string,
    extra: Record<string, string>,
    options: { stackArgument?: boolean } = {},
  ): Promise<GuideRun> {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] =>
          entry[1] !== undefined && !/^(AWS_|LABRUN_|MYSQL_|DBUSER$|DBPASS$|STACK_NAME$)/.test(entry[0]),
      ),
    );
    const trace = join(dir, `${basename(script)}.trace`);
    // The stack name as `labrun sandbox env` gives it, as the script's first argument.
    const stack = options.stackArgument ? ' "$LABRUN_STACK"' : '';
    const started = Date.now();
    const result = await execa(
      'strace',
      [
        ...['-f', '--seccomp-bpf', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-s', '65536'],
        ...['-o', trace, 'bash', '-c', `source "$1" && exec bash "$2"${stack}`, 'guide-run', envFile, script],
      ],
      { env: { ...base, ...extra }, extendEnv: false, reject: false, timeout: 500_000 },
    );
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
      trace: await readFile(trace, 'utf8'),
      ms: Date.now() - started,
    };
  }

  /** No labrun and no node ran; the lab's tools did; the password is on no command line and in no output. */
  function assertTrace(run: GuideRun, what: string, tools = ['aws', 'mysql', 'sysbench']): void {
    const programs = [...run.trace.matchAll(/execve\("([^"]+)", .* = 0$/gm)].map((m) => basename(m[1]!));
    assert.deepEqual(
      programs.filter((p) => p === 'node' || p === 'labrun' || p === 'npx'),
      [],
      `${what}: no labrun in the loop`,
    );
    for (const tool of tools)
      assert.ok(
        programs.includes(tool),
        `${what}: ${tool} ran (programs: ${[...new Set(programs)].join(' ')})`,
      );
    // The trace shows whole command lines, so a password on one would be there to see.
    assert.match(run.trace, /execve\("[^"]*mysql", \["mysql", "-h", "[^"]+", "-u", "masteruser", /);
    if (tools.includes('sysbench'))
      assert.match(run.trace, /execve\("[^"]*sysbench", \["sysbench", "--config-file=\/dev\/fd\/\d+", /);
    assert.ok(!run.trace.includes(password), `${what}: the password is on no command line`);
    assert.ok(!`${run.stdout}${run.stderr}`.includes(password), `${what}: the password is in no output`);
  }

  function compiled(name: string): CompiledRunbook {
    const { runbook, diagnostics } = compileRunbook(`runbooks/${name}.yaml`);
    assert.ok(runbook, JSON.stringify(diagnostics));
    return runbook;
  }

  /** Every capture of the runbook's steps, in order. */
  function captureNames(runbook: CompiledRunbook): string[] {
    return runbook.steps.flatMap((step) => [
      ...Object.keys(step.capture ?? {}),
      ...capturedNamesOf(step).map((c) => String(c.value)),
    ]);
  }

  /** The assertion messages of the runbook's assert steps, in order, by step id. */
  function assertionMessages(runbook: CompiledRunbook): Array<{ step: string; message: string }> {
    return runbook.steps
      .filter((step) => step.type === 'assert')
      .flatMap((step) =>
        (step.fields.that as Array<{ message?: string }>).map((check) => ({
          step: step.id,
          message: String(check.message),
        })),
      );
  }

  function outcomes(runbook: CompiledRunbook, output: string): Outcomes {
    const names = new Set(captureNames(runbook));
    const captures = new Map<string, string>();
    for (const m of output.matchAll(/^ *([A-Za-z_][A-Za-z0-9_]*): (.*)$/gm))
      if (names.has(m[1]!)) captures.set(m[1]!, m[2]!);
    return {
      captures,
      ok: [...output.matchAll(/^ *ok: (.*)$/gm)].map((m) => m[1]!),
      notOk: [...output.matchAll(/^ *NOT OK: (.*)$/gm)].map((m) => m[1]!),
    };
  }

  /** For each pair of captures, whether they are equal: the relations the lab's checks are about. */
  function equalities(captures: Map<string, string>): string[] {
    const names = [...captures.keys()].sort();
    return names.flatMap((a, i) =>
      names.slice(i + 1).map((b) => `${a} ${captures.get(a) === captures.get(b) ? '==' : '!='} ${b}`),
    );
  }

  /** The fenced bash blocks of a Markdown guide, in order, without the list indentation. */
  function commandBlocks(markdown: string): string[] {
    return [...markdown.matchAll(/^( *)```bash\n([\s\S]*?)^\1```$/gm)].map((m) =>
      m[2]!
        .split('\n')
        .map((line) => line.slice(m[1]!.length))
        .join('\n')
        .trimEnd(),
    );
  }

  const scriptOutcomes = new Map<string, Outcomes>();

  for (const name of SEEDS) {
    describe(name, () => {
      it('its .sh passes with the real tools and leaves only the source cluster', async () => {
        const runbook = compiled(name);
        const script = join(dir, `${name}.sh`);
        await writeGuideFile(`runbooks/${name}.yaml`, ['--format', 'sh'], script);
        // The values come from the stack's outputs, read with the aws CLI.
        const run = await runTraced(script, SCRIPT_ENV, { stackArgument: true });
        timings.push(`${name}.sh ${(run.ms / 1000).toFixed(1)} s`);
        assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
        assert.match(run.stdout, /^The lab passed: every check holds\.$/m);
        assertTrace(run, `${name}.sh`);

        const result = outcomes(runbook, run.stdout);
        assert.deepEqual([...result.captures.keys()], captureNames(runbook), 'every capture is printed');
        assert.deepEqual(
          result.ok,
          assertionMessages(runbook).map((a) => a.message),
          'every check holds',
        );
        assert.deepEqual(result.notOk, []);
        scriptOutcomes.set(name, result);
        await assertOnlySourceCluster(home, 60_000);
      });

      it('the commands of its .md reach the same captures and outcomes', async () => {
        const previous = scriptOutcomes.get(name);
        assert.ok(previous, 'the .sh ran and passed first');
        const runbook = compiled(name);
        const markdown = await writeGuideFile(
          `runbooks/${name}.yaml`,
          ['--sandbox', '--set', `tableSize=${TABLE_SIZE}`],
          join(dir, `${name}.md`),
        );
        const blocks = commandBlocks(markdown);
        assert.equal(blocks[0], SANDBOX_ENV_LINE, 'the sandbox guide starts by pointing the shell at it');
        assert.ok(blocks.length > runbook.steps.length, `${blocks.length} command blocks`);
        // Run as a person at a terminal would: one shell, block after block, no `set -e`. The first block's
        // `labrun sandbox env` was run before (its output is sourced by runTraced); the rest run as written.
        const rest = blocks.slice(1);
        for (const block of rest) assert.ok(!/\blabrun\b/.test(block), `labrun in a block:\n${block}`);
        const body = rest
          .map((block, i) => `printf '@@ block %d\\n' ${i + 2}\n${block}\nprintf '@@ status %d\\n' "$?"`)
          .join('\n');
        const file = join(dir, `${name}.md.sh`);
        await writeFile(file, `${body}\n`);
        const run = await runTraced(file, {});
        timings.push(`${name}.md ${(run.ms / 1000).toFixed(1)} s`);
        assert.equal(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
        const statuses = [...run.stdout.matchAll(/^@@ status (\d+)$/gm)].map((m) => Number(m[1]));
        assert.equal(statuses.length, rest.length, 'every block ran');
        statuses.forEach((status, i) =>
          assert.equal(
            status,
            0,
            `block ${i + 2} exited ${status}:\n${rest[i]}\n${run.stdout}\n${run.stderr}`,
          ),
        );
        assert.equal(run.stderr, '', 'nothing went wrong on the way');
        assertTrace(run, `${name}.md`);

        const result = outcomes(runbook, run.stdout);
        assert.deepEqual([...result.captures.keys()], captureNames(runbook), 'every capture is shown');
        assert.deepEqual(result.ok, previous.ok, 'the same checks hold');
        assert.deepEqual(result.notOk, []);
        assert.deepEqual(equalities(result.captures), equalities(previous.captures));
        await assertOnlySourceCluster(home, 60_000);
      });
    });
  }

  describe('broken on purpose', () => {
    it('a .sh whose data is broken (a write to the clone just before its checksum) exits 1 naming the failed check, and cleans up', async () => {
      const name = 'aurora-clone-backtrack';
      const runbook = compiled(name);
      const script = await readFile(join(dir, `${name}.sh`), 'utf8').catch(() =>
        writeGuideFile(`runbooks/${name}.yaml`, ['--format', 'sh'], join(dir, `${name}.sh`)),
      );
      // Just before the clone's checksum is taken, write to the clone with the script's own connection words.
      const lines = script.split('\n');
      const at = lines.findIndex((line) => line.startsWith('note cloneChecksum '));
      assert.ok(at > 0, 'the script notes cloneChecksum');
      const client = /(mysql -h .*?) -N -B -e 'CHECKSUM TABLE sbtest1'/.exec(lines[at - 1]!);
      assert.ok(client, `the clone's checksum line: ${lines[at - 1]}`);
      lines.splice(at - 1, 0, `${client[1]} -e 'UPDATE sbtest1 SET k = k + 1 WHERE id = 1'`);
      const broken = join(dir, `${name}-broken.sh`);
      await writeFile(broken, lines.join('\n'));

      const run = await runTraced(broken, SCRIPT_ENV, { stackArgument: true });
      timings.push(`${name}-broken.sh ${(run.ms / 1000).toFixed(1)} s`);
      assert.equal(run.exitCode, 1, `a failed check is exit 1:\n${run.stdout}\n${run.stderr}`);
      assert.doesNotMatch(run.stdout, /The lab passed/);
      const failed = /^FAILED: step ([a-z0-9-]+): 1 check\(s\) of \1 failed$/m.exec(run.stderr);
      assert.ok(failed, `the failed step is named:\n${run.stderr}`);
      // The named step is an assert step, and its NOT OK line gives the check's message.
      const messages = assertionMessages(runbook).filter((a) => a.step === failed[1]);
      assert.ok(messages.length > 0, `${failed[1]} is an assert step`);
      const notOk = outcomes(runbook, run.stderr).notOk;
      assert.equal(notOk.length, 1, run.stderr);
      assert.ok(
        messages.some((m) => notOk[0]!.startsWith(`${m.message} (actual '`)),
        `NOT OK names the check: ${notOk[0]}`,
      );
      const result = outcomes(runbook, run.stdout);
      assert.notEqual(result.captures.get('cloneChecksum'), result.captures.get('sourceChecksum'));
      assert.match(run.stderr, new RegExp(`The lab stopped at step ${failed[1]} \\(exit status 1\\)`));
      assert.match(run.stdout, /== Clean up/);
      assertTrace(run, `${name}-broken.sh`, ['aws', 'mysql']);
      await assertOnlySourceCluster(home, 60_000);
    });
  });
});
