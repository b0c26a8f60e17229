/**
 * The `sql` step: one statement on a named connection, with bound parameters. Rows come back as plain
 * objects; BIGINTs (like CHECKSUM TABLE values) as numbers when exact, as strings beyond 2^53.
 */
import { isConnectionLost } from '../../core/connection-errors.js';
import { StepError } from '../../core/errors.js';
import type { CompiledStep } from '../../runbook/types.js';
import type { PlanContext, PlannedAction, StepContext, StepType } from '../types.js';

const READ_ONLY = /^\s*(SELECT|SHOW|CHECKSUM|EXPLAIN|DESCRIBE|DESC|WITH)\b/i;
/**
 * Statements that can be sent again after a lost connection: they only read. `SELECT ... INTO` (a file or
 * variables) and `SELECT ... FOR UPDATE` / `LOCK IN SHARE MODE` are left out, as is anything with a `;`.
 */
const RETRYABLE_READ = /^\s*(SELECT|SHOW|CHECKSUM)\b/i;
const NOT_A_PURE_READ = /;|\bINTO\b|\bFOR\s+UPDATE\b|\bLOCK\s+IN\b/i;

export function isRetryableRead(query: string): boolean {
  return RETRYABLE_READ.test(query) && !NOT_A_PURE_READ.test(query);
}

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
    try {
      return await session.run(query, params, ctx.signal);
    } catch (error) {
      if (ctx.signal.aborted || !isConnectionLost(error)) throw error;
      // The connection was lost while the statement ran. A read is sent once more on a fresh connection (the
      // session reconnects); a write is not, because it may already have taken effect.
      if (isRetryableRead(query)) return await session.run(query, params, ctx.signal);
      if (error instanceof StepError) {
        error.message += '; the statement may or may not have taken effect, so it was not retried';
        error.hint ??= 'Check the data before running the statement again.';
      }
      throw error;
    }
  } catch (error) {
    if (error instanceof StepError && !error.span) error.span = ctx.spanAt(`${base}/query`);
    throw error;
  }
}
