/**
 * The `assert` step: a list of checks, each an `actual` value, one operator and a message. Every check is
 * evaluated and reported, not just the first failing one. A number and a numeric string are equal when
 * they denote the same number, because templates render captures as text.
 */
import { StepError, type AssertionResult } from '../../core/errors.js';
import type { PlanContext, PlannedAction, StepContext, StepType } from '../types.js';
import { NUMERIC_TEXT } from './numeric.js';
import { ASSERT_OPERATORS } from './schema.js';

/** The operators, as the schema lists them. */
export const OPERATORS = ASSERT_OPERATORS;
export type AssertOperator = (typeof OPERATORS)[number];

export const assertStep = {
  type: 'assert',
  mutating: false,
  plan: (_step, ctx) => planAssert(ctx),
  execute: (_step, ctx) => runAssert(ctx),
} satisfies StepType;

function planAssert(ctx: PlanContext): PlannedAction {
  const checks = (ctx.field('/that') as unknown[] | undefined) ?? [];
  const detail = checks.map((check, i) => {
    const operator = operatorOf(check);
    return {
      actual: ctx.render(`/that/${i}/actual`),
      [operator ?? '?']: operator ? ctx.render(`/that/${i}/${operator}`) : undefined,
    };
  });
  return { summary: `assert ${checks.length} condition${checks.length === 1 ? '' : 's'}`, detail };
}

async function runAssert(ctx: StepContext): Promise<{ assertions: AssertionResult[] }> {
  const checks = (ctx.field('/that') as unknown[] | undefined) ?? [];
  const assertions: AssertionResult[] = [];
  let templateProblem = false;
  checks.forEach((check, i) => {
    const operator = operatorOf(check) ?? 'equals';
    const span = ctx.spanAt(`/that/${i}`);
    const message = (check as { message?: unknown }).message;
    const outcome: AssertionResult = {
      actual: undefined,
      operator,
      expected: undefined,
      passed: false,
      ...(message === undefined ? {} : { message: String(message) }),
      span,
    };
    try {
      outcome.actual = ctx.render(`/that/${i}/actual`);
      outcome.expected = ctx.render(`/that/${i}/${operator}`);
      const verdict = evaluate(operator, outcome.actual, outcome.expected);
      outcome.passed = verdict.passed;
      if (verdict.problem) outcome.problem = verdict.problem;
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      templateProblem = true;
      outcome.problem = error.message;
      outcome.span = error.span ?? span;
    }
    assertions.push(outcome);
  });
  const failed = assertions.filter((a) => !a.passed);
  if (failed.length > 0) {
    const first = failed[0]!;
    const summary =
      failed.length === 1
        ? describeFailure(first)
        : `${failed.length} of ${assertions.length} assertions failed`;
    throw new StepError(summary, {
      code: templateProblem ? 'TemplateError' : 'AssertionFailed',
      kind: templateProblem ? 'template' : 'assertion',
      span: first.span,
      assertions,
    });
  }
  return { assertions };
}

export function describeFailure(a: AssertionResult): string {
  const head = (a.message ?? 'assertion failed').replace(/\.$/, '');
  if (a.problem) return `${head} (${a.problem})`;
  return `${head}: expected ${JSON.stringify(a.actual)} ${phrase(a.operator)} ${JSON.stringify(a.expected)}`;
}

function phrase(operator: string): string {
  switch (operator) {
    case 'equals':
      return 'to equal';
    case 'notEquals':
      return 'not to equal';
    case 'oneOf':
      return 'to be one of';
    case 'matches':
      return 'to match';
    case 'contains':
      return 'to contain';
    case 'greaterThan':
      return 'to be greater than';
    case 'lessThan':
      return 'to be less than';
    case 'exists':
      return 'to exist:';
    default:
      return operator;
  }
}

function operatorOf(check: unknown): AssertOperator | undefined {
  if (check === null || typeof check !== 'object') return undefined;
  return OPERATORS.find((op) => op in check);
}

export function evaluate(
  operator: AssertOperator,
  actual: unknown,
  expected: unknown,
): { passed: boolean; problem?: string } {
  switch (operator) {
    case 'equals':
      return { passed: looseEquals(actual, expected) };
    case 'notEquals':
      return { passed: !looseEquals(actual, expected) };
    case 'oneOf':
      if (!Array.isArray(expected)) return { passed: false, problem: 'oneOf needs a list' };
      return { passed: expected.some((e) => looseEquals(actual, e)) };
    case 'matches': {
      let pattern: RegExp;
      try {
        pattern = new RegExp(String(expected));
      } catch (error) {
        return { passed: false, problem: `invalid regular expression: ${(error as Error).message}` };
      }
      return { passed: actual !== null && actual !== undefined && pattern.test(textOf(actual)) };
    }
    case 'contains':
      if (Array.isArray(actual)) return { passed: actual.some((item) => looseEquals(item, expected)) };
      if (actual === null || actual === undefined) return { passed: false };
      return { passed: textOf(actual).includes(textOf(expected)) };
    case 'greaterThan':
    case 'lessThan': {
      const order = compare(actual, expected);
      if (order === undefined) {
        return {
          passed: false,
          problem: `cannot order ${JSON.stringify(actual)} and ${JSON.stringify(expected)}`,
        };
      }
      return { passed: operator === 'greaterThan' ? order > 0 : order < 0 };
    }
    case 'exists': {
      const present = actual !== null && actual !== undefined;
      return { passed: present === isTruthy(expected) };
    }
  }
}

function numeric(value: unknown): string | number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && NUMERIC_TEXT.test(value)) return value.trim();
  return undefined;
}

/** Numbers compared exactly, integers beyond 2^53 included (as BigInt). */
function compareNumbers(a: string | number, b: string | number): number {
  const isInt = (x: string | number): boolean => /^[-+]?\d+$/.test(String(x));
  if (isInt(a) && isInt(b)) {
    const x = BigInt(String(a).replace(/^\+/, ''));
    const y = BigInt(String(b).replace(/^\+/, ''));
    return x === y ? 0 : x > y ? 1 : -1;
  }
  const x = Number(a);
  const y = Number(b);
  return x === y ? 0 : x > y ? 1 : -1;
}

/** Equality for assertions and wait values: numeric forms, then strict for scalars, then deep. */
export function looseEquals(a: unknown, b: unknown): boolean {
  if ((a === null || a === undefined) && (b === null || b === undefined)) return true;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return compareNumbers(na, nb) === 0;
  if (typeof a === 'boolean' || typeof b === 'boolean') return String(a) === String(b);
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => looseEquals(item, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => looseEquals(a[key], b[key]));
  }
  return a === b;
}

function compare(a: unknown, b: unknown): number | undefined {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) return compareNumbers(na, nb);
  // Strings that are not both numbers compare as text: ISO-8601 instants order correctly that way.
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isTruthy(value: unknown): boolean {
  return !(value === false || value === 'false' || value === 0 || value === '0' || value === null);
}
