/**
 * The `wait-until` step in a guide: `aws rds wait ...` where one of the CLI's waiters waits for the same
 * thing, otherwise a polling loop with the step's interval and timeout; `sleep` for a plain duration. The
 * script always polls as labrun does (`wait_for`: the step's interval, backoff, failure values and timeout).
 */
import type { CompiledStep } from '../../runbook/types.js';
import { jmesPath, resultPath, type GuideContext, type Wanted } from '../context.js';
import { commandLines } from '../layout.js';
import { quote, quoteText, text } from '../shell.js';
import { awsCommand, durationSeconds, scriptSeconds } from './aws.js';
import { awkPick, locate, mysqlCommand, statementWord } from './mysql.js';
import { emptyGuide, type StepGuide, type StepTranslator } from './types.js';

/** The aws CLI's waiters (botocore's waiters-2.json) that poll a status a wait-until may poll. */
const WAITERS = [
  {
    service: 'rds',
    operation: 'DescribeDBClusters',
    path: 'DBClusters/0/Status',
    success: 'available',
    waiter: 'db-cluster-available',
  },
  {
    service: 'rds',
    operation: 'DescribeDBInstances',
    path: 'DBInstances/0/DBInstanceStatus',
    success: 'available',
    waiter: 'db-instance-available',
  },
] as const;
/** Every one polls every 30 s, 60 times. */
const WAITER_SECONDS = 1800;
const DEFAULT_TIMEOUT = '30m';

export const waitUntilGuide: StepTranslator = (step, ctx) => {
  const guide = emptyGuide();
  if (step.fields.duration !== undefined) {
    const s = durationSeconds(ctx, step, '/duration', step.fields.duration);
    guide.prose.push(`Wait ${s} seconds.`);
    guide.commands.push(`sleep ${s}`);
    guide.script.push(`sleep ${scriptSeconds(ctx, step, '/duration', step.fields.duration)}`);
    return guide;
  }
  const probe = (step.fields.probe ?? {}) as Record<string, unknown>;
  if (step.fields.until !== undefined)
    ctx.fail(
      step,
      '/until',
      'an `until` condition has no shell form in a guide; poll a plain {{result...}} `value` with `success` values',
    );
  const path =
    resultPath(String(step.fields.value)) ??
    ctx.fail(
      step,
      '/value',
      'the observed value must be a plain {{result...}} path for the guide to poll it',
    );
  const success = (Array.isArray(step.fields.success) ? step.fields.success : []).map(String);
  const failure = (Array.isArray(step.fields.failure) ? step.fields.failure : []).map(String);
  const timeout = durationSeconds(ctx, step, '/timeout', step.timeout ?? DEFAULT_TIMEOUT);
  const what = `\`${path.join('.')}\``;

  const waiter =
    probe.type === 'aws'
      ? WAITERS.find(
          (w) =>
            w.service === (probe.service ?? 'rds') &&
            w.operation === probe.operation &&
            w.path === path.join('/') &&
            success.length === 1 &&
            success[0] === w.success &&
            probe.params !== undefined,
        )
      : undefined;
  // The script polls as labrun does, with the step's interval, backoff, failure values and timeout (an
  // interval or timeout from an input follows the input's variable). The guide uses the CLI's waiter where
  // one waits for the same thing: that is what a person types.
  const probeCommand = probeLine(ctx, step, probe, path);
  const interval = durationSeconds(ctx, step, '/interval', step.fields.interval ?? '2s');
  const backoff = typeof step.fields.backoff === 'number' ? step.fields.backoff : 1.5;
  const name = `probe_${step.id.replace(/-/g, '_')}`;
  const seconds = (pointer: string, value: unknown): string => scriptSeconds(ctx, step, pointer, value);
  guide.script.push(
    `${name}() { ${probeCommand}; }`,
    [
      'wait_for',
      seconds('/timeout', step.timeout ?? DEFAULT_TIMEOUT),
      seconds('/interval', step.fields.interval ?? '2s'),
      String(backoff),
      seconds('/maxInterval', step.fields.maxInterval ?? '30s'),
      quote(text(success.join(' '))),
      quote(text(failure.join(' '))),
      name,
    ].join(' '),
  );

  if (waiter && Number(timeout) <= WAITER_SECONDS) {
    const groups = awsCommand(ctx, step, '/probe', probe);
    groups[0] = ['aws', waiter.service, 'wait', waiter.waiter];
    const limit = Number(timeout) < WAITER_SECONDS ? `timeout ${timeout} ` : '';
    guide.commands.push(...commandLines(groups, limit));
    guide.prose.push(
      `This waits until ${what} is \`${waiter.success}\` (the CLI asks every 30 seconds${Number(timeout) < WAITER_SECONDS ? `; give up after ${timeout} s` : ', for up to 30 minutes'}). It returns at once when it already is, and fails if the status becomes one that never turns \`available\`.`,
    );
    return guide;
  }

  const done = success.map((v) => `[ "$observed" = ${quoteText(v)} ]`).join(' || ');
  guide.commands.push(
    `deadline=$((SECONDS + ${Math.ceil(Number(timeout))}))`,
    `until observed=$(${probeCommand}) && { ${done}; }; do`,
    `  if [ "$SECONDS" -ge "$deadline" ]; then echo "still $observed after ${timeout} s: giving up" >&2; break; fi`,
    `  sleep ${interval}`,
    'done',
  );
  const values = (list: string[]): string => list.map((v) => `\`${v}\``).join(' or ');
  guide.prose.push(
    `This polls ${what} every ${interval} s until it is ${values(success)}, for up to ${timeout} s.${failure.length > 0 ? ` If it shows ${values(failure)}, stop: that will not change.` : ''}`,
  );
  return guide;
};

/** One command that prints the observed value. */
function probeLine(
  ctx: GuideContext,
  step: CompiledStep,
  probe: Record<string, unknown>,
  path: string[],
): string {
  if (probe.type === 'aws') {
    const groups = awsCommand(ctx, step, '/probe', probe);
    groups.push(['--query', quote(text(jmesPath(path))), '--output', 'text']);
    return groups.map((g) => g.join(' ')).join(' ');
  }
  const connection = ctx.connection(step, String(probe.connection));
  const query = String(probe.query);
  const params = Array.isArray(probe.params) ? probe.params : [];
  const statement = statementWord(ctx, step, query, params);
  const wanted: Wanted = { variable: 'observed', path };
  const { row, column } = locate(ctx, step, query, wanted);
  return `${mysqlCommand(ctx, connection, statement, { values: true })} | ${awkPick(row, column)}`;
}

export type { StepGuide };
