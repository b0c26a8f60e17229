/**
 * `labrun run FILE`: resolves inputs, runs the runbook with a live progress view, writes the record (and
 * --json / --junit reports), prints the summary and returns the run's exit code. SIGINT or SIGTERM aborts
 * the current step, skips the rest, runs `finally` and exits 130; a second one aborts `finally` too.
 */
import { resolve } from 'node:path';
import type { ResumeSettings } from '../../engine/events.js';
import { resolveRunInputs } from '../../engine/inputs.js';
import { runRunbook } from '../../engine/interpreter.js';
import { attendedRun } from '../attended-run.js';
import type { Output } from '../output.js';
import { checkRunPaths } from '../paths.js';
import type { RunFlags } from '../program.js';
import { parseSets, resolveTarget } from '../target.js';
import { loadRunbook, warnGuardOff } from './load.js';

export async function runCommand(file: string, flags: RunFlags, output: Output): Promise<number> {
  checkRunPaths(flags);
  if (flags.allowDestructive) warnGuardOff(output);
  const runbook = await loadRunbook(file, output, { allowDestructive: flags.allowDestructive });
  const set = parseSets(flags.set);
  const target = await resolveTarget(flags, output, { startSandbox: true });
  try {
    const values = resolveRunInputs(runbook, { set, stackOutputs: target.stackOutputs, env: target.env });
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
