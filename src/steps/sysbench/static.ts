/**
 * The sysbench step type's static facets (see ../static-types.ts). Each of `options` is checked against the
 * options the installed sysbench lists for the workload (./options.generated.ts): an unknown name is reported
 * at its key with a did-you-mean, a value sysbench would refuse or misread (`time: 5s`, `skip_trx: yes`) at
 * the value. The result type is the summary execute.ts parses, per command.
 */
import { closest } from '../../runbook/did-you-mean.js';
import { joinPointer } from '../../runbook/pointer.js';
import { isTemplate } from '../../runbook/template.js';
import type { StaticProblem, ValueType } from '../../runbook/value-type.js';
import { describeType, isRecord } from '../aws/value-kinds.js';
import type { StaticContext, StepStatics } from '../static-types.js';
import { WORKLOADS } from './options.generated.js';
import {
  canonicalOption,
  isConnectionOption,
  workloadOptions,
  type KnownOption,
  type SysbenchOptionKind,
} from './options.js';

const INTEGER: ValueType = { kind: 'integer' };
const NUMBER: ValueType = { kind: 'number' };

/** What execute.ts returns for each command: the parsed summary, plus sysbench's exit code. */
export const SYSBENCH_RESULT_TYPES: Readonly<Record<'prepare' | 'run' | 'cleanup', ValueType>> = {
  prepare: structure({ tables: INTEGER, rowsInserted: INTEGER, exitCode: INTEGER }),
  run: structure({
    transactions: INTEGER,
    tps: NUMBER,
    queries: INTEGER,
    qps: NUMBER,
    reads: INTEGER,
    writes: INTEGER,
    other: INTEGER,
    errors: INTEGER,
    reconnects: INTEGER,
    totalTimeSeconds: NUMBER,
    events: INTEGER,
    latency: structure({ min: NUMBER, avg: NUMBER, max: NUMBER, p95: NUMBER, sum: NUMBER }),
    exitCode: INTEGER,
  }),
  cleanup: structure({ exitCode: INTEGER }),
};

function structure(members: Record<string, ValueType>): ValueType {
  return { kind: 'structure', members, required: Object.keys(members) };
}

export const sysbenchStatics: StepStatics = {
  check: (step, ctx) => checkOptions(step.fields, ctx),
  resultType: (step) => {
    const command = step.fields.command;
    return typeof command === 'string' && Object.hasOwn(SYSBENCH_RESULT_TYPES, command)
      ? SYSBENCH_RESULT_TYPES[command as keyof typeof SYSBENCH_RESULT_TYPES]
      : { kind: 'any' };
  },
};

/** Problems of a sysbench step's `options` for its workload. */
export function checkOptions(fields: Record<string, unknown>, ctx: StaticContext): StaticProblem[] {
  const { workload, options } = fields;
  if (typeof workload !== 'string' || !isRecord(options)) return [];
  const known = workloadOptions(workload);
  if (!known) return [];
  const problems: StaticProblem[] = [];
  for (const [name, value] of Object.entries(options)) {
    // The schema refuses the names the connection supplies and names of another form.
    if (isConnectionOption(name) || !/^[a-z][a-z0-9_-]*$/.test(name)) continue;
    const pointer = joinPointer('/options', name);
    const option = known.get(canonicalOption(name));
    if (!option) {
      problems.push(unknownOption(name, workload, known, pointer));
      continue;
    }
    // A value that is not a scalar is the schema's to report.
    if (value === null || typeof value === 'object') continue;
    const problem = checkValue(name, option, value, ctx);
    if (problem) problems.push({ pointer, code: 'invalid-sysbench-value', ...problem });
  }
  return problems;
}

function unknownOption(
  name: string,
  workload: string,
  known: ReadonlyMap<string, KnownOption>,
  pointer: string,
): StaticProblem {
  const canonical = canonicalOption(name);
  const candidates = [...known.keys()].filter((candidate) => !isConnectionOption(candidate));
  const suggestion = closest(canonical, candidates);
  const elsewhere = Object.entries(WORKLOADS)
    .filter(([, names]) => names.some((other) => canonicalOption(other) === canonical))
    .map(([other]) => other);
  let hint: string;
  if (suggestion !== undefined) {
    // In the spelling the runbook uses: `table_sise` gets `table_size`, `table-sise` gets `table-size`.
    const spelled = name.includes('_') && !name.includes('-') ? suggestion.replace(/-/g, '_') : suggestion;
    hint = `did you mean "${spelled}"?`;
  } else if (elsewhere.length > 0) {
    hint = `${name} is an option of ${listed(elsewhere)}, not of ${workload}.`;
  } else if (/^pgsql[-_]/.test(name)) {
    hint = 'pgsql options are for the PostgreSQL driver; labrun runs sysbench with the mysql driver.';
  } else {
    hint = `See \`sysbench --help\` and \`sysbench ${workload} help\` for the options.`;
  }
  return {
    pointer,
    at: 'key',
    code: 'unknown-sysbench-option',
    message: `sysbench ${workload} has no option "${name}"`,
    hint,
  };
}

function listed(names: string[]): string {
  if (names.length <= 3) return names.join(', ');
  return `${names.slice(0, 3).join(', ')} and ${names.length - 3} other workload${names.length === 4 ? '' : 's'}`;
}

const WHOLE = /^[-+]?\d+$/;
const NUMERIC = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const SIZE = /^\d+[bBkKmMgGtT]?$/;
/** The forms of on and off sysbench reads; YAML true and false are written as on and off. */
const SWITCHES = ['on', 'off', 'true', 'false', '1', '0'];

const KIND_TEXT: Record<SysbenchOptionKind, string> = {
  integer: 'a whole number',
  number: 'a number',
  size: 'a size (a whole number of bytes, or with a K, M, G or T suffix)',
  boolean: 'on or off (true or false)',
  string: 'a string',
  list: 'a comma-separated list',
};

/** What is wrong with `value` for `option`, or undefined when sysbench reads it as meant. */
function checkValue(
  name: string,
  option: KnownOption,
  value: unknown,
  ctx: StaticContext,
): Pick<StaticProblem, 'message' | 'hint'> | undefined {
  if (isTemplate(value)) return checkTemplate(name, option, value, ctx);
  const wanted = `${name} takes ${KIND_TEXT[option.kind]}`;
  const example = option.default !== undefined && option.default !== '' ? `, e.g. ${option.default}` : '';
  const shown = JSON.stringify(value);
  switch (option.kind) {
    case 'integer': {
      if (typeof value === 'number' ? Number.isInteger(value) : WHOLE.test(String(value))) return undefined;
      return {
        message: `${wanted}, not ${shown}`,
        hint: integerHint(name, option, value) ?? `Write ${describe(option)}${example}.`,
      };
    }
    case 'number':
      if (typeof value === 'number' || (typeof value === 'string' && NUMERIC.test(value))) return undefined;
      return { message: `${wanted}, not ${shown}`, hint: `Write ${describe(option)}${example}.` };
    case 'size':
      if ((typeof value === 'number' && Number.isInteger(value) && value >= 0) || SIZE.test(String(value)))
        return undefined;
      return { message: `${wanted}, not ${shown}`, hint: `Write e.g. ${option.default ?? '64K'}.` };
    case 'boolean':
      if (typeof value === 'boolean' || SWITCHES.includes(String(value))) return undefined;
      return { message: `${wanted}, not ${shown}`, hint: `Write true or false (sysbench reads on, off).` };
    case 'string':
      if (!option.values || option.values.includes(String(value))) return undefined;
      return {
        message: `${name} takes one of ${option.values.join(', ')}, not ${shown}`,
        hint:
          closest(String(value), option.values) !== undefined
            ? `did you mean "${closest(String(value), option.values)}"?`
            : `Write one of ${option.values.join(', ')} (sysbench compares them case-sensitively).`,
      };
    case 'list':
      return undefined;
  }
}

/** The option's meaning for hints: "limit for total execution time in seconds". */
function describe(option: KnownOption): string {
  return `${KIND_TEXT[option.kind]} (${option.description})`;
}

/** A duration where whole seconds are wanted (`time: 5s`): the number to write instead. */
function integerHint(name: string, option: KnownOption, value: unknown): string | undefined {
  if (!/seconds/.test(option.description)) return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(String(value));
  if (!match) return undefined;
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  const seconds = Number(match[1]) * factor;
  return Number.isInteger(seconds)
    ? `${name} is in whole seconds: write ${seconds}.`
    : `${name} is in whole seconds: ${String(value)} is not a whole number of seconds.`;
}

/** A template whose static type sysbench cannot read for the option (a boolean for `threads`). */
function checkTemplate(
  name: string,
  option: KnownOption,
  template: string,
  ctx: StaticContext,
): Pick<StaticProblem, 'message' | 'hint'> | undefined {
  const type = ctx.typeOf(template);
  if (!type) return undefined;
  const structured = type.kind === 'list' || type.kind === 'structure' || type.kind === 'map';
  let fits: boolean;
  switch (option.kind) {
    case 'integer':
    case 'size':
      // A string or a number may hold a whole number; only what never does is refused.
      fits = type.kind === 'integer' || type.kind === 'number' || type.kind === 'string';
      break;
    case 'number':
      fits = type.kind === 'integer' || type.kind === 'number' || type.kind === 'string';
      break;
    case 'boolean':
      fits = type.kind === 'boolean' || type.kind === 'integer' || type.kind === 'string';
      break;
    case 'string':
      fits = !structured;
      break;
    case 'list':
      fits = type.kind !== 'structure' && type.kind !== 'map';
      break;
  }
  if (fits) return undefined;
  return {
    message: `${name} takes ${KIND_TEXT[option.kind]}, but ${template} is ${describeType(type)}`,
    hint: `Give ${name} ${describe(option)}.`,
  };
}
