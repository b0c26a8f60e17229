/**
 * The assert step type's static facets (see ../static-types.ts). Each assertion's operator value is checked
 * against what the operator does at run time (./execute.ts): `greaterThan` and `lessThan` order numbers and
 * ISO-8601 instants, `matches` needs a regular expression that compiles, and `equals`, `notEquals` and
 * `oneOf` values are checked against the static type of `actual` where it is known (a number never equals
 * "abc", a boolean never equals 1, a field with known values never equals another). Only what always fails,
 * or always passes, is reported. The result is the list of evaluated assertions.
 */
import { closest } from '../../runbook/did-you-mean.js';
import { joinPointer } from '../../runbook/pointer.js';
import { isTemplate } from '../../runbook/template.js';
import type { StaticProblem, ValueType } from '../../runbook/value-type.js';
import { isInstant } from '../aws/params-check.js';
import { isRecord } from '../aws/value-kinds.js';
import type { StaticContext, StepStatics } from '../static-types.js';
import { NUMERIC_TEXT } from './numeric.js';
import { ASSERT_OPERATORS } from './schema.js';

type Operator = (typeof ASSERT_OPERATORS)[number];

/** `{ assertions: [...] }`, as runAssert returns it; `actual` and `expected` are the rendered values. */
export const ASSERT_RESULT_TYPE: ValueType = {
  kind: 'structure',
  members: {
    assertions: {
      kind: 'list',
      member: {
        kind: 'structure',
        members: {
          actual: { kind: 'any' },
          operator: { kind: 'string', enum: ASSERT_OPERATORS },
          expected: { kind: 'any' },
          passed: { kind: 'boolean' },
          message: { kind: 'string' },
        },
        required: ['actual', 'operator', 'expected', 'passed'],
      },
    },
  },
  required: ['assertions'],
};

export const assertStatics: StepStatics = {
  check: (step, ctx) => {
    const that = step.fields.that;
    if (!Array.isArray(that)) return [];
    return that.flatMap((check, i) => (isRecord(check) ? checkAssertion(check, i, ctx) : []));
  },
  resultType: () => ASSERT_RESULT_TYPE,
};

/** The static type of a value written in the runbook: a template's known type, or a literal's kind. */
function typeOfValue(value: unknown, ctx: StaticContext): ValueType | undefined {
  if (isTemplate(value)) return ctx.typeOf(value);
  if (typeof value === 'string') return { kind: 'string' };
  if (typeof value === 'boolean') return { kind: 'boolean' };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'integer' } : { kind: 'number' };
  if (Array.isArray(value)) return { kind: 'list', member: { kind: 'any' } };
  if (isRecord(value)) return { kind: 'structure', members: {} };
  return undefined;
}

/** "a whole number", "a list", … for messages. */
function kindOf(type: ValueType): string {
  switch (type.kind) {
    case 'string':
      return type.enum ? 'a field with known values' : 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'timestamp':
      return 'a timestamp';
    case 'list':
      return 'a list';
    case 'structure':
    case 'map':
      return 'a mapping';
    case 'any':
      return 'any value';
  }
}

const isNumberType = (type: ValueType | undefined): boolean =>
  type?.kind === 'integer' || type?.kind === 'number';
const isStructured = (type: ValueType | undefined): boolean =>
  type?.kind === 'list' || type?.kind === 'structure' || type?.kind === 'map';

function checkAssertion(check: Record<string, unknown>, index: number, ctx: StaticContext): StaticProblem[] {
  const operators = ASSERT_OPERATORS.filter((op) => Object.hasOwn(check, op));
  // No operator, or more than one: the schema reports it.
  if (operators.length !== 1) return [];
  const operator = operators[0]!;
  const expected = check[operator];
  const base = joinPointer('/that', index);
  const at = joinPointer(base, operator);
  const actualText = typeof check.actual === 'string' ? check.actual : JSON.stringify(check.actual);
  const actualType = typeOfValue(check.actual, ctx);
  const problem = (pointer: string, message: string, hint?: string): StaticProblem => ({
    pointer,
    code: 'invalid-assert-literal',
    message,
    ...(hint ? { hint } : {}),
  });

  switch (operator) {
    case 'greaterThan':
    case 'lessThan': {
      const problems: StaticProblem[] = [];
      if (isTemplate(expected)) {
        const type = ctx.typeOf(expected);
        if (type && (type.kind === 'boolean' || isStructured(type)))
          problems.push(problem(at, `${operator} needs a number, but ${expected} is ${kindOf(type)}`));
      } else if (!orderable(expected)) {
        problems.push(
          problem(
            at,
            `${operator} needs a number (or an ISO-8601 instant), not ${JSON.stringify(expected)}`,
            typeof expected === 'string' && NUMERIC_TEXT.test(expected.replace(/[_,]/g, ''))
              ? `Write the number without separators: ${expected.replace(/[_,]/g, '')}.`
              : `Write a number, e.g. ${operator}: 0.`,
          ),
        );
      }
      if (
        isNumberType(actualType) &&
        typeof expected === 'string' &&
        !NUMERIC_TEXT.test(expected) &&
        isInstant(expected)
      ) {
        problems.push(
          problem(
            at,
            `${actualText} is ${kindOf(actualType!)}: it cannot be ordered against the instant ${JSON.stringify(expected)}`,
            `Compare with a number.`,
          ),
        );
      }
      if (actualType && (actualType.kind === 'boolean' || isStructured(actualType))) {
        problems.push(
          problem(
            joinPointer(base, 'actual'),
            `${operator} orders numbers and instants, but ${actualText} is ${kindOf(actualType)}`,
            actualType.kind === 'list' && isTemplate(check.actual)
              ? `Compare its length: ${check.actual.replace(/\s*\}\}\s*$/, '.length}}')}.`
              : undefined,
          ),
        );
      }
      return problems;
    }
    case 'matches': {
      if (typeof expected !== 'string' || isTemplate(expected)) return [];
      try {
        new RegExp(expected);
        return [];
      } catch (error) {
        return [
          problem(
            at,
            `matches needs a regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`,
            'Escape the characters that are meant literally with \\, e.g. \\( or \\[.',
          ),
        ];
      }
    }
    case 'equals':
    case 'notEquals':
      return neverEqual(actualType, actualText, expected, ctx, operator).map((message) =>
        problem(at, message.text, message.hint),
      );
    case 'oneOf':
      if (!Array.isArray(expected)) return [];
      return expected.flatMap((item, i) =>
        neverEqual(actualType, actualText, item, ctx, operator).map((message) =>
          problem(joinPointer(at, i), message.text, message.hint),
        ),
      );
    case 'contains':
      if (actualType?.kind === 'string' && (Array.isArray(expected) || isRecord(expected))) {
        return [
          problem(
            at,
            `${actualText} is a string: contains looks for a substring, not ${Array.isArray(expected) ? 'a list' : 'a mapping'}`,
            'Give contains a string, or assert on a list value.',
          ),
        ];
      }
      return [];
    case 'exists':
      return [];
  }
}

/** A literal `greaterThan`/`lessThan` orders at run time: a number, a numeric string or an instant. */
function orderable(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  return typeof value === 'string' && (NUMERIC_TEXT.test(value) || isInstant(value));
}

/**
 * Why `expected` can never equal a value of `actualType` under the assertions' loose equality (numbers and
 * numeric strings alike, booleans and "true"/"false" alike), if it cannot. null is always possible.
 */
function neverEqual(
  actualType: ValueType | undefined,
  actualText: string,
  expected: unknown,
  ctx: StaticContext,
  operator: Operator,
): Array<{ text: string; hint?: string }> {
  if (!actualType || expected === null || expected === undefined) return [];
  const outcome =
    operator === 'notEquals' ? 'so the assertion always passes' : 'so the assertion always fails';
  const shown = JSON.stringify(expected);
  if (isTemplate(expected)) {
    const type = ctx.typeOf(expected);
    if (!type) return [];
    const clash =
      (isNumberType(actualType) && (type.kind === 'boolean' || isStructured(type))) ||
      (actualType.kind === 'boolean' && (isNumberType(type) || isStructured(type)));
    if (!clash) return [];
    return [
      {
        text: `${actualText} is ${kindOf(actualType)} and ${expected} is ${kindOf(type)}: they are never equal, ${outcome}`,
      },
    ];
  }
  const never = (hint?: string) => [
    {
      text: `${actualText} is ${kindOf(actualType)}: it never equals ${shown}, ${outcome}`,
      ...(hint ? { hint } : {}),
    },
  ];
  if (isNumberType(actualType)) {
    if (typeof expected === 'number') return [];
    if (typeof expected === 'string' && NUMERIC_TEXT.test(expected)) return [];
    return never(
      typeof expected === 'boolean' ? 'Compare with a number, e.g. 1 or 0.' : 'Compare with a number.',
    );
  }
  if (actualType.kind === 'boolean') {
    if (typeof expected === 'boolean' || expected === 'true' || expected === 'false') return [];
    return never('Compare with true or false.');
  }
  if (actualType.kind === 'string' && actualType.enum) {
    if (typeof expected === 'object' || actualType.enum.includes(String(expected))) return [];
    const suggestion = closest(String(expected), actualType.enum);
    return never(
      suggestion
        ? `did you mean "${suggestion}"?`
        : `Values: ${actualType.enum.slice(0, 12).join(', ')}${actualType.enum.length > 12 ? ', …' : ''}.`,
    );
  }
  return [];
}
