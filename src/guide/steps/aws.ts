/**
 * The `aws` step in a guide: the aws CLI command, with the CLI's option names (botocore's kebab-case), lists
 * as separate words, booleans as `--flag` / `--no-flag` and structures as JSON, so it runs under CLI v1 and
 * v2. A value a later step needs is read with `--query` (JMESPath) and `--output text`.
 */
import { parseDuration } from '../../runbook/duration.js';
import { stringify } from '../../runbook/template.js';
import type { CompiledStep } from '../../runbook/types.js';
import type { ValueType } from '../../runbook/value-type.js';
import { operationModel } from '../../steps/aws/model.js';
import { jmesPath, type GuideContext } from '../context.js';
import { commandLines } from '../layout.js';
import { cliName } from '../names.js';
import { literalText, normalize, quote, text, type Word } from '../shell.js';
import { captureNote, label } from './sql.js';
import { emptyGuide, type StepTranslator } from './types.js';

export const awsGuide: StepTranslator = (step, ctx) => {
  const guide = emptyGuide();
  const wanted = ctx.wanted(step);
  const groups = awsCommand(ctx, step, '', step.fields);
  const retry = retryOf(ctx, step);
  if (wanted.length > 0) {
    const query =
      wanted.length === 1 ? jmesPath(wanted[0]!.path) : `[${wanted.map((w) => jmesPath(w.path)).join(', ')}]`;
    groups.push(['--query', quote(text(query)), '--output', 'text']);
  }
  const scriptPrefix = retry
    ? `aws_call ${retry.attempts} ${retry.scriptInterval} ${quote(text(retry.on))} ${quote(text(retry.ignore))} `
    : '';
  if (wanted.length === 0) {
    guide.commands.push(...commandLines(groups));
    guide.script.push(...commandLines(groups, scriptPrefix, ' >/dev/null'));
  } else if (wanted.length === 1) {
    const only = wanted[0]!;
    guide.commands.push(
      ...commandLines(groups, `${only.variable}=$(`, ')'),
      `echo "${label(only)}: $${only.variable}"`,
    );
    guide.script.push(
      ...commandLines(groups, `${only.variable}=$(${scriptPrefix}`, ')'),
      `note ${label(only)} "$${only.variable}"`,
    );
  } else {
    const output = ctx.names.name(`output:${step.id}`, `${step.id}_output`);
    const read = `IFS=$'\\t' read -r ${wanted.map((w) => w.variable).join(' ')} <<<"$${output}"`;
    guide.commands.push(
      ...commandLines(groups, `${output}=$(`, ')'),
      read,
      ...wanted.map((w) => `echo "${label(w)}: $${w.variable}"`),
    );
    guide.script.push(
      ...commandLines(groups, `${output}=$(${scriptPrefix}`, ')'),
      read,
      ...wanted.map((w) => `note ${label(w)} "$${w.variable}"`),
    );
  }
  const note = captureNote(wanted);
  if (note) guide.after.push(note);
  if (step.ignoreErrors?.length) {
    guide.after.push(
      `If it answers ${step.ignoreErrors.map((c) => `\`${c}\``).join(' or ')}, there is nothing to do: go on.`,
    );
  }
  if (retry && retry.attempts > 1) {
    guide.after.push(
      `If it answers ${
        retry.on
          ? retry.on
              .split(' ')
              .map((c) => `\`${c}\``)
              .join(' or ')
          : 'with an error'
      }, run it again after ${retry.interval} s (up to ${retry.attempts} times in all).`,
    );
  }
  return guide;
};

/** `aws SERVICE OPERATION --option value ...` as option groups, from an aws step body (or a probe). */
export function awsCommand(
  ctx: GuideContext,
  step: CompiledStep,
  base: string,
  body: Record<string, unknown>,
): string[][] {
  ctx.usesAws = true;
  const service = typeof body.service === 'string' ? body.service : 'rds';
  const operation = String(body.operation);
  const groups: string[][] = [['aws', service, cliName(operation)]];
  const params =
    body.params && typeof body.params === 'object' ? (body.params as Record<string, unknown>) : {};
  const model = operationModel(service === 'cloudformation' ? 'cloudformation' : 'rds', operation);
  for (const [member, value] of Object.entries(params)) {
    const type = model?.input.members[member];
    const group = optionGroup(ctx, step, `${base}/params/${member}`, member, value, type);
    if (group) groups.push(group);
  }
  return groups;
}

function optionGroup(
  ctx: GuideContext,
  step: CompiledStep,
  pointer: string,
  member: string,
  value: unknown,
  type: ValueType | undefined,
): string[] | undefined {
  const option = `--${cliName(member)}`;
  let plain = value;
  if (typeof value === 'string' && value.includes('{{')) {
    const known = ctx.known(value);
    // A whole-expression template of a boolean, list or structure: the CLI needs its shape.
    if (known && typeof known.value !== 'string' && typeof known.value !== 'number') plain = known.value;
    if (type?.kind === 'boolean') {
      const flag =
        known?.value === true || known?.value === 'true'
          ? true
          : known?.value === false || known?.value === 'false'
            ? false
            : undefined;
      if (flag === undefined)
        ctx.fail(
          step,
          pointer,
          `${member} is a flag of the aws CLI: its value must be known when the guide is written`,
        );
      plain = flag;
    }
  }
  if (typeof plain === 'boolean') return [plain ? option : `--no-${cliName(member)}`];
  if (plain === null || plain === undefined) return undefined;
  const structured = type?.kind === 'structure' || type?.kind === 'map';
  if (Array.isArray(plain)) {
    const memberKind = type?.kind === 'list' ? type.member.kind : undefined;
    if (
      memberKind === 'structure' ||
      memberKind === 'map' ||
      plain.some((item) => item !== null && typeof item === 'object')
    )
      return [option, quote(jsonWord(ctx, step, pointer, plain))];
    return [option, ...plain.map((item, i) => quote(ctx.word(step, `${pointer}/${i}`, item)))];
  }
  if (typeof plain === 'object' || structured) return [option, quote(jsonWord(ctx, step, pointer, plain))];
  return [option, quote(ctx.word(step, pointer, plain))];
}

/** A value as JSON text for the CLI, with templates inside strings written as shell words. */
function jsonWord(ctx: GuideContext, step: CompiledStep, pointer: string, value: unknown): Word {
  if (typeof value === 'string') {
    const word = ctx.word(step, pointer, value);
    return normalize([
      ...text('"'),
      ...word.map((part) =>
        part.kind === 'text' ? { kind: 'text' as const, text: JSON.stringify(part.text).slice(1, -1) } : part,
      ),
      ...text('"'),
    ]);
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => jsonWord(ctx, step, `${pointer}/${i}`, item));
    return normalize([
      ...text('['),
      ...items.flatMap((item, i) => (i === 0 ? item : [...text(','), ...item])),
      ...text(']'),
    ]);
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => [
      ...text(`${JSON.stringify(key)}:`),
      ...jsonWord(ctx, step, `${pointer}/${key}`, item),
    ]);
    return normalize([
      ...text('{'),
      ...entries.flatMap((entry, i) => (i === 0 ? entry : [...text(','), ...entry])),
      ...text('}'),
    ]);
  }
  return text(stringify(value ?? null));
}

export interface RetryPresentation {
  attempts: number;
  /** Seconds, as the guide writes them. */
  interval: string;
  /** The interval as the script's shell word: seconds, or `$(seconds_of ...)` over an input's variable. */
  scriptInterval: string;
  /** Error codes retried, space-separated; empty: any error. */
  on: string;
  /** Error codes that count as done, space-separated. */
  ignore: string;
}

/** The step's retry and ignoreErrors, for the script's aws_call; undefined when it has neither. */
export function retryOf(ctx: GuideContext, step: CompiledStep): RetryPresentation | undefined {
  if (!step.retry && !step.ignoreErrors?.length) return undefined;
  const given = step.retry?.interval ?? '1s';
  if (typeof ctx.known(given)?.value !== 'string')
    ctx.fail(step, '/retry/interval', 'the retry interval must be known when the guide is written');
  return {
    attempts: step.retry?.attempts ?? 1,
    interval: durationSeconds(ctx, step, '/retry/interval', given),
    scriptInterval: scriptSeconds(ctx, step, '/retry/interval', given),
    on: (step.retry?.on ?? []).join(' '),
    ignore: (step.ignoreErrors ?? []).join(' '),
  };
}

/** A duration (literal or over known inputs) in seconds, as `sleep` takes it. */
export function durationSeconds(
  ctx: GuideContext,
  step: CompiledStep,
  pointer: string,
  value: unknown,
): string {
  const known = ctx.known(value)?.value;
  const ms = typeof known === 'string' ? parseMs(known) : undefined;
  if (ms === undefined)
    ctx.fail(step, pointer, `the duration ${JSON.stringify(value)} must be known when the guide is written`);
  return String(Math.round(ms) / 1000);
}

/**
 * A duration as the script takes it: the seconds written in for a literal; for a template over inputs,
 * `"$(seconds_of "$POLL_INTERVAL")"`, so that a value given in the environment counts, as it does for every
 * other input of the script. (The guide for a person writes the seconds.)
 */
export function scriptSeconds(
  ctx: GuideContext,
  step: CompiledStep,
  pointer: string,
  value: unknown,
): string {
  const seconds = durationSeconds(ctx, step, pointer, value);
  if (ctx.format !== 'sh' || typeof value !== 'string' || !value.includes('{{')) return seconds;
  const word = ctx.word(step, pointer, value);
  if (literalText(word) !== undefined) return seconds;
  ctx.scriptDurations.add(quote(word));
  return quote([{ kind: 'command', code: `seconds_of ${quote(word)}` }]);
}

function parseMs(value: string): number | undefined {
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
