/**
 * The `wait-until` step: either just wait (`duration`), or poll a probe (an inline aws or sql body) until the
 * observed value is a success value. The first poll is immediate; the interval then grows by `backoff` up
 * to `maxInterval`; a failure value ends the wait at once; the overall timeout reports the last value seen.
 */
import { formatDuration } from '../../core/clock.js';
import { StepError } from '../../core/errors.js';
import { planAws, runAws } from '../aws/execute.js';
import { planSql, runSql } from '../sql/execute.js';
import type { PlanContext, PlannedAction, StepContext, StepType } from '../types.js';
import { looseEquals } from '../assert/execute.js';
import { isTruthy } from '../../runbook/template.js';

export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

export const waitUntilStep = {
  type: 'wait-until',
  mutating: false,
  defaultTimeoutMs: DEFAULT_WAIT_TIMEOUT_MS,
  plan: (_step, ctx) => planWait(ctx),
  execute: (_step, ctx) => runWait(ctx),
} satisfies StepType;

function planWait(ctx: PlanContext): PlannedAction {
  if (ctx.field('/duration') !== undefined) return { summary: `wait ${String(ctx.render('/duration'))}` };
  const probeType = ctx.field('/probe/type');
  const probe = probeType === 'sql' ? planSql(ctx, '/probe') : planAws(ctx, '/probe');
  const until = ctx.field('/until');
  if (until !== undefined) {
    return {
      summary: `poll ${probe.summary} until ${String(until)}`,
      detail: {
        probe: probe.detail,
        until,
        interval: ctx.render('/interval') ?? '2s',
        backoff: ctx.render('/backoff') ?? 1.5,
        maxInterval: ctx.render('/maxInterval') ?? '30s',
        timeout: ctx.step.timeout ?? '30m',
      },
    };
  }
  const value = String(ctx.field('/value')).replace(/^\{\{\s*([\s\S]*?)\s*\}\}$/, '$1');
  const success = ctx.render('/success');
  const failure = ctx.render('/failure');
  return {
    summary: `poll ${probe.summary} until ${value} is one of ${JSON.stringify(success)}`,
    detail: {
      probe: probe.detail,
      value,
      success,
      ...(failure === undefined ? {} : { failure }),
      interval: ctx.render('/interval') ?? '2s',
      backoff: ctx.render('/backoff') ?? 1.5,
      maxInterval: ctx.render('/maxInterval') ?? '30s',
      timeout: ctx.step.timeout ?? '30m',
    },
  };
}

async function runWait(ctx: StepContext): Promise<unknown> {
  const start = ctx.clock.now();
  if (ctx.field('/duration') !== undefined) {
    const ms = ctx.duration('/duration', 0);
    ctx.setRendered({ duration: ms });
    await ctx.clock.sleep(Math.min(ms, ctx.timeoutMs), ctx.signal);
    if (ms > ctx.timeoutMs) {
      throw new StepError(
        `timed out after ${formatDuration(ctx.timeoutMs)}, before the ${formatDuration(ms)} wait ended`,
        {
          code: 'WaitTimeout',
          kind: 'timeout',
          span: ctx.spanAt('/duration'),
        },
      );
    }
    return { waitedMs: ctx.clock.now() - start };
  }

  const probeType = ctx.field('/probe/type');
  // `until`: the condition is a template over the probe's result; `observed` is what it rendered.
  const condition = ctx.field('/until') !== undefined;
  const success = list(ctx.render('/success'));
  const failure = list(ctx.render('/failure'));
  const backoff = Number(ctx.render('/backoff') ?? 1.5);
  if (!Number.isFinite(backoff) || backoff < 1) {
    throw new StepError(`backoff must be a number of at least 1, got ${JSON.stringify(backoff)}`, {
      code: 'InvalidBackoff',
      kind: 'template',
      span: ctx.spanAt('/backoff'),
    });
  }
  const maxInterval = ctx.duration('/maxInterval', 30_000);
  let interval = Math.min(ctx.duration('/interval', 2000), maxInterval);
  const timeout = ctx.timeoutMs;
  const kind = probeType === 'sql' ? 'sql' : 'aws';

  let polls = 0;
  let observed: unknown;
  let result: unknown;
  for (;;) {
    polls += 1;
    try {
      result = probeType === 'sql' ? await runSql(ctx, '/probe') : await runAws(ctx, '/probe');
      observed = ctx.render(condition ? '/until' : '/value', { result });
    } catch (error) {
      // A probe error counts as an observation only when the runbook names its code as a success or failure
      // (e.g. DBClusterNotFoundFault when waiting for a deletion); otherwise the wait cannot go on.
      const code = error instanceof StepError ? error.code : undefined;
      if (code === undefined || ![...success, ...failure].some((v) => looseEquals(v, code))) throw error;
      result = { error: { code, message: (error as Error).message } };
      observed = code;
    }
    const elapsedMs = ctx.clock.now() - start;
    ctx.progress({ observed, polls, message: describe(observed) });
    if (condition ? isTruthy(observed) : success.some((v) => looseEquals(v, observed)))
      return { ...asObject(result), observed, polls, elapsedMs };
    if (failure.some((v) => looseEquals(v, observed))) {
      throw new StepError(`reached failure value ${describe(observed)} after ${formatDuration(elapsedMs)}`, {
        code: 'WaitFailed',
        kind,
        span: ctx.spanAt('/failure'),
        hint: `The probe's value ${describe(observed)} is listed in failure; the awaited state will not come.`,
      });
    }
    if (elapsedMs >= timeout) {
      throw new StepError(
        `timed out after ${formatDuration(elapsedMs)} (${polls} polls); last observed value: ${describe(observed)}`,
        {
          code: 'WaitTimeout',
          kind: 'timeout',
          span: ctx.spanAt(condition ? '/until' : '/value'),
          hint: condition
            ? 'The until condition never rendered true; raise timeout if it is only slow.'
            : `Still not one of ${JSON.stringify(success)}; raise timeout if it is only slow.`,
        },
      );
    }
    // The last sleep ends at the deadline so that the final poll happens right at it.
    await ctx.clock.sleep(Math.min(interval, timeout - elapsedMs), ctx.signal);
    interval = Math.min(interval * backoff, maxInterval);
  }
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

function describe(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}
