/**
 * One step, with everything the engine applies around an executor: `if`, the timeout (per attempt),
 * retries with backoff, `ignoreErrors`, `capture`, and the events that record it all.
 */
import type { CompiledStep } from '../runbook/types.js';
import { stepType } from '../steps/registry.js';
import type { ReconcileContext, Reconciliation, StepContext, StepType } from '../steps/types.js';
import { formatDuration } from '../core/clock.js';
import { crashNow } from './crash-points.js';
import {
  interruptedError,
  StepError,
  toStepError,
  UsageError,
  type AssertionResult,
} from '../core/errors.js';
import type { ResourceRef, StepErrorRecord, StepStatus } from './events.js';
import { toPlain } from '../core/plain.js';
import { durationMs, fieldAt, formatSpan, isTruthy, spanAt } from './render.js';
import type { LocatedDestruction } from './guard.js';
import { creationsOf } from './resources.js';
import type { RunContext } from './run-context.js';

export const DEFAULT_STEP_TIMEOUT_MS = 60 * 60_000;
/** Extra time a step with its own deadline logic (a wait) gets before the engine cuts it off. */
const GRACE_MS = 15_000;

export interface StepOutcome {
  status: StepStatus;
  /** Set when the step failed (an ignored error is not a failure). */
  error?: StepError;
}

interface Finish {
  result?: unknown;
  error?: StepError;
  errorIgnored?: boolean;
  captures?: Record<string, unknown>;
  reason?: string;
  created?: ResourceRef[];
}

/** A step an earlier process of this run started and never finished, to settle before it runs again. */
export interface CutOff {
  /** When that attempt started (ms since the epoch). */
  at: number;
  /** Processes it started. */
  pids: number[];
}

/** Runs the step at `index` (0-based among steps and finally) of `total`; never throws for step failures. */
export async function runStep(
  run: RunContext,
  step: CompiledStep,
  index: number,
  total: number,
  signal: AbortSignal,
  cutOff?: CutOff,
): Promise<StepOutcome> {
  const { clock, scope, renderer, emit } = run;
  const type = stepType(step.type);
  const startedAt = clock.now();
  // A cut-off step is settled before it starts again; a refusal leaves the run unfinished, to resume later.
  const settled = cutOff ? await settle(run, step, type, signal, startedAt, cutOff) : undefined;
  emit({ type: 'step-started', stepId: step.id, index: index + 1, total, startedAt: iso(startedAt) });
  const crash = run.crashAt?.get(step.id);
  if (crash === 'start') crashNow();
  const crashTimer = typeof crash === 'number' ? setTimeout(crashNow, crash) : undefined;
  let rendered: unknown;
  let attempts = 0;
  let reconciled: string | undefined;

  const finish = (status: StepStatus, extra: Finish): StepOutcome => {
    clearTimeout(crashTimer);
    const finishedAt = clock.now();
    for (const assertion of extra.error?.assertions ?? assertionsOf(extra.result)) {
      const { span, ...rest } = assertion;
      emit({
        type: 'assertion',
        stepId: step.id,
        assertion: { ...rest, ...(span ? { span: formatSpan(span) } : {}) },
      });
    }
    emit({
      type: 'step-finished',
      stepId: step.id,
      status,
      startedAt: iso(startedAt),
      finishedAt: iso(finishedAt),
      durationMs: finishedAt - startedAt,
      attempts,
      ...(extra.reason ? { reason: extra.reason } : {}),
      ...(rendered === undefined ? {} : { rendered: toPlain(rendered) }),
      ...(extra.result === undefined ? {} : { result: toPlain(extra.result) }),
      ...(extra.error ? { error: errorRecord(extra.error) } : {}),
      ...(extra.errorIgnored ? { errorIgnored: true } : {}),
      ...(extra.captures && Object.keys(extra.captures).length > 0
        ? { captures: toPlain(extra.captures) as Record<string, unknown> }
        : {}),
      ...(extra.created && extra.created.length > 0 ? { created: extra.created } : {}),
      ...(reconciled ? { reconciled } : {}),
    });
    if (status === 'passed') run.tracker.add(step.id, extra.created);
    return { status, ...(extra.error && !extra.errorIgnored ? { error: extra.error } : {}) };
  };

  if (step.if !== undefined) {
    let condition: unknown;
    try {
      condition = renderer.withSpan(step.if, scope, spanAt(step, '/if'));
    } catch (error) {
      return finish('failed', { error: toStepError(error, { kind: 'template', span: spanAt(step, '/if') }) });
    }
    if (!isTruthy(condition)) {
      scope.steps[step.id] = { status: 'skipped' };
      return finish('skipped', { reason: `if ${step.if} is ${JSON.stringify(condition)}` });
    }
  }

  // The guard looks at the targets once, before the first attempt: a refused or skipped step calls nothing.
  const verdict = await run.guard?.decide(step, scope, (target) =>
    targetExists(run, step, target, signal, startedAt),
  );
  if (verdict?.action === 'refuse') {
    scope.steps[step.id] = { status: 'failed' };
    return finish('failed', { error: verdict.error });
  }
  if (verdict?.action === 'skip') {
    scope.steps[step.id] = { status: 'skipped' };
    return finish('skipped', { reason: verdict.reason });
  }
  const creates = creationsOf(step, renderer, scope);
  const passed = (result: unknown): StepOutcome => {
    const captures = { ...(type.captures?.(step, result) ?? {}) };
    for (const [name, template] of Object.entries(step.capture ?? {})) {
      captures[name] = renderer.withSpan(template, { ...scope, result }, spanAt(step, `/capture/${name}`));
    }
    Object.assign(scope.captures, captures);
    scope.steps[step.id] = { result, status: 'passed' };
    run.guard?.record(creates);
    return finish('passed', { result, captures, created: creates });
  };

  if (settled) {
    reconciled = settled.note;
    emit({
      type: 'step-progress',
      stepId: step.id,
      elapsedMs: clock.now() - startedAt,
      message: settled.note,
    });
    if (settled.action === 'adopt') {
      try {
        return passed(settled.result);
      } catch (thrown) {
        scope.steps[step.id] = { status: 'failed' };
        return finish('failed', { error: toStepError(thrown, { span: step.span }) });
      }
    }
  }

  for (;;) {
    attempts += 1;
    try {
      const result = await attempt(run, step, type, signal, startedAt, (value) => {
        rendered = value;
      });
      if (crash === 'end') crashNow();
      return passed(result);
    } catch (thrown) {
      if (crash === 'end') crashNow();
      let error = toStepError(thrown, { span: step.span });
      // An executor that ignored the abort may fail in its own words; the reason is the truth.
      if (signal.aborted && error.kind !== 'interrupted' && signal.reason instanceof StepError)
        error = signal.reason;
      error.span ??= step.span;
      if (error.kind !== 'interrupted' && step.ignoreErrors?.includes(error.code)) {
        const result = { error: { code: error.code, message: run.masker.text(error.message) } };
        scope.steps[step.id] = { result, status: 'passed' };
        return finish('passed', { result, error, errorIgnored: true });
      }
      const delay = retryDelay(run, step, attempts, error);
      if (delay !== undefined) {
        emit({
          type: 'step-retry',
          stepId: step.id,
          attempt: attempts,
          error: errorRecord(error),
          delayMs: delay,
        });
        try {
          await clock.sleep(delay, signal);
          continue;
        } catch {
          error = interruptedError();
          error.span = step.span;
        }
      }
      scope.steps[step.id] = { status: 'failed' };
      if (/AlreadyExists/.test(error.code)) run.guard?.recordTaken(creates);
      return finish('failed', { error });
    }
  }
}

/** One attempt, aborted by an interrupt or when its time is up, whether or not the executor notices. */
async function attempt(
  run: RunContext,
  step: CompiledStep,
  type: StepType,
  runSignal: AbortSignal,
  startedAt: number,
  setRendered: (value: unknown) => void,
): Promise<unknown> {
  const defaultTimeout = type.defaultTimeoutMs ?? run.defaultTimeoutMs;
  const timeoutMs =
    step.timeout === undefined
      ? defaultTimeout
      : durationMs(
          run.renderer.withSpan(step.timeout, run.scope, spanAt(step, '/timeout')),
          spanAt(step, '/timeout'),
        );
  const controller = new AbortController();
  const onRunAbort = (): void => controller.abort(interruptedError());
  if (runSignal.aborted) onRunAbort();
  runSignal.addEventListener('abort', onRunAbort, { once: true });
  // A wait enforces its own timeout to report the last value it saw; the engine only backs it up.
  const limit = type.defaultTimeoutMs === undefined ? timeoutMs : timeoutMs + GRACE_MS;
  const timer = setTimeout(() => {
    controller.abort(
      new StepError(`timed out after ${formatDuration(timeoutMs)}`, {
        code: 'StepTimeout',
        kind: 'timeout',
        span: spanAt(step, step.timeout === undefined ? '' : '/timeout'),
        hint: "Raise the step's timeout if it is only slow.",
      }),
    );
  }, limit);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
  });
  try {
    const ctx = stepContext(run, step, controller.signal, timeoutMs, startedAt, setRendered);
    return await Promise.race([type.execute(step, ctx), aborted]);
  } finally {
    clearTimeout(timer);
    runSignal.removeEventListener('abort', onRunAbort);
  }
}

/** How long the guard's look-up of a target may take before the step is refused. */
const LOOKUP_TIMEOUT_MS = 60_000;

/**
 * Asks the type of the step that declares a destruction (the step, or a step nested in it) whether its
 * target exists; a type that cannot tell says it does.
 */
async function targetExists(
  run: RunContext,
  step: CompiledStep,
  target: LocatedDestruction,
  runSignal: AbortSignal,
  startedAt: number,
): Promise<boolean> {
  const lookup = stepType(target.stepType).targetExists;
  if (!lookup) return true;
  const signal = AbortSignal.any([runSignal, AbortSignal.timeout(LOOKUP_TIMEOUT_MS)]);
  const ctx = stepContext(run, step, signal, LOOKUP_TIMEOUT_MS, startedAt, () => undefined);
  return lookup({ kind: target.on, id: target.id }, ctx);
}

/**
 * Asks the step type how to settle a cut-off step, within the step's time budget. Throws a UsageError when
 * it cannot be settled, or the world cannot be asked: the run then stops where it is, unfinished.
 */
async function settle(
  run: RunContext,
  step: CompiledStep,
  type: StepType,
  runSignal: AbortSignal,
  startedAt: number,
  cutOff: CutOff,
): Promise<Exclude<Reconciliation, { action: 'refuse' }>> {
  const hint = `Check its effect by hand, then set \`onResume: rerun\` or \`onResume: skip\` on step ${step.id} and resume again.`;
  const reconciler = type.reconciler?.(step);
  if (!reconciler) {
    throw new UsageError(
      `step ${step.id} was cut off mid-way; labrun cannot tell what a cut-off ${step.type} step did`,
      hint,
    );
  }
  const timeoutMs = type.defaultTimeoutMs ?? run.defaultTimeoutMs;
  const signal = AbortSignal.any([runSignal, AbortSignal.timeout(timeoutMs)]);
  const ctx: ReconcileContext = {
    ...stepContext(run, step, signal, timeoutMs, startedAt, () => undefined),
    cutOffAt: cutOff.at,
    pids: cutOff.pids,
    disposable: (name) => !run.guard || run.runbook.connections[name]?.disposable !== false,
  };
  let settled: Reconciliation;
  try {
    settled = await reconciler(ctx);
  } catch (error) {
    throw new UsageError(
      `step ${step.id} was cut off mid-way, and finding out what it did failed: ${run.masker.text((error as Error).message)}`,
      'Fix the cause (is the endpoint reachable?) and resume again.',
    );
  }
  if (settled.action === 'refuse') {
    throw new UsageError(
      `step ${step.id} was cut off mid-way and cannot be settled: ${settled.reason}`,
      settled.hint ?? hint,
    );
  }
  return settled;
}

function stepContext(
  run: RunContext,
  step: CompiledStep,
  signal: AbortSignal,
  timeoutMs: number,
  startedAt: number,
  setRendered: (value: unknown) => void,
): StepContext {
  const { renderer, scope, clock } = run;
  return {
    step,
    signal,
    clock,
    timeoutMs,
    aws: run.aws,
    field: (pointer) => fieldAt(step, pointer),
    render: (pointer, bindings) => {
      const value = fieldAt(step, pointer);
      if (value === undefined) return undefined;
      return renderer.deep(step, value, pointer, bindings ? { ...scope, ...bindings } : scope);
    },
    spanAt: (pointer) => spanAt(step, pointer),
    duration: (pointer, fallback) => {
      const value = fieldAt(step, pointer);
      if (value === undefined) return fallback;
      return durationMs(renderer.deep(step, value, pointer, scope), spanAt(step, pointer));
    },
    sql: async (name) => run.pool.session(name),
    connectionSettings: async (name) => run.connectionSettings(name),
    resource: (key, create, dispose) => run.resource(key, create, dispose),
    addSecret: (value) => run.masker.add(value),
    progress: (update) =>
      run.emit({ type: 'step-progress', stepId: step.id, elapsedMs: clock.now() - startedAt, ...update }),
    setRendered,
  };
}

/** The wait before the next attempt, or undefined when the error is not retried (or attempts ran out). */
function retryDelay(
  run: RunContext,
  step: CompiledStep,
  attempts: number,
  error: StepError,
): number | undefined {
  const retry = step.retry;
  if (!retry || error.kind === 'interrupted' || attempts >= retry.attempts) return undefined;
  if (retry.on && !retry.on.includes(error.code)) return undefined;
  const duration = (template: string | undefined, pointer: string, fallback: number): number =>
    template === undefined
      ? fallback
      : durationMs(run.renderer.withSpan(template, run.scope, spanAt(step, pointer)), spanAt(step, pointer));
  const interval = duration(retry.interval, '/retry/interval', 1000);
  const cap = duration(retry.maxInterval, '/retry/maxInterval', Infinity);
  return Math.min(interval * (retry.backoff ?? 1) ** (attempts - 1), cap);
}

export function errorRecord(error: StepError): StepErrorRecord {
  return {
    message: error.message,
    code: error.code,
    kind: error.kind,
    ...(error.span ? { span: formatSpan(error.span) } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  };
}

function assertionsOf(result: unknown): AssertionResult[] {
  const list = (result as { assertions?: unknown } | undefined)?.assertions;
  return Array.isArray(list) ? (list as AssertionResult[]) : [];
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
