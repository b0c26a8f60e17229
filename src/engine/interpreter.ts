/**
 * Runs a compiled runbook: steps in order, then `finally` (always, each finally step even when an earlier
 * one failed). Everything that happens is an event; the record and the journal on disk, and any view the
 * caller attaches, are built from those events, after the masker has removed every secret from them.
 */
import type { CompiledRunbook, CompiledStep } from '../runbook/types.js';
import type { AwsSettings } from '../steps/types.js';
import { systemClock, type Clock } from '../core/clock.js';
import { StepError, UsageError } from '../core/errors.js';
import type {
  RerunSettings,
  ResumeSettings,
  RunEvent,
  RunEventListener,
  RunStatus,
  StepOutline,
} from './events.js';
import { preflightGuard } from './guard.js';
import { MASK, Masker } from './mask.js';
import { applyEvent, type RunRecord, type StepRecord } from './record.js';
import { formatSpan } from './render.js';
import { RunContext } from './run-context.js';
import { createRunStore, openRunStore } from './run-store.js';
import { stepDigest } from './step-digest.js';
import { DEFAULT_STEP_TIMEOUT_MS, iso, runStep, type CutOff } from './step-runner.js';
import type { CrashWhen } from './crash-points.js';

export { DEFAULT_STEP_TIMEOUT_MS };

export interface RunOptions {
  /** Input values, already resolved and coerced (see resolveRunInputs). */
  inputs: Record<string, unknown>;
  aws?: AwsSettings;
  /** Directory for run records; default "runs". */
  runsDir?: string;
  runId?: string;
  clock?: Clock;
  /** Interrupts the run: the current step is aborted, the rest skipped, `finally` still runs. */
  signal?: AbortSignal;
  /** Aborts `finally` steps too (e.g. a second Ctrl-C). */
  forceSignal?: AbortSignal;
  /** Called with every event, already masked. An error it throws is rethrown after the run has ended. */
  onEvent?: RunEventListener;
  /** Environment visible to templates as `env.NAME`; default process.env. */
  env?: Record<string, string | undefined>;
  /** Time budget of a step that sets no timeout; default 1h (a wait's default is its own 30m). */
  defaultTimeoutMs?: number;
  /** Further values to mask everywhere, besides secret inputs and connection passwords. */
  secrets?: string[];
  /**
   * Refuse, before calling anything, a destructive step whose target this run did not create and the runbook
   * does not declare disposable (see guard.ts). The CLI turns it on unless --allow-destructive is given.
   */
  guardDestructive?: boolean;
  /** Recorded in run-started (secret `set` values masked) so that `labrun resume` can continue the run. */
  resume?: ResumeSettings;
  /** Kills the process at the first of these points it reaches: for testing recovery (crash-points.ts). */
  crashAt?: ReadonlyMap<string, CrashWhen>;
  /**
   * Continue an earlier run from a step (see rerun.ts, which checks and prepares this): the steps in `restore`
   * are recorded as restored from `settings.source` and not run; the run starts at `settings.from`.
   */
  rerun?: { settings: RerunSettings; restore: StepRecord[] };
  /**
   * Skip the `finally` steps (`labrun run --no-finally`): what the run created stays for the next try, and is
   * listed as left behind. Recorded in run-started, so a resumed run skips them too.
   */
  skipFinally?: boolean;
}

/**
 * A run cut off earlier, folded from its journal (see resume.ts): the run goes on under the same id, in the
 * same journal, with the finished steps' results and captures in scope, and does not start them again.
 */
export interface RestoredRun {
  runId: string;
  startedAtMs: number;
  record: RunRecord;
  /** Steps cut off mid-way that `onResume: skip` says to record as skipped. */
  skipCutOff: Set<string>;
  /** Changing steps cut off mid-way, to reconcile with the world before they run again. */
  reconcileCutOff: Map<string, CutOff>;
}

export interface RunResult {
  record: RunRecord;
  /** Where record.json and journal.jsonl were written. */
  recordPath: string;
  journalPath: string;
}

/** How stale record.json may get during a run; the journal is always current. */
const RECORD_REFRESH_MS = 250;

export async function runRunbook(runbook: CompiledRunbook, options: RunOptions): Promise<RunResult> {
  return executeRun(runbook, options);
}

/** Runs the runbook from the start, or from where a restored run stopped. */
export async function executeRun(
  runbook: CompiledRunbook,
  options: RunOptions,
  restored?: RestoredRun,
): Promise<RunResult> {
  const clock = options.clock ?? systemClock;
  const masker = new Masker(options.secrets ?? []);
  for (const spec of runbook.inputs)
    if (spec.secret) masker.add(options.inputs[spec.name], `secret input ${spec.name}`);
  masker.add(options.aws?.credentials?.secretAccessKey);
  masker.add(options.aws?.credentials?.sessionToken);

  const runStartedAt = restored?.startedAtMs ?? clock.now();
  const chosenRunId = restored?.runId ?? options.runId;
  if (!restored && options.guardDestructive) {
    const refusal = preflightGuard(runbook, options.inputs, options.env ?? { ...process.env });
    if (refusal) throw refusal;
  }
  const runsDir = options.runsDir ?? 'runs';
  // A new run claims a directory no other run holds; a resumed run (or one given its id) reopens its own.
  const store =
    chosenRunId === undefined
      ? createRunStore(runsDir, runbook.name, new Date(runStartedAt))
      : openRunStore(runsDir, chosenRunId);
  const runId = store.runId;
  let record: RunRecord | undefined = restored?.record;
  let listenerError: { error: unknown } | undefined;
  let recordWrittenAt = -Infinity;
  const emit = (event: RunEvent): void => {
    const masked = maskEvent(masker, event);
    record = applyEvent(record, masked);
    store.appendEvent(masked);
    // The fsynced journal is what makes every event durable; record.json is a readable view of it, so it is
    // rewritten at most every RECORD_REFRESH_MS (and always at the start, on a failure and at the end):
    // rewriting a growing record after every step would make a long run quadratic.
    const now = clock.now();
    if (
      masked.type === 'run-started' ||
      masked.type === 'run-finished' ||
      (masked.type === 'step-finished' && masked.status === 'failed') ||
      (masked.type !== 'step-progress' &&
        masked.type !== 'assertion' &&
        now - recordWrittenAt >= RECORD_REFRESH_MS)
    ) {
      store.writeRecord(record);
      recordWrittenAt = now;
    }
    // A broken view must not stop a run half way through changing real resources; finally still runs.
    try {
      options.onEvent?.(masked);
    } catch (error) {
      listenerError ??= { error };
    }
  };

  const run = new RunContext(
    runbook,
    clock,
    masker,
    emit,
    options.aws ?? {},
    options.defaultTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    options.inputs,
    options.env ?? { ...process.env },
    options.guardDestructive ?? false,
    options.crashAt,
  );
  const all = [...runbook.steps, ...runbook.finally];
  if (!restored) {
    emit({
      type: 'run-started',
      runId,
      runbook: { file: runbook.file, name: runbook.name, ...(runbook.title ? { title: runbook.title } : {}) },
      startedAt: iso(runStartedAt),
      inputs: shownInputs(runbook, options.inputs),
      steps: all.map((step) => outline(runbook, step)),
      runDir: store.dir,
      ...(options.resume ? { resume: maskedSettings(runbook, options.resume) } : {}),
      ...(options.rerun ? { rerun: options.rerun.settings } : {}),
      ...(options.skipFinally ? { skipFinally: true } : {}),
    });
    for (const done of options.rerun?.restore ?? []) restoreFrom(emit, done, options.rerun!.settings.source);
  } else {
    emit({ type: 'run-resumed', resumedAt: iso(clock.now()) });
  }

  const runSignal = options.signal ?? new AbortController().signal;
  /** Set when a cut-off step cannot be settled: the run stops where it is and stays resumable. */
  let abandoned = false;
  const finallySignal = options.forceSignal ?? new AbortController().signal;
  const failures: StepError[] = [];
  let interrupted = false;
  /** `notRun`: the run did not get to the step (not so for a cut-off step that `onResume: skip` skips). */
  const skip = (step: CompiledStep, reason: string, notRun = true): void => {
    const now = iso(clock.now());
    run.scope.steps[step.id] = { status: 'skipped' };
    emit({
      type: 'step-finished',
      stepId: step.id,
      status: 'skipped',
      startedAt: now,
      finishedAt: now,
      durationMs: 0,
      attempts: 0,
      reason,
      ...(notRun ? { notRun: true } : {}),
    });
  };
  // A run continuing another from a step (also when it is itself resumed): what --only leaves out.
  const rerun = options.rerun?.settings ?? restored?.record.rerun;
  const onlyIndex = rerun?.only ? runbook.steps.findIndex((s) => s.id === rerun.from) : -1;

  // A step the restored run finished (or a step restored from an earlier run) is not run again: its result,
  // captures and any failure carry over.
  const finished = new Map(
    (record?.steps ?? [])
      .filter((s) => s.status === 'passed' || s.status === 'failed' || s.status === 'skipped')
      .map((s) => [s.id, s]),
  );
  const restoredStep = (step: CompiledStep): boolean => {
    const done = finished.get(step.id);
    if (!done) return false;
    const status = done.status as 'passed' | 'failed' | 'skipped';
    run.scope.steps[step.id] = status === 'passed' ? { result: done.result, status } : { status };
    Object.assign(run.scope.captures, done.captures ?? {});
    if (status === 'passed') {
      run.tracker.add(step.id, done.created);
      run.guard?.record(done.created ?? []);
    }
    if (status === 'failed' && done.error) {
      failures.push(new StepError(done.error.message, { code: done.error.code, kind: done.error.kind }));
    }
    return true;
  };

  try {
    for (const [index, step] of runbook.steps.entries()) {
      if (restoredStep(step)) continue;
      if (restored?.skipCutOff.has(step.id)) {
        skip(step, 'cut off by an interruption; onResume: skip', false);
        continue;
      }
      if (onlyIndex >= 0 && index > onlyIndex) {
        skip(step, `not selected (--only ${rerun!.from})`);
        continue;
      }
      if (runSignal.aborted) interrupted = true;
      if (failures.length > 0 || interrupted) {
        skip(step, interrupted ? 'the run was interrupted' : 'an earlier step failed');
        continue;
      }
      const outcome = await runStep(
        run,
        step,
        index,
        all.length,
        runSignal,
        restored?.reconcileCutOff.get(step.id),
      );
      if (outcome.error) {
        if (outcome.error.kind === 'interrupted') interrupted = true;
        failures.push(outcome.error);
      }
    }
    for (const [offset, step] of runbook.finally.entries()) {
      if (restoredStep(step)) continue;
      if (restored?.skipCutOff.has(step.id)) {
        skip(step, 'cut off by an interruption; onResume: skip', false);
        continue;
      }
      if (finallySignal.aborted) {
        skip(step, 'the run was interrupted twice');
        continue;
      }
      if (rerun?.only && !rerun.finally) {
        skip(step, `not selected (--only ${rerun.from} without --finally)`);
        continue;
      }
      if (options.skipFinally || restored?.record.skipFinally) {
        skip(step, 'not selected (--no-finally)');
        continue;
      }
      const outcome = await runStep(
        run,
        step,
        runbook.steps.length + offset,
        all.length,
        finallySignal,
        restored?.reconcileCutOff.get(step.id),
      );
      if (outcome.error) failures.push(outcome.error);
    }
  } catch (error) {
    if (error instanceof UsageError) abandoned = true;
    throw error;
  } finally {
    if (abandoned) {
      await run.dispose();
      store.close();
    } else {
      if (run.tracker.size > 0) {
        const checked = await run.tracker.check(options.aws ?? {}, finallySignal.aborted);
        emit({ type: 'resources-checked', ...checked });
      }
      await run.dispose();
      if (runSignal.aborted) interrupted = true;
      const status: RunStatus = interrupted ? 'interrupted' : failures.length > 0 ? 'failed' : 'passed';
      const finishedAt = clock.now();
      emit({
        type: 'run-finished',
        status,
        exitCode: exitCodeFor(status, failures),
        finishedAt: iso(finishedAt),
        durationMs: finishedAt - runStartedAt,
      });
      store.close();
    }
  }
  if (listenerError) throw listenerError.error;
  return { record: record!, recordPath: store.recordPath, journalPath: store.journalPath };
}

/** 0 passed, 1 an assertion failed, 3 any other step failure, 130 interrupted. */
export function exitCodeFor(status: RunStatus, failures: Array<{ kind: string }>): number {
  if (status === 'interrupted') return 130;
  const first = failures[0];
  if (!first) return 0;
  return first.kind === 'assertion' ? 1 : 3;
}

function outline(runbook: CompiledRunbook, step: CompiledStep): StepOutline {
  return {
    id: step.id,
    type: step.type,
    ...(step.title ? { title: step.title } : {}),
    cleanup: step.cleanup,
    span: formatSpan(step.span)!,
    digest: stepDigest(runbook, step),
  };
}

/** Records a step of an earlier run, as it finished there, in this run: its assertions, result and captures. */
function restoreFrom(emit: (event: RunEvent) => void, done: StepRecord, source: string): void {
  for (const assertion of done.assertions) emit({ type: 'assertion', stepId: done.id, assertion });
  emit({
    type: 'step-finished',
    stepId: done.id,
    status: done.status as 'passed' | 'skipped',
    startedAt: done.startedAt ?? '',
    finishedAt: done.finishedAt ?? done.startedAt ?? '',
    durationMs: done.durationMs ?? 0,
    attempts: done.attempts,
    ...(done.reason === undefined ? {} : { reason: done.reason }),
    ...(done.rendered === undefined ? {} : { rendered: done.rendered }),
    ...(done.result === undefined ? {} : { result: done.result }),
    ...(done.error === undefined ? {} : { error: done.error }),
    ...(done.errorIgnored ? { errorIgnored: true } : {}),
    ...(done.captures === undefined ? {} : { captures: done.captures }),
    ...(done.created === undefined ? {} : { created: done.created }),
    ...(done.reconciled === undefined ? {} : { reconciled: done.reconciled }),
    restoredFrom: source,
  });
}

function maskedSettings(runbook: CompiledRunbook, settings: ResumeSettings): ResumeSettings {
  const secret = new Set(runbook.inputs.filter((spec) => spec.secret).map((spec) => spec.name));
  const set: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.set)) set[name] = secret.has(name) ? MASK : value;
  return { ...settings, set };
}

function shownInputs(runbook: CompiledRunbook, inputs: Record<string, unknown>): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const spec of runbook.inputs) {
    if (spec.name in inputs) shown[spec.name] = spec.secret ? MASK : inputs[spec.name];
  }
  return shown;
}

/**
 * Masks what an event carries (inputs, rendered parameters, results, errors, captures, progress), never
 * its structure (type, ids, statuses, times): a short secret must not turn `type` into something else.
 */
function maskEvent(masker: Masker, event: RunEvent): RunEvent {
  switch (event.type) {
    case 'run-started':
      return {
        ...event,
        inputs: masker.deep(event.inputs),
        ...(event.resume ? { resume: masker.deep(event.resume) } : {}),
      };
    case 'step-progress':
      return {
        ...event,
        ...(event.message === undefined ? {} : { message: masker.text(event.message) }),
        ...(event.observed === undefined ? {} : { observed: masker.deep(event.observed) }),
      };
    case 'step-retry':
      return { ...event, error: masker.deep(event.error) };
    case 'assertion':
      return { ...event, assertion: masker.deep(event.assertion) };
    case 'step-finished':
      return {
        ...event,
        ...(event.reason === undefined ? {} : { reason: masker.text(event.reason) }),
        ...(event.rendered === undefined ? {} : { rendered: masker.deep(event.rendered) }),
        ...(event.result === undefined ? {} : { result: masker.deep(event.result) }),
        ...(event.error === undefined ? {} : { error: masker.deep(event.error) }),
        ...(event.captures === undefined ? {} : { captures: masker.deep(event.captures) }),
      };
    case 'resources-checked':
      return masker.deep(event);
    case 'run-resumed':
    case 'step-started':
    case 'run-finished':
      return event;
  }
}
