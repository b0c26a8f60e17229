/**
 * `labrun resume [RUN]`: continues a run that was cut off (no run-finished in its journal) from its first
 * unfinished step, against the target recorded when it started, with secrets resolved again (environment,
 * stack outputs, --set given again). Same signals and exit codes as `labrun run`.
 */
import { UsageError } from '../../core/errors.js';
import { resolveRunInputs } from '../../engine/inputs.js';
import { assertNotRunning, latestUnfinishedRun, readJournal, resumeRun } from '../../engine/resume.js';
import { MASK } from '../../engine/mask.js';
import { attendedRun } from '../attended-run.js';
import type { Output } from '../output.js';
import { checkRunPaths } from '../paths.js';
import { findRunDir } from '../run-dirs.js';
import type { ResumeFlags } from '../program.js';
import { parseSets, resolveTarget } from '../target.js';
import { loadRunbook, warnGuardOff } from './load.js';

export async function resumeCommand(
  run: string | undefined,
  flags: ResumeFlags,
  output: Output,
): Promise<number> {
  if (flags.json !== undefined || flags.junit !== undefined) checkRunPaths(flags);
  const runDir = findRun(run, flags.runsDir);
  assertNotRunning(runDir);
  const journal = readJournal(runDir);
  if (journal.finished) {
    throw new UsageError(
      `run ${journal.started.runId} has finished; only an unfinished run can be resumed`,
      'Start a new run with: labrun run FILE',
    );
  }
  const settings = journal.settings;
  if (!settings) {
    throw new UsageError(
      `run ${journal.started.runId} did not record how it was started (runbook, target); it cannot be resumed`,
    );
  }
  if (flags.allowDestructive) warnGuardOff(output);
  output.err(`labrun: resuming run ${journal.started.runId} (${settings.runbook})`);
  const runbook = await loadRunbook(settings.runbook, output, { allowDestructive: flags.allowDestructive });
  const recorded = Object.fromEntries(Object.entries(settings.set).filter(([, value]) => value !== MASK));
  const set = { ...recorded, ...parseSets(flags.set) };
  const target = await resolveTarget(
    {
      set: [],
      ...(settings.outputs ? { outputs: settings.outputs } : {}),
      ...(settings.stack ? { stack: settings.stack } : {}),
      ...(settings.sandbox ? { sandbox: true } : {}),
      ...(settings.region ? { region: settings.region } : {}),
      ...(settings.endpointUrl ? { endpointUrl: settings.endpointUrl } : {}),
    },
    output,
    { startSandbox: true },
  );
  try {
    let values: Record<string, unknown>;
    try {
      values = resolveRunInputs(runbook, { set, stackOutputs: target.stackOutputs, env: target.env }, (d) =>
        output.err(`labrun: ${output.color.yellow('warning')}: ${d.message}`),
      );
    } catch (error) {
      if (error instanceof UsageError) {
        output.err(
          'labrun: resume: secret inputs are not stored in the journal; give them again (environment, --set)',
        );
      }
      throw error;
    }
    // A non-secret input keeps the value the run started with, whatever its source says now.
    const given = parseSets(flags.set);
    for (const spec of runbook.inputs) {
      if (spec.secret || !(spec.name in journal.started.inputs)) continue;
      const was = journal.started.inputs[spec.name];
      if (spec.name in given && String(values[spec.name]) !== String(was)) {
        output.err(
          `labrun: resume: --set ${spec.name} ignored: the run started with ${spec.name}=${JSON.stringify(was)} and keeps it`,
        );
      }
      values[spec.name] = was;
    }
    // The view learns the step outline and positions from the run's original start.
    return await attendedRun(
      output,
      flags,
      (controls) =>
        resumeRun(runbook, runDir, {
          inputs: values,
          aws: target.aws,
          ...controls,
          env: target.env,
          secrets: target.secrets,
          guardDestructive: !flags.allowDestructive,
        }),
      [journal.started],
    );
  } finally {
    await target.release();
  }
}

function findRun(run: string | undefined, runsDir: string): string {
  if (run === undefined) {
    const latest = latestUnfinishedRun(runsDir);
    if (!latest) throw new UsageError(`no unfinished run in ${runsDir}`, 'Name the run: labrun resume RUN');
    return latest;
  }
  // Resuming writes into the run's journal and acts on what it created: only runs kept in the runs dir.
  return findRunDir(run, runsDir, (name) => `labrun resume ${name}`);
}
