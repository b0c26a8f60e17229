/**
 * Static checks of an aws body (an `aws` step, or a wait's `probe` of type aws) against the operation's
 * input model: unknown members (with a did-you-mean), missing required members, literals of the wrong type
 * or outside the known values, and templates whose static type is known. Values whose type is not known
 * before the run are checked again after rendering (see ./coerce.ts).
 */
import { closest } from '../../runbook/did-you-mean.js';
import { joinPointer } from '../../runbook/pointer.js';
import { isTemplate } from '../../runbook/template.js';
import type { StaticProblem, ValueType } from '../../runbook/value-type.js';
import type { StaticContext } from '../static-types.js';
import { RDS_MEMBER_VALUES, type KnownValues } from './curated.js';
import { operationModel, type AwsService, type OperationModel } from './model.js';
import { CLOUDFORMATION_OPERATIONS, RDS_OPERATIONS } from './operations.generated.js';
import { describeType, isRecord, matchMember } from './value-kinds.js';

const OPERATIONS: Readonly<Record<AwsService, ReadonlySet<string>>> = {
  rds: new Set(RDS_OPERATIONS),
  cloudformation: new Set(CLOUDFORMATION_OPERATIONS),
};

export interface AwsBody {
  service: AwsService;
  operation: string;
}

/** The service and operation of the aws body at `base` ('' or '/probe'), when well-formed and known. */
export function awsBody(fields: Record<string, unknown>): AwsBody | undefined {
  const service = fields.service ?? 'rds';
  const operation = fields.operation;
  if ((service !== 'rds' && service !== 'cloudformation') || typeof operation !== 'string') return undefined;
  // An operation the SDK does not have is reported by the reference checks (unknown-aws-operation).
  if (!OPERATIONS[service].has(operation)) return undefined;
  return { service, operation };
}

/**
 * Problems in the aws body `fields`, found at `base` inside the step mapping. `modelOf` looks up the
 * operation's model (the generated models; a test passes a table that lacks one).
 */
export function checkAwsBody(
  fields: Record<string, unknown>,
  base: string,
  ctx: StaticContext,
  modelOf: (service: AwsService, operation: string) => OperationModel | undefined = operationModel,
): StaticProblem[] {
  const body = awsBody(fields);
  if (!body) return [];
  const model = modelOf(body.service, body.operation);
  if (!model) {
    return [
      {
        pointer: joinPointer(base, 'operation'),
        code: 'missing-aws-model',
        message: `labrun has no model of ${body.service} ${body.operation}: its params cannot be checked`,
        hint: 'Regenerate the models after upgrading the SDK clients: npx tsx scripts/gen-aws-models.ts.',
      },
    ];
  }
  const params = fields.params;
  const checker = new ParamsChecker(body, ctx);
  if (params === undefined) {
    // No params at all: the operation is what asks for the members, so point at it.
    checker.missing(model.input, joinPointer(base, 'operation'), 'value', body.operation, {});
  } else if (isRecord(params)) {
    checker.value(params, model.input, joinPointer(base, 'params'), body.operation, '');
  }
  return checker.problems;
}

class ParamsChecker {
  readonly problems: StaticProblem[] = [];

  constructor(
    private readonly body: AwsBody,
    private readonly ctx: StaticContext,
  ) {}

  /** `where` names the value in messages ("Tags[0]"); `name` is the member name ('' for params itself). */
  value(value: unknown, type: ValueType, pointer: string, where: string, name: string): void {
    if (value === null || value === undefined || type.kind === 'any') return;
    if (isTemplate(value)) {
      this.template(value, type, pointer, where);
      return;
    }
    switch (type.kind) {
      case 'structure':
        if (!isRecord(value)) return this.wrongType(value, type, pointer, where);
        for (const [key, member] of Object.entries(value)) {
          const memberPointer = joinPointer(pointer, key);
          const memberType = type.members[key];
          if (memberType) {
            this.value(member, memberType, memberPointer, name === '' ? key : `${where}.${key}`, key);
            continue;
          }
          const suggestion =
            matchMember(key, Object.keys(type.members)) ?? closest(key, Object.keys(type.members));
          this.problems.push({
            pointer: memberPointer,
            at: 'key',
            code: 'unknown-aws-member',
            message:
              name === ''
                ? `${this.body.operation} has no parameter ${key}`
                : `${where} has no member ${key}`,
            hint: suggestion
              ? `did you mean "${suggestion}"?`
              : `Members: ${Object.keys(type.members).slice(0, 12).join(', ')}${Object.keys(type.members).length > 12 ? ', …' : ''}.`,
          });
        }
        this.missing(
          type,
          pointer,
          name === '' ? 'key' : 'value',
          name === '' ? this.body.operation : where,
          value,
          name === '' ? 'params' : where,
        );
        return;
      case 'list':
        if (!Array.isArray(value)) return this.wrongType(value, type, pointer, where);
        value.forEach((item, i) =>
          this.value(item, type.member, joinPointer(pointer, i), `${where}[${i}]`, name),
        );
        return;
      case 'map':
        if (!isRecord(value)) return this.wrongType(value, type, pointer, where);
        for (const [key, item] of Object.entries(value)) {
          this.value(item, type.value, joinPointer(pointer, key), `${where}.${key}`, key);
        }
        return;
      case 'boolean':
        if (typeof value === 'boolean' || value === 'true' || value === 'false') return;
        return this.wrongType(value, type, pointer, where);
      case 'integer':
      case 'number':
        if (typeof value === 'number' || (typeof value === 'string' && NUMERIC.test(value.trim()))) {
          if (type.kind === 'integer' && !Number.isInteger(Number(value))) break;
          return;
        }
        break;
      case 'timestamp':
        if (typeof value === 'number' || (typeof value === 'string' && isInstant(value))) return;
        break;
      case 'string':
        if (typeof value === 'object') break;
        this.knownValues(String(value), type, pointer, where, name);
        return;
    }
    this.wrongType(value, type, pointer, where);
  }

  /**
   * Required members of `type` absent from `value`, reported together at `pointer`, and those given an empty
   * value (null, which is not sent: the run refuses it too), each at its key. `into` names what the members
   * go in ("params", "Tags[0]"), absent when there is no params yet.
   */
  missing(
    type: ValueType & { kind: 'structure' },
    pointer: string,
    at: 'key' | 'value',
    where: string,
    value: Record<string, unknown>,
    into?: string,
  ): void {
    const required = type.required ?? [];
    for (const member of required.filter((m) => Object.hasOwn(value, m) && value[m] === null)) {
      this.problems.push({
        pointer: joinPointer(pointer, member),
        at: 'key',
        code: 'missing-aws-member',
        message: `${where} requires ${member}, which has no value`,
        hint: `Give ${member} a value.`,
      });
    }
    const absent = required.filter((member) => value[member] === undefined);
    if (absent.length === 0) return;
    const names = absent.join(', ');
    this.problems.push({
      pointer,
      at,
      code: 'missing-aws-member',
      message: `${where} requires ${names}`,
      hint: into === undefined ? `Add params with ${names}.` : `Add ${names} to ${into}.`,
    });
  }

  private template(text: string, type: ValueType, pointer: string, where: string): void {
    const actual = this.ctx.typeOf(text);
    if (!actual || compatible(actual, type)) return;
    this.problems.push({
      pointer,
      code: 'invalid-aws-value',
      message: `${where} must be ${describeType(type)}, but ${text} is ${describeType(actual)}`,
      hint: `Give ${where} a value of the type the operation expects.`,
    });
  }

  private knownValues(
    value: string,
    type: ValueType & { kind: 'string' },
    pointer: string,
    where: string,
    name: string,
  ): void {
    const curated: KnownValues | undefined =
      this.body.service === 'rds' && Object.hasOwn(RDS_MEMBER_VALUES, name)
        ? RDS_MEMBER_VALUES[name]
        : undefined;
    const retired =
      curated?.retired && Object.hasOwn(curated.retired, value) ? curated.retired[value] : undefined;
    if (retired) {
      this.problems.push({
        pointer,
        code: 'retired-value',
        severity: 'warning',
        message: `${where} ${JSON.stringify(value)} is ${retired.why}; AWS refuses it today`,
        hint: `Use ${retired.replacement} (see ${curated!.source}).`,
      });
      return;
    }
    const values = type.enum ?? curated?.values;
    if (!values || values.includes(value)) return;
    const suggestion = matchMember(value, values) ?? closest(value, values);
    this.problems.push({
      pointer,
      code: 'invalid-aws-value',
      message: `${where} must be one of ${list(values)}, got ${JSON.stringify(value)}`,
      hint: suggestion ? `did you mean "${suggestion}"?` : curated ? `See ${curated.source}.` : undefined,
    });
  }

  private wrongType(value: unknown, type: ValueType, pointer: string, where: string): void {
    this.problems.push({
      pointer,
      code: 'invalid-aws-value',
      message: `${where} must be ${describeType(type)}, got ${JSON.stringify(value)}`,
      hint: HINTS[type.kind],
    });
  }
}

const NUMERIC = /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

/** An ISO-8601 date or date-time the SDK can send. */
export function isInstant(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[-+]\d{2}:?\d{2})?)?$/.test(text.trim())
    ? !Number.isNaN(Date.parse(text))
    : false;
}

const HINTS: Partial<Record<ValueType['kind'], string>> = {
  boolean: 'Write true or false, without quotes.',
  number: 'Write a number, e.g. 86400.',
  integer: 'Write a whole number, e.g. 86400.',
  timestamp: 'Write an ISO-8601 instant such as 2024-05-01T12:00:00Z.',
  list: 'Write a YAML list, e.g. [a, b].',
  structure: 'Write a mapping of member names to values.',
  map: 'Write a mapping.',
};

/**
 * Whether a template of static type `actual` may be given where `expected` is wanted. Strings are allowed
 * anywhere a scalar is: whether "86400" is a number is known only after rendering.
 */
function compatible(actual: ValueType, expected: ValueType): boolean {
  if (actual.kind === 'any' || expected.kind === 'any') return true;
  switch (expected.kind) {
    case 'string':
      if (actual.kind === 'string' && actual.enum && expected.enum)
        return actual.enum.every((v) => expected.enum!.includes(v));
      return actual.kind !== 'list' && actual.kind !== 'structure' && actual.kind !== 'map';
    case 'integer':
    case 'number':
      return (
        actual.kind === 'string' ||
        actual.kind === 'integer' ||
        (actual.kind === 'number' && expected.kind === 'number')
      );
    case 'boolean':
      return actual.kind === 'string' || actual.kind === 'boolean';
    case 'timestamp':
      return (
        actual.kind === 'string' ||
        actual.kind === 'timestamp' ||
        actual.kind === 'integer' ||
        actual.kind === 'number'
      );
    case 'list':
      return actual.kind === 'list' && compatible(actual.member, expected.member);
    case 'structure':
    case 'map':
      return actual.kind === 'structure' || actual.kind === 'map';
  }
}

function list(values: readonly string[]): string {
  return values.length <= 8
    ? values.join(', ')
    : `${values.slice(0, 8).join(', ')}, … (${values.length} values)`;
}
