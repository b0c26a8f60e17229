/**
 * Rendered aws params against the operation's input model, just before sending: values whose type was not
 * known statically (an untyped input, a capture) are turned into what the model wants, or refused with the
 * member named. "86400" becomes 86400 for a number member, "true"/"false" booleans, an ISO-8601 string (or
 * epoch seconds) a Date for a timestamp: the SDK would otherwise drop a timestamp given as a string, turning
 * `BacktrackTo` into a missing parameter.
 */
import { closest } from '../../runbook/did-you-mean.js';
import { joinPointer } from '../../runbook/pointer.js';
import type { ValueType } from '../../runbook/value-type.js';
import { isInstant } from './params-check.js';
import { describeType, isRecord, matchMember } from './value-kinds.js';

export interface ParamsProblem {
  /** JSON pointer of the offending value, below the step mapping. */
  pointer: string;
  code: 'UnknownParameter' | 'MissingParameter' | 'InvalidParameterValue';
  message: string;
  hint?: string;
}

export class ParamsError extends Error {
  constructor(readonly problem: ParamsProblem) {
    super(problem.message);
    this.name = 'ParamsError';
  }
}

/** The params as the model wants them; throws ParamsError naming the first member that cannot be. */
export function coerceParams(
  params: Record<string, unknown>,
  input: ValueType & { kind: 'structure' },
  operation: string,
  pointer: string,
): Record<string, unknown> {
  return coerce(params, input, pointer, operation, true) as Record<string, unknown>;
}

function coerce(value: unknown, type: ValueType, pointer: string, where: string, top = false): unknown {
  if (value === null || value === undefined) return value;
  const refuse = (hint?: string): never => {
    throw new ParamsError({
      pointer,
      code: 'InvalidParameterValue',
      message: `${where} must be ${describeType(type)}, got ${JSON.stringify(value)}`,
      hint,
    });
  };
  switch (type.kind) {
    case 'any':
      return value;
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      if (value instanceof Date) return value.toISOString();
      return refuse();
    case 'integer':
    case 'number': {
      const number = typeof value === 'number' ? value : typeof value === 'string' ? numeric(value) : NaN;
      if (!Number.isFinite(number) || (type.kind === 'integer' && !Number.isInteger(number)))
        return refuse('Give a number, e.g. 86400.');
      return number;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return refuse('Give true or false.');
    case 'timestamp': {
      if (value instanceof Date) return value;
      if (typeof value === 'number' && Number.isFinite(value)) return new Date(value * 1000);
      if (typeof value === 'string' && isInstant(value)) return new Date(value);
      return refuse('Give an ISO-8601 instant such as 2024-05-01T12:00:00Z.');
    }
    case 'list':
      if (!Array.isArray(value)) return refuse();
      return value.map((item, i) => coerce(item, type.member, joinPointer(pointer, i), `${where}[${i}]`));
    case 'map':
      if (!isRecord(value)) return refuse();
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          coerce(v, type.value, joinPointer(pointer, k), `${where}.${k}`),
        ]),
      );
    case 'structure': {
      if (!isRecord(value)) return refuse();
      const out: Record<string, unknown> = {};
      const names = Object.keys(type.members);
      for (const [key, member] of Object.entries(value)) {
        const memberType = Object.hasOwn(type.members, key) ? type.members[key] : undefined;
        const at = joinPointer(pointer, key);
        if (!memberType) {
          const suggestion = matchMember(key, names) ?? closest(key, names);
          throw new ParamsError({
            pointer: at,
            code: 'UnknownParameter',
            message: top ? `${where} has no parameter ${key}` : `${where} has no member ${key}`,
            hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
          });
        }
        out[key] = coerce(member, memberType, at, top ? key : `${where}.${key}`);
      }
      const absent = (type.required ?? []).filter((name) => out[name] === undefined || out[name] === null);
      if (absent.length > 0) {
        throw new ParamsError({
          pointer,
          code: 'MissingParameter',
          message: `${where} requires ${absent.join(', ')}`,
          hint: `Give ${absent.join(', ')} a value.`,
        });
      }
      return out;
    }
  }
}

function numeric(text: string): number {
  const trimmed = text.trim();
  return /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(trimmed) ? Number(trimmed) : NaN;
}
