/**
 * The `sql` step: one statement on a named connection, with bound parameters. Rows come back as plain
 * objects; BIGINTs (like CHECKSUM TABLE values) as numbers when exact, as strings beyond 2^53.
 */
import { StepError } from '../../engine/errors.js';
import type { CompiledStep } from '../../runbook/types.js';
import type { PlanContext, PlannedAction, StepContext, StepType } from '../types.js';

const READ_ONLY = /^\s*(SELECT|SHOW|CHECKSUM|EXPLAIN|DESCRIBE|DESC|WITH)\b/i;

export const sqlStep = {
  type: 'sql',
  mutating: (step: CompiledStep) => !READ_ONLY.test(String(step.fields.query ?? '')),
  plan: (_step, ctx) => planSql(ctx, ''),
  execute: (_step, ctx) => runSql(ctx, ''),
} satisfies StepType;

export function planSql(ctx: PlanContext, base: string): PlannedAction {
  const connection = String(ctx.field(`${base}/connection`));
  const query = ctx.render(`${base}/query`);
  const params = ctx.render(`${base}/params`);
  return {
    summary: `sql on ${connection}: ${String(query)}`,
    detail: params === undefined ? undefined : { params },
  };
}

/** Runs the sql body found at `base` ("" for a sql step, "/probe" for a wait's probe). */
export async function runSql(ctx: StepContext, base: string): Promise<unknown> {
  const connection = String(ctx.field(`${base}/connection`));
  const query = ctx.render(`${base}/query`);
  const params = ctx.render(`${base}/params`) ?? [];
  if (typeof query !== 'string' || query.trim() === '') {
    throw new StepError('query must be a non-empty string', {
      code: 'InvalidQuery',
      kind: 'sql',
      span: ctx.spanAt(`${base}/query`),
    });
  }
  if (!Array.isArray(params)) {
    throw new StepError(`params must be a list, got ${JSON.stringify(params)}`, {
      code: 'InvalidParameters',
      kind: 'sql',
      span: ctx.spanAt(`${base}/params`),
    });
  }
  ctx.setRendered({ connection, query, params });
  const session = await ctx.sql(connection);
  try {
    return await session.run(query, params, ctx.signal);
  } catch (error) {
    if (error instanceof StepError && !error.span) error.span = ctx.spanAt(`${base}/query`);
    throw error;
  }
}
