/**
 * The typed checks: each step type's own static checks (its params model, option list, SQL), and every
 * `result.…`, `steps.<id>.result.…` and `captures.<name>.…` path checked against the type of the value it
 * reads. Types flow in run order: a typed input, a step's result type, a capture's type (from the template
 * it captures), so a later step's templates know what they hold.
 */
import { capturedNamesOf, stepStatics } from '../steps/statics.js';
import type { StaticContext } from '../steps/static-types.js';
import { closest } from './did-you-mean.js';
import { error, warning } from './diagnostic.js';
import type { RawStep } from './expand.js';
import { isMapping } from './expand.js';
import { joinPointer, splitPointer } from './pointer.js';
import type { SourceMap } from './source-map.js';
import { valueRange } from './string-offsets.js';
import {
  isTemplate,
  templateReferences,
  templateTree,
  wholeExpression,
  type TemplateTree,
  type WholeExpression,
} from './template.js';
import { toEpochMicros } from './instant.js';
import type { CompiledStep, Diagnostic, InputSpec, SourceSpan } from './types.js';
import type { StaticProblem, ValueType } from './value-type.js';

const ANY: ValueType = { kind: 'any' };
const STRING: ValueType = { kind: 'string' };
/** steps.<id>.status */
const STEP_STATUS: ValueType = { kind: 'string', enum: ['passed', 'failed', 'skipped'] };

export interface TypedSubject {
  inputs: InputSpec[];
  /** Steps then finally steps, in run order, each with the raw step it was compiled from. */
  steps: Array<{ step: CompiledStep; raw: RawStep }>;
  /** Earlier stages found errors, so a step may not have the shape its schema asks for. */
  malformed?: boolean;
}

/** A capture and the step that makes it; its type is worked out when first asked. */
interface CaptureSite {
  name: string;
  stepIndex: number;
  type: () => ValueType;
}

/** The outcome of following a path into a type. */
type Walk = { ok: true; type: ValueType } | { ok: false; index: number; message: string; hint?: string };

const KIND_NAMES: Record<ValueType['kind'], string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  timestamp: 'a timestamp',
  list: 'a list',
  structure: 'a structure',
  map: 'a map',
  any: 'anything',
};

/** A member name for a misspelt one: the same name in another case first, then the closest, then a suffix. */
export function suggestMember(name: string, members: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = members.find((member) => member.toLowerCase() === lower);
  if (sameCase) return sameCase;
  const near = closest(name, members);
  if (near) return near;
  if (name.length < 4) return undefined;
  const endings = members.filter((member) => member.toLowerCase().endsWith(lower));
  return endings.sort((a, b) => a.length - b.length)[0];
}

/**
 * Follows `segments` into `type`. Lists take a number (or `length`), structures their members, maps any key;
 * `any` ends the check. `shown` is the text before the path, for messages (e.g. "result").
 */
export function walkType(type: ValueType, segments: readonly string[], shown: string): Walk {
  let current = type;
  let where = shown;
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index]!;
    switch (current.kind) {
      case 'any':
        return { ok: true, type: ANY };
      case 'list':
        if (/^\d+$/.test(segment)) current = current.member;
        else if (segment === 'length') current = { kind: 'integer' };
        else
          return {
            ok: false,
            index,
            message: `${where} is a list: index it by number`,
            hint: `e.g. "${where}.0.${segment}"`,
          };
        break;
      case 'map':
        current = current.value;
        break;
      case 'structure': {
        const member = Object.prototype.hasOwnProperty.call(current.members, segment)
          ? current.members[segment]
          : undefined;
        if (!member) {
          const names = Object.keys(current.members);
          const suggestion = suggestMember(segment, names);
          return {
            ok: false,
            index,
            message: `${where} has no member "${segment}"`,
            hint:
              suggestion !== undefined
                ? `did you mean "${suggestion}"?`
                : names.length > 0 && names.length <= 12
                  ? `members: ${names.join(', ')}`
                  : undefined,
          };
        }
        current = member;
        break;
      }
      case 'string':
        if (segment === 'length') {
          current = { kind: 'integer' };
          break;
        }
        return { ok: false, index, message: `${where} is ${KIND_NAMES[current.kind]}, it has no members` };
      default:
        return { ok: false, index, message: `${where} is ${KIND_NAMES[current.kind]}, it has no members` };
    }
    where = `${where}.${segment}`;
  }
  return { ok: true, type: current };
}

function inputType(input: InputSpec): ValueType {
  return { kind: input.type };
}

function literalType(value: unknown): ValueType {
  if (typeof value === 'string') return STRING;
  if (typeof value === 'boolean') return { kind: 'boolean' };
  if (typeof value === 'number') return Number.isInteger(value) ? { kind: 'integer' } : { kind: 'number' };
  return ANY;
}

/** The type of a string value sitting at `pointer` in a step mapping, when it is a string. */
function valueAt(value: unknown, pointer: string): unknown {
  let current = value;
  for (const part of splitPointer(pointer)) {
    if (Array.isArray(current)) current = current[Number(part)];
    else if (isMapping(current) && Object.prototype.hasOwnProperty.call(current, part))
      current = current[part];
    else return undefined;
  }
  return current;
}

/** Every string under a value, with its pointer. */
function* strings(value: unknown, pointer: string): Generator<[string, string]> {
  if (typeof value === 'string') yield [value, pointer];
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* strings(value[i], joinPointer(pointer, i));
  } else if (isMapping(value)) {
    for (const [key, item] of Object.entries(value)) yield* strings(item, joinPointer(pointer, key));
  }
}

/** The span of characters [offset, offset+length) of the string value at `pointer` in a file. */
export function stringSpan(
  map: SourceMap,
  pointer: string,
  text: string,
  offset: number,
  length: number,
): SourceSpan {
  const span = map.valueSpan(pointer);
  const inserted = map.inserted(span.offset, offset);
  if (inserted) {
    const origin = inserted.origin;
    const source = origin.map.text.slice(origin.span.offset, origin.span.endOffset);
    const written = origin.map.original(origin.span.offset, origin.text, inserted.offset, length);
    const range = valueRange(source, written.text, written.offset, Math.max(1, written.length));
    return origin.map.span(origin.span.offset + range.start, origin.span.offset + range.end);
  }
  const source = map.text.slice(span.offset, span.endOffset);
  const written = map.original(span.offset, text, offset, length);
  const range = valueRange(source, written.text, written.offset, Math.max(1, written.length));
  return map.span(span.offset + range.start, span.offset + range.end);
}

/** The span of a static problem: the key, the value, or characters inside a string value. */
export function problemSpan(raw: RawStep, problem: StaticProblem): SourceSpan {
  const pointer = raw.pointer + (problem.pointer === '/' ? '' : problem.pointer);
  if (problem.at === 'key') return raw.map.keySpan(pointer);
  // A value that is an include's `with:` template as a whole: the problem is with what the include gives.
  const whole = raw.map.insertedWhole(raw.map.valueSpan(pointer).offset);
  if (whole && problem.offset === undefined) return whole.span;
  if (problem.offset !== undefined) {
    const text = valueAt(raw.value, problem.pointer);
    if (typeof text === 'string' && raw.map.get(pointer))
      return stringSpan(raw.map, pointer, text, problem.offset, problem.length ?? 1);
  }
  return raw.map.valueSpan(pointer);
}

export function checkTyped(subject: TypedSubject): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { steps } = subject;
  const inputs = new Map(subject.inputs.map((input) => [input.name, input]));
  const idIndex = new Map<string, number>();
  steps.forEach(({ step }, index) => {
    if (step.id && !idIndex.has(step.id)) idIndex.set(step.id, index);
  });
  const firstFinally = steps.findIndex(({ step }) => step.cleanup);
  const finallyStart = firstFinally < 0 ? steps.length : firstFinally;

  const contexts: StaticContext[] = [];
  const results: Array<ValueType | 'pending' | undefined> = [];
  const resultTypeOf = (index: number): ValueType => {
    const known = results[index];
    if (known === 'pending') return ANY; // a type that depends on itself is not known
    if (known) return known;
    results[index] = 'pending';
    const { step } = steps[index]!;
    const type = stepStatics[step.type]?.resultType?.(step, contextOf(index)) ?? ANY;
    results[index] = type;
    return type;
  };

  const captures: CaptureSite[] = [];
  steps.forEach(({ step }, index) => {
    for (const [name, template] of Object.entries(step.capture ?? {})) {
      let type: ValueType | undefined;
      captures.push({
        name,
        stepIndex: index,
        type: () => (type ??= typeOfAt(template, index, resultTypeOf(index))),
      });
    }
    for (const { value: name, member } of capturedNamesOf(step)) {
      let type: ValueType | undefined;
      captures.push({
        name: String(name),
        stepIndex: index,
        type: () => {
          if (type) return type;
          const result = resultTypeOf(index);
          type = result.kind === 'structure' ? (result.members[member] ?? ANY) : ANY;
          return type;
        },
      });
    }
  });

  /** The capture `name` as step `index` sees it: the last one made before it (any one, in finally). */
  const captureAt = (name: string, index: number): CaptureSite | undefined => {
    const visible = captures.filter((c) => c.name === name && (c.stepIndex < index || index >= finallyStart));
    return visible.at(-1);
  };

  const typeOfExpression = (
    expression: WholeExpression,
    index: number,
    result: ValueType | undefined,
  ): ValueType => {
    switch (expression.kind) {
      case 'literal':
        return literalType(expression.value);
      case 'helper':
        switch (expression.name) {
          case 'iso':
          case 'isoSecond':
          case 'addSeconds':
          case 'now':
            return { kind: 'timestamp' };
          case 'json':
            return STRING;
          case 'eq':
          case 'not':
          case 'and':
          case 'or':
          case 'gt':
          case 'gte':
          case 'lt':
          case 'lte':
            return { kind: 'boolean' };
          case 'default': {
            const first = expression.args[0];
            const type = first ? typeOfExpression(first, index, result) : ANY;
            const fallback = expression.args[1];
            return type.kind === 'any' && fallback ? typeOfExpression(fallback, index, result) : type;
          }
          default:
            return ANY;
        }
      case 'path': {
        const [root, name, ...rest] = expression.path;
        if (name === undefined) return ANY;
        let base: ValueType | undefined;
        let tail = rest;
        if (root === 'inputs') {
          const input = inputs.get(name);
          base = input ? inputType(input) : undefined;
        } else if (root === 'env') {
          base = STRING;
        } else if (root === 'captures') {
          base = captureAt(name, index)?.type();
        } else if (root === 'steps') {
          const target = idIndex.get(name);
          if (target !== undefined && rest[0] === 'status' && rest.length === 1) return STEP_STATUS;
          if (target === undefined || target >= index || rest[0] !== 'result') return ANY;
          base = resultTypeOf(target);
          tail = rest.slice(1);
        } else if (root === 'result') {
          base = result;
          tail = [name, ...rest];
        }
        if (!base) return ANY;
        const walk = walkType(base, tail, root!);
        return walk.ok ? walk.type : ANY;
      }
    }
  };

  /** The type of a template's value as seen from step `index`, with `result` of the given type. */
  const typeOfAt = (template: string, index: number, result: ValueType | undefined): ValueType => {
    if (!isTemplate(template)) return STRING;
    const expression = wholeExpression(template);
    if (!expression) return STRING;
    return typeOfExpression(expression, index, result);
  };

  const contextOf = (index: number): StaticContext => {
    let ctx = contexts[index];
    if (!ctx) {
      ctx = {
        typeOf: (template: string) => {
          const type = typeOfAt(template, index, resultTypeOf(index));
          return type.kind === 'any' ? undefined : type;
        },
      };
      contexts[index] = ctx;
    }
    return ctx;
  };

  steps.forEach(({ step, raw }, index) => {
    // The step type's own checks.
    const statics = stepStatics[step.type];
    let problems: StaticProblem[] = [];
    try {
      problems = statics?.check?.(step, contextOf(index)) ?? [];
    } catch (cause) {
      // A step the schema refused may be malformed in ways a type's checks do not expect.
      if (!subject.malformed) throw cause;
    }
    for (const problem of problems) {
      const span = problemSpan(raw, problem);
      const make = problem.severity === 'warning' ? warning : error;
      let hint = problem.hint;
      if (span.file !== raw.map.file) {
        // Reported at an include's `with:`: say where the group uses the value.
        const used = raw.map.valueSpan(raw.pointer + problem.pointer);
        hint = `${hint ? `${hint} ` : ''}(the group uses it at ${used.file}:${used.start.line}:${used.start.col})`;
      }
      out.push(make(problem.code, problem.message, span.file, span, hint));
    }

    // Paths into results and captures.
    const base = raw.pointer;
    for (const [text, pointer] of strings(raw.value, base)) {
      if (!isTemplate(text)) continue;
      const relative = pointer.slice(base.length);
      if (relative === '/id' || relative === '/type') continue;
      let references;
      try {
        references = templateReferences(text);
      } catch {
        continue; // a syntax error, reported by the reference checks
      }
      for (const problem of comparisonProblems(text, (expression) =>
        typeOfExpression(
          expression,
          index,
          resultScopeType(step, relative, contextOf(index), () => resultTypeOf(index)),
        ),
      )) {
        const span = stringSpan(raw.map, pointer, text, problem.offset, problem.length);
        out.push(error('invalid-comparison', problem.message, span.file, span, problem.hint));
      }
      for (const ref of references) {
        const [root, name, third] = ref.path;
        if (name === undefined) continue;
        let type: ValueType | undefined;
        let from = 1;
        if (root === 'result') {
          type = resultScopeType(step, relative, contextOf(index), () => resultTypeOf(index));
        } else if (root === 'steps' && third === 'result') {
          const target = idIndex.get(name);
          if (target !== undefined && target < index) type = resultTypeOf(target);
          from = 3;
        } else if (root === 'captures' && ref.path.length > 2) {
          type = captureAt(name, index)?.type();
          from = 2;
        }
        if (!type) continue;
        const walk = walkType(type, ref.path.slice(from), ref.path.slice(0, from).join('.'));
        if (walk.ok) continue;
        const failing = from + walk.index;
        const segment = segmentRange(text, ref.pathOffset, ref.path, failing);
        const span = stringSpan(raw.map, pointer, text, segment.offset, segment.length);
        out.push(
          error(
            'unknown-result-path',
            `unknown path "${ref.path.join('.')}": ${walk.message}`,
            span.file,
            span,
            walk.hint,
          ),
        );
      }
    }
  });
  return out;
}

/** The type of `result` at a pointer of the step: its result in `capture`, or what the type says. */
function resultScopeType(
  step: CompiledStep,
  relative: string,
  ctx: StaticContext,
  stepResult: () => ValueType,
): ValueType | undefined {
  if (relative.startsWith('/capture/')) return stepResult();
  const scope = stepStatics[step.type]?.resultScopes?.(step).find((s) => s.pointer === relative);
  return scope ? scope.type(step, ctx) : undefined;
}

/** Where path segment `index` of a reference stands in the template text. */
function segmentRange(
  text: string,
  pathOffset: number,
  path: readonly string[],
  index: number,
): { offset: number; length: number } {
  let cursor = pathOffset;
  for (let k = 0; k <= index; k++) {
    const segment = path[k]!;
    const at = text.indexOf(segment, cursor);
    if (at < 0) return { offset: pathOffset, length: path.join('.').length };
    if (k === index) return { offset: at, length: segment.length };
    cursor = at + segment.length;
  }
  return { offset: pathOffset, length: 1 };
}

const COMPARISONS = new Set(['gt', 'gte', 'lt', 'lte']);

/** What a comparison helper's argument is, as far as its type says. */
function orderKind(type: ValueType, literal: unknown): 'number' | 'instant' | 'other' | undefined {
  if (literal !== undefined) {
    if (typeof literal === 'number') return 'number';
    if (typeof literal === 'string') {
      if (literal.trim() !== '' && Number.isFinite(Number(literal))) return 'number';
      try {
        toEpochMicros(literal);
        return 'instant';
      } catch {
        return 'other';
      }
    }
    return 'other';
  }
  switch (type.kind) {
    case 'integer':
    case 'number':
      return 'number';
    case 'timestamp':
      return 'instant';
    case 'boolean':
    case 'list':
    case 'structure':
    case 'map':
      return 'other';
    default:
      return undefined; // a string may hold either; known at run time
  }
}

function expressionOf(tree: TemplateTree): WholeExpression | undefined {
  if (tree.kind === 'path') return { kind: 'path', path: tree.path };
  if (tree.kind === 'literal') return { kind: 'literal', value: tree.value };
  if (tree.kind === 'call') {
    const args = tree.args.map(expressionOf);
    return args.every((a) => a !== undefined)
      ? { kind: 'helper', name: tree.helper, args: args as WholeExpression[] }
      : undefined;
  }
  return undefined;
}

const KIND_WORDS = { number: 'a number', instant: 'an instant', other: 'neither a number nor an instant' };

/**
 * gt/gte/lt/lte whose arguments' types are known and do not order: a number against an instant, or a
 * boolean, list or structure. Reported at the helper's `{{`.
 */
function comparisonProblems(
  text: string,
  typeOf: (expression: WholeExpression) => ValueType,
): Array<{ offset: number; length: number; message: string; hint?: string }> {
  let tree: TemplateTree;
  try {
    tree = templateTree(text);
  } catch {
    return [];
  }
  const problems: Array<{ offset: number; length: number; message: string; hint?: string }> = [];
  let searchFrom = 0;
  const visit = (node: TemplateTree): void => {
    if (node.kind === 'concat') node.parts.forEach(visit);
    else if (node.kind === 'block') {
      visit(node.condition);
      node.then.forEach(visit);
      node.else.forEach(visit);
    } else if (node.kind === 'call') {
      // Pre-order is text order: each comparison's name is found after the previous one's.
      if (COMPARISONS.has(node.helper)) check(node);
      node.args.forEach(visit);
    }
  };
  const check = (node: Extract<TemplateTree, { kind: 'call' }>): void => {
    const name = new RegExp(`(?<=[{(\\s~])${node.helper}(?=\\s)`, 'g');
    name.lastIndex = searchFrom;
    const found = name.exec(text);
    const offset = found ? found.index : 0;
    if (found) searchFrom = found.index + node.helper.length;
    if (node.args.length !== 2) return;
    const kinds = node.args.map((arg) => {
      const expression = expressionOf(arg);
      if (!expression) return undefined;
      return orderKind(typeOf(expression), arg.kind === 'literal' ? arg.value : undefined);
    });
    const [a, b] = kinds;
    const bad = kinds.some((k) => k === 'other');
    if (!bad && (a === undefined || b === undefined || a === b)) return;
    problems.push({
      offset,
      length: node.helper.length,
      message: bad
        ? `${node.helper} compares numbers or instants, but an argument is ${KIND_WORDS.other}`
        : `${node.helper} cannot compare ${KIND_WORDS[a!]} with ${KIND_WORDS[b!]}`,
      hint: 'both sides must be numbers, or both ISO-8601 instants',
    });
  };
  visit(tree);
  return problems;
}
