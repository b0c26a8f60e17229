/**
 * The `capture` step: names a value for later steps, either rendered from a template or read from a
 * database server's clock. Server time is taken as UTC with microseconds and a Z so that it is unambiguous
 * whatever the server's or the runner's time zone.
 */
import { isConnectionLost } from '../../core/connection-errors.js';
import { StepError } from '../../core/errors.js';
import type { CompiledStep } from '../../runbook/types.js';
import type { StepContext, StepType } from '../types.js';

export const SERVER_TIME_QUERY = "SELECT DATE_FORMAT(UTC_TIMESTAMP(6), '%Y-%m-%dT%H:%i:%s.%fZ') AS now";

export interface CaptureResult {
  name: string;
  value: unknown;
}

export const captureStep = {
  type: 'capture',
  mutating: false,
  plan: (_step, ctx) => {
    const name = String(ctx.field('/name'));
    const connection = ctx.field('/serverTime');
    if (connection !== undefined)
      return { summary: `capture ${name} = server time (UTC) of ${String(connection)}` };
    return { summary: `capture ${name}`, detail: { value: ctx.render('/value') } };
  },
  execute: (_step, ctx) => runCapture(ctx),
  captures: (_step: CompiledStep, result: unknown) => {
    const { name, value } = result as CaptureResult;
    return { [name]: value };
  },
} satisfies StepType;

async function runCapture(ctx: StepContext): Promise<CaptureResult> {
  const name = String(ctx.field('/name'));
  const connection = ctx.field('/serverTime');
  if (connection === undefined) return { name, value: ctx.render('/value') };
  const session = await ctx.sql(String(connection));
  ctx.setRendered({ connection, query: SERVER_TIME_QUERY });
  // A pure read: if the connection is lost while it runs, it is asked once more on a fresh connection.
  const ask = () => session.run(SERVER_TIME_QUERY, [], ctx.signal);
  const { rows } = await ask().catch((error: unknown) => {
    if (ctx.signal.aborted || !isConnectionLost(error)) throw error;
    return ask();
  });
  const value = rows[0]?.now;
  if (typeof value !== 'string') {
    throw new StepError(`the server of ${String(connection)} returned no time`, {
      code: 'NoServerTime',
      kind: 'sql',
      span: ctx.spanAt('/serverTime'),
    });
  }
  return { name, value };
}
