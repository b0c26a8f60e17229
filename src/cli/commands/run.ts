/**
 * `labrun run FILE`: resolves inputs, runs the runbook with a live progress view, writes the record (and
 * --json / --junit reports), prints the summary and returns the run's exit code. SIGINT or SIGTERM aborts
 * the current step, skips the rest, runs `finally` and exits 130; a second one aborts `finally` too.
 *
 * `--from STEP` / `--only STEP` continue an earlier run of the runbook (`--source RUN`, default the latest in
 * the runs dir) under a new run id, with the steps before STEP restored from its journal (engine/rerun.ts).
 */
import { resolve } from 'node:path';
import type { ResumeSettings } from '../../engine/events.js';
import { UsageError } from '../../core/errors.js';
import { resolveRunInputs } from '../../engine/inputs.js';
import { runRunbook } from '../../engine/interpreter.js';
import {
  checkRerunInputs,
  latestRunOf,
  prepareRerun,
  rerunStepIndex,
  type RerunRequest,
} from '../../engine/rerun.js';
import type { CompiledRunbook } from '../../runbook/types.js';
import { attendedRun } from '../attended-run.js';
import type { Output } from '../output.js';
import { checkRunPaths } from '../paths.js';
import { findRunDir } from '../run-dirs.js';
import type { RunFlags } from '../program.js';
import { parseSets, resolveTarget } from '../target.js';
import { loadRunbook, warnGuardOff } from './load.js';

export async function runCommand(file: string, flags: RunFlags, output: Output): Promise<number> {
  checkRunPaths(flags);
  const request = rerunRequest(flags);
  if (flags.allowDestructive) warnGuardOff(output);
  const runbook = await loadRunbook(file, output, { allowDestructive: flags.allowDestructive });
  // A step that does not exist, no run to continue or a changed earlier step is said before a sandbox starts;
  // the inputs are compared once they are resolved.
  const rerun = request
    ? prepareRerun(runbook, rerunSource(runbook, file, request, flags), request)
    : undefined;
  const set = parseSets(flags.set);
  const target = await resolveTarget(flags, output, { startSandbox: true });
  try {
    const values = resolveRunInputs(
      runbook,
      { set, stackOutputs: target.stackOutputs, env: target.env },
      (d) => output.err(`labrun: ${output.color.yellow('warning')}: ${d.message}`),
    );
    if (rerun) checkRerunInputs(runbook, rerun, values);
    if (rerun) {
      const { settings } = rerun;
      output.err(
        `labrun: continuing run ${settings.source} ${settings.only ? `with step ${settings.from} alone` : `from step ${settings.from}`}: ${settings.restored.length} earlier step${settings.restored.length === 1 ? '' : 's'} restored from its journal`,
      );
      for (const note of rerun.notes) output.err(`labrun: note: ${note}`);
    }
    return await attendedRun(output, flags, (controls) =>
      runRunbook(runbook, {
        inputs: values,
        aws: target.aws,
        runsDir: flags.runsDir,
        ...controls,
        env: target.env,
        secrets: target.secrets,
        guardDestructive: !flags.allowDestructive,
        resume: resumeSettings(file, flags, set),
        ...(rerun ? { rerun: { settings: rerun.settings, restore: rerun.restore } } : {}),
        ...(flags.finally === false ? { skipFinally: true } : {}),
      }),
    );
  } finally {
    await target.release();
  }
}

/** What `labrun resume` needs to continue this run; secret `set` values are masked by the engine. */
function resumeSettings(file: string, flags: RunFlags, set: Record<string, string>): ResumeSettings {
  return {
    runbook: resolve(file),
    ...(flags.outputs ? { outputs: resolve(flags.outputs) } : {}),
    ...(flags.stack ? { stack: flags.stack } : {}),
    ...(flags.sandbox ? { sandbox: true } : {}),
    ...(flags.region ? { region: flags.region } : {}),
    ...(flags.endpointUrl ? { endpointUrl: flags.endpointUrl } : {}),
    set,
  };
}

/** What --from / --only / --finally / --source ask for, checked for combinations that mean nothing. */
function rerunRequest(flags: RunFlags): RerunRequest | undefined {
  if (flags.from !== undefined && flags.only !== undefined) {
    throw new UsageError('give --from STEP or --only STEP, not both');
  }
  if (flags.finally === true && flags.only === undefined) {
    throw new UsageError(
      '--finally goes with --only STEP',
      'A run (also one with --from) runs finally unless --no-finally is given; --only STEP runs it only when asked.',
    );
  }
  const step = flags.only ?? flags.from;
  if (step === undefined) {
    if (flags.source !== undefined) {
      throw new UsageError('--source RUN goes with --from STEP or --only STEP');
    }
    return undefined;
  }
  return { step, only: flags.only !== undefined, finally: flags.finally === true };
}

/** The run to continue: --source, or the latest run of this runbook file in the runs dir. */
function rerunSource(runbook: CompiledRunbook, file: string, request: RerunRequest, flags: RunFlags): string {
  rerunStepIndex(runbook, request);
  const flag = request.only ? '--only' : '--from';
  if (flags.source !== undefined) {
    return findRunDir(
      flags.source,
      flags.runsDir,
      (name) => `labrun run ${file} ${flag} ${request.step} --source ${name}`,
    );
  }
  const latest = latestRunOf(flags.runsDir, file);
  if (!latest) {
    throw new UsageError(
      `${flag} ${request.step}: no earlier run of ${file} in ${flags.runsDir} to continue`,
      `Run it first (labrun run ${file} ...), or name a run with --source RUN (and --runs-dir DIR).`,
    );
  }
  return latest.runDir;
}
