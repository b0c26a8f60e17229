/**
 * Continuing an earlier run from a step (`labrun run FILE --from STEP`, `--only STEP`): a new run, under a
 * new run id, whose steps before STEP are not run again but restored, results and captures, from the earlier
 * run's journal; then STEP and (with --from) the steps after it and `finally` run as in any run. The earlier
 * run is left as it is.
 *
 * Before anything runs, the steps before STEP are checked against the source run: the same steps in the same
 * order, each still the step that ran there (same digest, see step-digest.ts), each passed (or skipped by its
 * own `if`) there, and every non-secret input they read still has the value it had. Each refusal is a
 * UsageError naming the first step or input that does not match.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { didYouMean } from '../runbook/did-you-mean.js';
import type { CompiledRunbook, CompiledStep } from '../runbook/types.js';
import { UsageError } from '../core/errors.js';
import type { RerunSettings, StepOutline } from './events.js';
import { applyEvent, type RunRecord, type StepRecord } from './record.js';
import { readJournal, type Journal } from './resume.js';
import { runHolder } from './run-store.js';
import { inputsRead, stepDigest } from './step-digest.js';

/** What `labrun run --from/--only` asks for. */
export interface RerunRequest {
  /** The step to start at (--from) or the one step to run (--only). */
  step: string;
  only: boolean;
  /** With `only`: run `finally` too. */
  finally: boolean;
}

/** A checked rerun: hand `settings` and `restore` to the interpreter (RunOptions.rerun). */
export interface PreparedRerun {
  settings: RerunSettings;
  /** The source run's records of the steps before `from`, in order. */
  restore: StepRecord[];
  /** The source run, folded from its journal. */
  source: RunRecord;
  /** Things worth saying before the run starts (e.g. a restored step's cluster that cleanup deleted). */
  notes: string[];
}

/** Reasons the interpreter gives a step it skips without asking its `if` (records from before `notRun`). */
const NOT_RUN_REASONS = [
  'an earlier step failed',
  'the run was interrupted',
  'the run was interrupted twice',
  'not selected',
];

/**
 * Checks that `runbook` can continue the run in `sourceDir` from `request.step` and returns what to restore.
 * `inputs` are the new run's resolved input values; without them (before the target is known) the inputs are
 * not compared: call checkRerunInputs once they are resolved.
 */
export function prepareRerun(
  runbook: CompiledRunbook,
  sourceDir: string,
  request: RerunRequest,
  inputs?: Record<string, unknown>,
): PreparedRerun {
  const flag = request.only ? '--only' : '--from';
  const index = rerunStepIndex(runbook, request);
  const journal = readJournal(sourceDir);
  const { started } = journal;
  const holder = runHolder(sourceDir);
  if (holder !== undefined) {
    throw new UsageError(
      `run ${started.runId} is still running (process ${holder}); only a run that has ended can be continued from a step`,
      `Wait for it to end, then run again with ${flag} ${request.step}.`,
    );
  }
  if (!journal.finished) {
    throw new UsageError(
      `run ${started.runId} was cut off and has not finished; continue it with labrun resume ${started.runId}`,
      `Or name another run to continue from: --source RUN.`,
    );
  }
  if (started.runbook.name !== runbook.name) {
    throw new UsageError(
      `run ${started.runId} is a run of runbook ${started.runbook.name}, not of ${runbook.name}`,
      'Name a run of this runbook with --source RUN.',
    );
  }
  let source: RunRecord | undefined;
  for (const event of journal.events) source = applyEvent(source, event);

  const before = runbook.steps.slice(0, index);
  const recorded = started.steps.filter((s) => !s.cleanup);
  const restore: StepRecord[] = [];
  const rerunHint = (id: string): string =>
    `Run from it instead: labrun run ${runbook.file} --from ${id} ...`;
  for (const [i, step] of before.entries()) {
    const outline: StepOutline | undefined = recorded[i];
    if (!outline || outline.id !== step.id) {
      throw new UsageError(
        `step ${step.id} is not where run ${started.runId} had it (there, step ${i + 1} was ${outline ? outline.id : 'not there: the run had fewer steps'}); its result cannot be restored`,
        rerunHint(step.id),
      );
    }
    if (
      outline.type !== step.type ||
      (outline.digest !== undefined && outline.digest !== stepDigest(runbook, step))
    ) {
      throw new UsageError(
        `step ${step.id} changed since run ${started.runId}; its result there cannot be restored`,
        rerunHint(step.id),
      );
    }
    const done = source!.steps.find((s) => s.id === step.id)!;
    if (!countsAsDone(done)) {
      const what =
        done.status === 'failed'
          ? `failed in run ${started.runId}`
          : `did not run in run ${started.runId}${done.reason ? ` (${done.reason})` : ''}`;
      throw new UsageError(
        `step ${step.id} ${what}; there is no result of it to restore`,
        rerunHint(step.id),
      );
    }
    restore.push(done);
  }
  const prepared = { restore, source: source! };
  if (inputs) checkRerunInputs(runbook, prepared, inputs);
  const notes = gone(source!, restore);
  if (recorded.slice(0, before.length).some((outline) => outline.digest === undefined)) {
    notes.push(
      `run ${started.runId} was recorded without step digests (an older labrun): the steps before ${request.step} were compared by id and type only`,
    );
  }
  const settings: RerunSettings = {
    source: started.runId,
    from: request.step,
    ...(request.only ? { only: true, finally: request.finally } : {}),
    restored: restore.map((s) => s.id),
  };
  return { settings, restore, source: source!, notes };
}

/**
 * Refuses, naming the first, a non-secret input that a step to be restored reads and that has another value
 * than in the source run: the restored result was made with the old value.
 */
export function checkRerunInputs(
  runbook: CompiledRunbook,
  prepared: Pick<PreparedRerun, 'restore' | 'source'>,
  inputs: Record<string, unknown>,
): void {
  const hint = (id: string): string => `Run from it instead: labrun run ${runbook.file} --from ${id} ...`;
  for (const done of prepared.restore) {
    const step = runbook.steps.find((s) => s.id === done.id)!;
    changedInput(runbook, step, inputs, prepared.source, prepared.source.runId, hint);
  }
}

/** The position of the step among the runbook's steps; a usage error for a finally step or an unknown id. */
export function rerunStepIndex(runbook: CompiledRunbook, request: RerunRequest): number {
  const id = request.step;
  const flag = request.only ? '--only' : '--from';
  const index = runbook.steps.findIndex((s) => s.id === id);
  if (index >= 0) return index;
  if (runbook.finally.some((s) => s.id === id)) {
    throw new UsageError(
      `${flag} ${id}: step ${id} is a finally step; ${flag} names a step under steps:`,
      `finally runs after ${flag === '--only' ? '--only STEP when --finally is given' : 'the steps, whichever step the run starts at'}.`,
    );
  }
  const hint = didYouMean(
    id,
    [...runbook.steps, ...runbook.finally].map((s) => s.id),
  );
  throw new UsageError(
    `${flag} ${id}: ${runbook.file} has no step ${id}`,
    hint ?? `Its steps: ${runbook.steps.map((s) => s.id).join(', ')}.`,
  );
}

/** Passed, or skipped by its own `if`: an outcome the run reached, which a later step may depend on. */
function countsAsDone(step: StepRecord): boolean {
  if (step.status === 'passed') return true;
  if (step.status !== 'skipped') return false;
  if (step.notRun) return false;
  return !NOT_RUN_REASONS.some((reason) => step.reason?.startsWith(reason));
}

function changedInput(
  runbook: CompiledRunbook,
  step: CompiledStep,
  inputs: Record<string, unknown>,
  source: RunRecord,
  sourceRunId: string,
  rerunHint: (id: string) => string,
): void {
  const secret = new Set(runbook.inputs.filter((spec) => spec.secret).map((spec) => spec.name));
  for (const name of inputsRead(runbook, step)) {
    if (secret.has(name) || !(name in inputs)) continue;
    const now = inputs[name];
    if (!(name in source.inputs)) {
      throw new UsageError(
        `input ${name}, read by step ${step.id}, was not an input of run ${sourceRunId}; that step's result there cannot be restored`,
        rerunHint(step.id),
      );
    }
    const was = source.inputs[name];
    if (String(now) !== String(was)) {
      throw new UsageError(
        `input ${name} is ${JSON.stringify(now)} but run ${sourceRunId} ran step ${step.id} with ${JSON.stringify(was)}`,
        `Give --set ${name}=${String(was)} to continue that run, or run from step ${step.id}.`,
      );
    }
  }
}

/** Clusters and instances that restored steps created and the source run's cleanup deleted. */
function gone(source: RunRecord, restore: StepRecord[]): string[] {
  const ids = new Set(restore.map((s) => s.id));
  return (source.resources?.created ?? [])
    .filter((r) => ids.has(r.stepId) && (r.state === 'gone' || r.state === 'deleting'))
    .map(
      (r) =>
        `${r.kind} ${r.id}, created by restored step ${r.stepId}, was ${r.state === 'gone' ? 'gone' : 'being deleted'} when run ${source.runId} ended; a step that uses it will fail (run from ${r.stepId} to create it again)`,
    );
}

/**
 * The newest run in `runsDir` of the runbook at `file` (by absolute path) whose process has ended, or
 * undefined. A cut-off run counts: prepareRerun then says to resume it.
 */
export function latestRunOf(runsDir: string, file: string): Journal | undefined {
  if (!existsSync(runsDir)) return undefined;
  const wanted = resolve(file);
  const dirs = readdirSync(runsDir)
    .map((name) => join(runsDir, name))
    .filter((dir) => existsSync(join(dir, 'journal.jsonl')))
    .sort((a, b) => statSync(join(b, 'journal.jsonl')).mtimeMs - statSync(join(a, 'journal.jsonl')).mtimeMs);
  for (const dir of dirs) {
    if (runHolder(dir) !== undefined) continue;
    let journal: Journal;
    try {
      journal = readJournal(dir);
    } catch {
      continue;
    }
    const path = journal.settings?.runbook ?? resolve(journal.started.runbook.file);
    if (path === wanted) return journal;
  }
  return undefined;
}
