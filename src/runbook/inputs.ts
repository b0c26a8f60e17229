/**
 * Input values: coercion to the declared type, and resolution from `--set`, stack outputs, environment
 * variables and defaults, in that order.
 */
import { didYouMean } from './did-you-mean.js';
import { error, warning } from './diagnostic.js';
import type { Diagnostic, InputSpec, InputType } from './types.js';

export class InputValueError extends Error {
  readonly input: string;
  constructor(input: string, message: string) {
    super(message);
    this.name = 'InputValueError';
    this.input = input;
  }
}

function describe(raw: unknown): string {
  if (typeof raw === 'string') return JSON.stringify(raw);
  return `${raw === null ? 'null' : typeof raw} ${JSON.stringify(raw)}`;
}

const TRUE_WORDS = new Set(['true', 'yes', 'on', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'off', '0']);

/** The value coerced to the input's type; "1000000" becomes 1000000 for an integer input. */
export function resolveInputValue(
  spec: Pick<InputSpec, 'name' | 'type'> & { secret?: boolean },
  raw: unknown,
): string | number | boolean {
  const fail = (expected: string): never => {
    const got = spec.secret ? 'a value that does not fit (not shown: the input is secret)' : describe(raw);
    throw new InputValueError(spec.name, `input "${spec.name}" must be ${expected}, got ${got}`);
  };
  const type: InputType = spec.type ?? 'string';
  switch (type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      return fail('a string');
    case 'integer': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw) && Number.isSafeInteger(Number(raw)))
        return Number(raw);
      return fail('an integer');
    }
    case 'number': {
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
      return fail('a number');
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const word = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : '';
      if (TRUE_WORDS.has(word)) return true;
      if (FALSE_WORDS.has(word)) return false;
      return fail('true or false');
    }
    default:
      return fail(`of type ${String(type)}`);
  }
}

export type InputSource = 'set' | 'stackOutput' | 'env' | 'default';

export interface InputSources {
  /** `--set name=value` pairs. */
  set?: Record<string, string>;
  /** CloudFormation stack outputs by output key. */
  stackOutputs?: Record<string, string>;
  env?: Record<string, string | undefined>;
}

export interface ResolvedInputs {
  values: Record<string, string | number | boolean>;
  /** Where each value came from. */
  from: Record<string, InputSource>;
  diagnostics: Diagnostic[];
}

/**
 * Resolve every input: `--set`, then the stack output, then the environment variable, then the default.
 * An input with no value, a value of the wrong type and a `--set` for an undeclared input are diagnostics.
 */
export function resolveInputs(inputs: InputSpec[], sources: InputSources): ResolvedInputs {
  const values: Record<string, string | number | boolean> = {};
  const from: Record<string, InputSource> = {};
  const diagnostics: Diagnostic[] = [];
  const names = inputs.map((input) => input.name);
  for (const name of Object.keys(sources.set ?? {})) {
    if (!names.includes(name)) {
      diagnostics.push(
        error(
          'usage',
          `--set ${name}: the runbook has no input "${name}"`,
          inputs[0]?.span.file ?? '',
          undefined,
          didYouMean(name, names) ?? `inputs: ${names.join(', ')}`,
        ),
      );
    }
  }
  for (const spec of inputs) {
    const candidates: Array<[InputSource, unknown]> = [];
    const set = sources.set?.[spec.name];
    if (set !== undefined) candidates.push(['set', set]);
    if (spec.stackOutput && sources.stackOutputs?.[spec.stackOutput] !== undefined) {
      candidates.push(['stackOutput', sources.stackOutputs[spec.stackOutput]]);
    }
    if (spec.env && sources.env?.[spec.env] !== undefined) candidates.push(['env', sources.env[spec.env]]);
    if (spec.default !== undefined) candidates.push(['default', spec.default]);
    const chosen = candidates[0];
    if (!chosen) {
      const ways = [`--set ${spec.name}=...`];
      if (spec.stackOutput) ways.push(`the stack output ${spec.stackOutput}`);
      if (spec.env) ways.push(`the environment variable ${spec.env}`);
      diagnostics.push(
        error(
          'missing-input',
          `input "${spec.name}" has no value`,
          spec.span.file,
          spec.span,
          `give it with ${ways.join(', or ')}`,
        ),
      );
      continue;
    }
    try {
      values[spec.name] = resolveInputValue(spec, chosen[1]);
      from[spec.name] = chosen[0];
      const overridden = candidates.find(([source]) => source === 'stackOutput');
      if (chosen[0] === 'set' && overridden && !spec.secret) {
        // The stack says how it is (a sandbox's table size, say): a --set that disagrees is likely a slip.
        let stackValue: string | number | boolean | undefined;
        try {
          stackValue = resolveInputValue(spec, overridden[1]);
        } catch {
          stackValue = undefined;
        }
        if (stackValue !== values[spec.name]) {
          diagnostics.push(
            warning(
              'input-overrides-stack-output',
              `--set ${spec.name}=${String(values[spec.name])} overrides the stack output ${spec.stackOutput} (${String(overridden[1])})`,
              spec.span.file,
              spec.span,
              `leave out --set ${spec.name} to use the stack's value`,
            ),
          );
        }
      }
    } catch (cause) {
      const where =
        chosen[0] === 'set'
          ? '--set'
          : chosen[0] === 'stackOutput'
            ? `stack output ${spec.stackOutput}`
            : chosen[0] === 'env'
              ? `$${spec.env}`
              : 'default';
      diagnostics.push(
        error(
          'invalid-input-value',
          `${(cause as Error).message} (from ${where})`,
          spec.span.file,
          spec.span,
        ),
      );
    }
  }
  return { values, from, diagnostics };
}
