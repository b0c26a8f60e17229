/**
 * Runbook templates: handlebars syntax, evaluated by a small strict interpreter over the handlebars AST.
 *
 * Handlebars' own runtime is lenient in the places that matter here (a missing helper argument renders
 * as an empty string even in strict mode) and always returns a string, so the parser comes from an
 * isolated handlebars environment and evaluation happens here: every reference must exist, lookups see
 * only own properties (never `__proto__`, `constructor` or anything inherited), and a string that is
 * exactly one `{{expression}}` yields the raw value.
 */
// Only handlebars' parser is needed: loading it alone keeps cold `labrun validate` ~18 ms faster than the
// whole package (runtime, compiler and code generator).
import { parse as parseHandlebars } from 'handlebars/dist/cjs/handlebars/compiler/base.js';
import { didYouMean } from './did-you-mean.js';
import { formatMicros, formatSeconds, toEpochMicros } from './instant.js';

/** Why a template could not be parsed or rendered. `offset` is the index of the `{{` in the template. */
export type TemplateErrorCode = 'template-syntax' | 'unknown-reference' | 'template-helper';

export class TemplateError extends Error {
  readonly code: TemplateErrorCode;
  /** 0-based index of the `{{` that opens the failing expression. */
  readonly offset: number;
  /** The dotted reference that could not be resolved, e.g. `captures.cloneEndpoint`. */
  readonly reference?: string;
  /** One sentence telling how to fix it. */
  readonly hint?: string;
  /** JSON pointer of the failing string inside the value given to `renderDeep` ('' for the value itself). */
  pointer?: string;

  constructor(
    message: string,
    options: { code: TemplateErrorCode; offset: number; reference?: string; hint?: string; pointer?: string },
  ) {
    super(message);
    this.name = 'TemplateError';
    this.code = options.code;
    this.offset = options.offset;
    this.reference = options.reference;
    this.hint = options.hint;
    this.pointer = options.pointer;
  }
}

export interface RenderOptions {
  /** Clock for the `now` helper; defaults to the system clock. */
  now?: () => Date;
}

export interface TemplateReference {
  /** Path segments, e.g. ['captures', 'cloneChecksum'] or ['steps', 'x', 'result', 'rows', '0', 'n']. */
  path: string[];
  /** 0-based index of the `{{` of the expression holding the reference. */
  offset: number;
  /** 0-based index of the reference itself. */
  pathOffset: number;
  /** True inside the first argument of `default`, where a missing value is allowed at run time. */
  optional: boolean;
}

// ---------------------------------------------------------------------------------------------------
// The subset of the handlebars AST this module reads.

interface Position {
  line: number;
  column: number;
}
interface Node {
  type: string;
  loc?: { start: Position; end: Position };
}
interface PathNode extends Node {
  type: 'PathExpression';
  data: boolean;
  depth: number;
  parts: string[];
  original: string;
}
interface LiteralNode extends Node {
  type: 'StringLiteral' | 'NumberLiteral' | 'BooleanLiteral' | 'UndefinedLiteral' | 'NullLiteral';
  value?: unknown;
}
interface CallNode extends Node {
  path: PathNode | LiteralNode;
  params: ExprNode[];
  hash?: { pairs: Array<{ key: string }> };
}
interface SubExprNode extends CallNode {
  type: 'SubExpression';
}
type ExprNode = PathNode | LiteralNode | SubExprNode;
interface ProgramNode extends Node {
  body: StatementNode[];
}
interface StatementNode extends Node {
  value?: string;
  path?: PathNode | LiteralNode;
  params?: ExprNode[];
  hash?: { pairs: Array<{ key: string }> };
  program?: ProgramNode;
  inverse?: ProgramNode;
}

interface ParsedTemplate {
  program: ProgramNode;
  /** Line starts of the text handed to the parser (see bracketIndexSegments). */
  lineStarts: number[];
  /** Offsets in the parsed text where a character was inserted, ascending. */
  insertions: number[];
  /** Set when the whole template is one `{{expression}}`. */
  whole: StatementNode | undefined;
}

// ---------------------------------------------------------------------------------------------------
// Helpers

type Helper = (args: unknown[], options: RenderOptions) => unknown;

/** `arity` is exact; `minArity` makes the helper take that many arguments or more. */
const HELPERS: Record<string, { arity: number; minArity?: boolean; fn: Helper }> = {
  addSeconds: {
    arity: 2,
    fn: ([instant, seconds]) => {
      const n = toNumber(seconds);
      if (n === undefined)
        throw new Error(`addSeconds needs a number of seconds, got ${JSON.stringify(seconds)}`);
      return formatMicros(toEpochMicros(instant) + Math.round(n * 1_000_000));
    },
  },
  isoSecond: { arity: 1, fn: ([instant]) => formatSeconds(toEpochMicros(instant)) },
  iso: { arity: 1, fn: ([instant]) => formatMicros(toEpochMicros(instant)) },
  now: { arity: 0, fn: (_args, options) => (options.now ? options.now() : new Date()).toISOString() },
  json: { arity: 1, fn: ([value]) => JSON.stringify(value) ?? 'null' },
  default: {
    arity: 2,
    fn: ([value, fallback]) => (value === undefined || value === null || value === '' ? fallback : value),
  },
  eq: { arity: 2, fn: ([a, b]) => looselyEqual(a, b) },
  not: { arity: 1, fn: ([value]) => !isTruthy(value) },
  and: { arity: 2, minArity: true, fn: (args) => args.every(isTruthy) },
  or: { arity: 2, minArity: true, fn: (args) => args.some(isTruthy) },
  gt: { arity: 2, fn: ([a, b]) => compareOrdered('gt', a, b) > 0 },
  gte: { arity: 2, fn: ([a, b]) => compareOrdered('gte', a, b) >= 0 },
  lt: { arity: 2, fn: ([a, b]) => compareOrdered('lt', a, b) < 0 },
  lte: { arity: 2, fn: ([a, b]) => compareOrdered('lte', a, b) <= 0 },
};

/** What a value is for the comparison helpers: a number, an instant, or neither. */
function orderedKind(
  value: unknown,
): { kind: 'number'; n: number } | { kind: 'instant'; n: number } | undefined {
  const n = toNumber(value);
  if (n !== undefined) return { kind: 'number', n };
  if (typeof value === 'string' || value instanceof Date) {
    try {
      return { kind: 'instant', n: toEpochMicros(value) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Order two numbers (numeric strings count) or two ISO-8601 instants (microsecond precision, any offset);
 * anything else, or one of each, is an error.
 */
export function compareOrdered(helper: string, a: unknown, b: unknown): number {
  const x = orderedKind(a);
  const y = orderedKind(b);
  const show = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v));
  if (!x || !y) {
    const bad = !x ? a : b;
    throw new Error(`${helper} compares numbers or ISO-8601 instants, got ${show(bad)}`);
  }
  if (x.kind !== y.kind)
    throw new Error(
      `${helper} cannot compare ${x.kind === 'number' ? 'a number' : 'an instant'} (${show(a)}) with ${y.kind === 'number' ? 'a number' : 'an instant'} (${show(b)})`,
    );
  return x.n === y.n ? 0 : x.n > y.n ? 1 : -1;
}

/** Names of the template helpers, e.g. for documentation and did-you-mean. */
export const TEMPLATE_HELPERS: readonly string[] = Object.keys(HELPERS);

/** Block helpers the interpreter understands: `{{#if x}}...{{else}}...{{/if}}` and `#unless`. */
const BLOCK_HELPERS = new Set(['if', 'unless']);

/** Names that are never looked up, even as own properties. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

// ---------------------------------------------------------------------------------------------------
// Value semantics shared with assertions

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    return Number(value);
  return undefined;
}

/** Equality where numbers and numeric strings compare as numbers ("42" equals 42). */
export function looselyEqual(a: unknown, b: unknown): boolean {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  if (a === b) return true;
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null) {
    return JSON.stringify(a) === JSON.stringify(b);
  }
  return false;
}

/** Truthiness of a rendered `if`: false, 0, "", "false", "0", null, undefined and [] are false. */
export function isTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase();
    return text !== '' && text !== 'false' && text !== '0';
  }
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

// ---------------------------------------------------------------------------------------------------
// Parsing

const cache = new Map<string, ParsedTemplate | TemplateError>();
const CACHE_LIMIT = 2000;

/** True when the text holds a template expression. */
export function isTemplate(text: unknown): text is string {
  return typeof text === 'string' && text.includes('{{');
}

function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

function offsetOf(parsed: { lineStarts: number[]; insertions: number[] }, node: Node | undefined): number {
  if (!node?.loc) return 0;
  const offset = (parsed.lineStarts[node.loc.start.line - 1] ?? 0) + node.loc.start.column;
  let shift = 0;
  for (const at of parsed.insertions) if (at < offset) shift++;
  return offset - shift;
}

/** True when the token ending at `end` is a number literal such as 0 or -1 (so `0.5` is not a path). */
function isNumberBefore(text: string, start: number, end: number): boolean {
  let k = end - 1;
  while (k >= start && /[\w\-[\].@]/.test(text[k]!)) k--;
  return /^-?\d+$/.test(text.slice(k + 1, end));
}

/**
 * Handlebars reads a final numeric segment (`rows.0}}`) as a number and rejects the path; written as
 * `rows.[0]` it is a path segment. Rewrite such segments inside {{ }} (outside string literals) and keep
 * where characters were inserted, so offsets still point into the original text.
 */
function bracketIndexSegments(text: string): { source: string; insertions: number[] } {
  let source = '';
  const insertions: number[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open < 0) {
      source += text.slice(i);
      break;
    }
    source += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    const end = close < 0 ? text.length : close;
    let quote = '';
    for (let j = open; j < end; j++) {
      const c = text[j]!;
      if (quote) {
        if (c === quote) quote = '';
      } else if (c === '"' || c === "'") {
        quote = c;
      } else if (
        c === '.' &&
        j > open + 2 &&
        /[\w\]-]/.test(text[j - 1]!) &&
        !isNumberBefore(text, open + 2, j)
      ) {
        const digits = /^\d+/.exec(text.slice(j + 1, end))?.[0];
        const after = text[j + 1 + (digits?.length ?? 0)];
        if (
          digits &&
          (after === undefined || after === '}' || after === ')' || after === '~' || /\s/.test(after))
        ) {
          insertions.push(source.length + 1);
          source += `.[${digits}`;
          insertions.push(source.length);
          source += ']';
          j += digits.length;
          continue;
        }
      }
      source += c;
    }
    i = end;
  }
  return { source, insertions };
}

/** Where the handlebars parser stopped, read from its message (it carries no structured position). */
function parseErrorOffset(text: string, message: string): number {
  const lines = message.split('\n');
  const context = lines[1] ?? '';
  const caret = (lines[2] ?? '').indexOf('^');
  if (caret < 0) return 0;
  let before = context.slice(0, caret);
  if (before.startsWith('...')) before = before.slice(3);
  // The parser shows the consumed input with newlines removed; walk the template the same way.
  const flat: number[] = [];
  let flatText = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') continue;
    flat.push(i);
    flatText += text[i];
  }
  const at = flatText.indexOf(before);
  const end = at < 0 ? flatText.length : at + before.length;
  return end >= flat.length ? text.length : flat[end]!;
}

function syntaxError(text: string, error: unknown): TemplateError {
  const message = error instanceof Error ? error.message : String(error);
  const stop = parseErrorOffset(text, message);
  const open = text.lastIndexOf('{{', Math.max(0, Math.min(stop, text.length - 1)));
  const offset = open < 0 ? 0 : open;
  const got = /got '([A-Z_]+)'/.exec(message)?.[1];
  let reason: string;
  if (open >= 0 && text.indexOf('}}', open) < 0) reason = '"{{" is not closed with "}}"';
  else if (got === 'EOF') reason = 'the template ends inside an expression or an unclosed {{#block}}';
  else if (got === 'CLOSE') reason = 'the expression is empty';
  else if (stop < text.length) reason = `unexpected ${JSON.stringify(text.slice(stop, stop + 1))}`;
  else reason = message.split('\n')[0] ?? 'cannot parse';
  return new TemplateError(`invalid template: ${reason}`, {
    code: 'template-syntax',
    offset,
    hint: 'a template expression looks like {{inputs.name}} or {{helper argument}}',
  });
}

/** Parse (and cache) a template; throws a TemplateError for a syntax error. */
function parse(text: string): ParsedTemplate {
  const hit = cache.get(text);
  if (hit instanceof TemplateError) throw hit;
  if (hit) return hit;
  let result: ParsedTemplate | TemplateError;
  const { source, insertions } = bracketIndexSegments(text);
  try {
    const program = parseHandlebars(source) as unknown as ProgramNode;
    const only = program.body.length === 1 ? program.body[0] : undefined;
    result = {
      program,
      lineStarts: lineStartsOf(source),
      insertions,
      whole: only?.type === 'MustacheStatement' ? only : undefined,
    };
  } catch (error) {
    const found = syntaxError(source, error);
    const shift = insertions.filter((at) => at < found.offset).length;
    result = new TemplateError(found.message, {
      code: found.code,
      offset: found.offset - shift,
      hint: found.hint,
    });
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, result);
  if (result instanceof TemplateError) throw result;
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Static checks and references

function arityFits(helper: { arity: number; minArity?: boolean }, count: number): boolean {
  return helper.minArity ? count >= helper.arity : count === helper.arity;
}

function arityMessage(name: string, helper: { arity: number; minArity?: boolean }, count: number): string {
  const plural = helper.arity === 1 ? '' : 's';
  return `helper "${name}" takes ${helper.minArity ? `${helper.arity} or more` : helper.arity} argument${plural}, got ${count}`;
}

function isHelperCall(node: CallNode): boolean {
  return (
    node.path.type === 'PathExpression' && node.path.parts.length === 1 && node.path.parts[0]! in HELPERS
  );
}

function helperNameOf(node: CallNode): string | undefined {
  if (node.path.type !== 'PathExpression') return undefined;
  return node.path.parts.length === 1 && !node.path.data && node.path.depth === 0
    ? node.path.parts[0]
    : undefined;
}

interface Visitor {
  path(node: PathNode, mustacheOffset: number, optional: boolean): void;
  problem(message: string, offset: number, hint?: string): void;
}

function visitExpr(
  parsed: ParsedTemplate,
  node: ExprNode,
  mustache: number,
  optional: boolean,
  visitor: Visitor,
): void {
  if (node.type === 'PathExpression') {
    visitor.path(node, mustache, optional);
  } else if (node.type === 'SubExpression') {
    visitCall(parsed, node, mustache, visitor);
  }
}

function visitCall(parsed: ParsedTemplate, node: CallNode, mustache: number, visitor: Visitor): void {
  const name = helperNameOf(node);
  const hasArgs = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;
  if (name !== undefined && name in HELPERS) {
    const helper = HELPERS[name]!;
    if ((node.hash?.pairs.length ?? 0) > 0) {
      visitor.problem(`helper "${name}" takes no named arguments`, mustache);
    }
    if (!arityFits(helper, node.params.length)) {
      visitor.problem(arityMessage(name, helper, node.params.length), mustache);
    }
    node.params.forEach((param, index) =>
      visitExpr(parsed, param, mustache, name === 'default' && index === 0, visitor),
    );
    return;
  }
  if (hasArgs) {
    const label =
      name ?? (node.path.type === 'PathExpression' ? node.path.original : String(node.path.value));
    visitor.problem(
      `unknown helper "${label}"`,
      mustache,
      didYouMean(label, TEMPLATE_HELPERS) ?? `helpers: ${TEMPLATE_HELPERS.join(', ')}`,
    );
    node.params.forEach((param) => visitExpr(parsed, param, mustache, false, visitor));
    return;
  }
  if (node.path.type === 'PathExpression') visitor.path(node.path, mustache, false);
  else if (node.type === 'SubExpression') visitor.problem('a sub-expression must call a helper', mustache);
}

function visitProgram(parsed: ParsedTemplate, program: ProgramNode, visitor: Visitor): void {
  for (const statement of program.body) {
    const offset = offsetOf(parsed, statement);
    switch (statement.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        break;
      case 'MustacheStatement':
        visitCall(parsed, statement as CallNode, offset, visitor);
        break;
      case 'BlockStatement': {
        const block = statement as CallNode & StatementNode;
        const name = helperNameOf(block);
        if (name === undefined || !BLOCK_HELPERS.has(name)) {
          visitor.problem(
            `block "{{#${name ?? '?'}}}" is not supported`,
            offset,
            'only {{#if x}}...{{/if}} and {{#unless x}}...{{/unless}} blocks are supported',
          );
        } else if (block.params.length !== 1) {
          visitor.problem(`{{#${name}}} takes 1 argument, got ${block.params.length}`, offset);
        }
        block.params.forEach((param) => visitExpr(parsed, param, offset, false, visitor));
        if (block.program) visitProgram(parsed, block.program, visitor);
        if (block.inverse) visitProgram(parsed, block.inverse, visitor);
        break;
      }
      default:
        visitor.problem(
          `${statement.type.replace(/Statement$/, '').toLowerCase()}s are not supported in templates`,
          offset,
        );
    }
  }
}

function pathProblem(node: PathNode): string | undefined {
  if (node.data) return `"@${node.parts.join('.')}" data variables are not supported`;
  if (node.depth > 0 || node.original.startsWith('../'))
    return `"${node.original}": parent scopes (../) are not supported`;
  if (node.parts.length === 0 || /^(this|\.)([./]|$)/.test(node.original)) {
    return `"${node.original}": "this" is not supported; start a reference with inputs, captures, steps, env or result`;
  }
  const forbidden = node.parts.find((part) => FORBIDDEN_SEGMENTS.has(part));
  if (forbidden) return `"${node.original}": "${forbidden}" cannot be referenced`;
  return undefined;
}

/**
 * Problems a template has before any value is known: syntax errors, unsupported constructs, unknown
 * helpers and wrong argument counts. Empty when the template is well formed.
 */
export function checkTemplate(text: string): TemplateError[] {
  let parsed: ParsedTemplate;
  try {
    parsed = parse(text);
  } catch (error) {
    return [error as TemplateError];
  }
  const problems: TemplateError[] = [];
  visitProgram(parsed, parsed.program, {
    path(node, offset) {
      const problem = pathProblem(node);
      if (problem) problems.push(new TemplateError(problem, { code: 'template-syntax', offset }));
    },
    problem(message, offset, hint) {
      problems.push(new TemplateError(message, { code: 'template-syntax', offset, hint }));
    },
  });
  return problems;
}

/** The static references of a template (helper names excluded), in source order. Throws on a syntax error. */
export function templateReferences(text: string): TemplateReference[] {
  if (!isTemplate(text)) return [];
  const parsed = parse(text);
  const references: TemplateReference[] = [];
  visitProgram(parsed, parsed.program, {
    path(node, offset, optional) {
      if (pathProblem(node) || node.parts.length === 0) return;
      references.push({ path: [...node.parts], offset, pathOffset: offsetOf(parsed, node), optional });
    },
    problem() {},
  });
  return references;
}

// ---------------------------------------------------------------------------------------------------
// Rendering

function hasOwn(value: unknown, key: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value !== 'object' && typeof value !== 'string') return false;
  return Object.prototype.hasOwnProperty.call(value, key);
}

function describeMissing(parent: unknown, segment: string, where: string): string {
  if (parent === null || parent === undefined) return `${where} is ${parent === null ? 'null' : 'undefined'}`;
  if (Array.isArray(parent)) {
    return parent.length === 0
      ? `${where} is an empty list`
      : `${where} has ${parent.length} item${parent.length === 1 ? '' : 's'}, no item ${segment}`;
  }
  if (typeof parent !== 'object')
    return `${where} is ${typeof parent} ${JSON.stringify(parent)}, not an object`;
  return `${where} has no "${segment}"`;
}

function lookup(node: PathNode, scope: unknown, offset: number, lenient: boolean): unknown {
  const problem = pathProblem(node);
  if (problem) throw new TemplateError(problem, { code: 'template-syntax', offset });
  let current: unknown = scope;
  for (let i = 0; i < node.parts.length; i++) {
    const segment = node.parts[i]!;
    if (!hasOwn(current, segment)) {
      if (lenient) return undefined;
      const reference = node.parts.join('.');
      const where = i === 0 ? 'the template scope' : node.parts.slice(0, i).join('.');
      const keys =
        current !== null && typeof current === 'object' && !Array.isArray(current)
          ? Object.keys(current)
          : [];
      throw new TemplateError(
        `unknown reference "${reference}": ${describeMissing(current, segment, where)}`,
        {
          code: 'unknown-reference',
          offset,
          reference,
          hint: didYouMean(segment, keys),
        },
      );
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function literalValue(node: LiteralNode): unknown {
  if (node.type === 'UndefinedLiteral') return undefined;
  if (node.type === 'NullLiteral') return null;
  return node.value;
}

function evaluateExpr(
  node: ExprNode,
  scope: unknown,
  offset: number,
  options: RenderOptions,
  lenient: boolean,
): unknown {
  if (node.type === 'PathExpression') return lookup(node, scope, offset, lenient);
  if (node.type === 'SubExpression') return evaluateCall(node, scope, offset, options);
  return literalValue(node);
}

function evaluateCall(node: CallNode, scope: unknown, offset: number, options: RenderOptions): unknown {
  if (isHelperCall(node)) {
    const name = helperNameOf(node)!;
    const helper = HELPERS[name]!;
    if (!arityFits(helper, node.params.length) || (node.hash?.pairs.length ?? 0) > 0) {
      throw new TemplateError(arityMessage(name, helper, node.params.length), {
        code: 'template-syntax',
        offset,
      });
    }
    if (name === 'and' || name === 'or') {
      // Short-circuit: `{{and (eq steps.x.status "passed") captures.y}}` reads y only when x passed.
      for (const param of node.params) {
        const truthy = isTruthy(evaluateExpr(param, scope, offset, options, false));
        if (truthy !== (name === 'and')) return truthy;
      }
      return name === 'and';
    }
    const args = node.params.map((param, index) =>
      evaluateExpr(param, scope, offset, options, name === 'default' && index === 0),
    );
    try {
      return helper.fn(args, options);
    } catch (error) {
      throw new TemplateError(
        `helper "${name}" failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          code: 'template-helper',
          offset,
        },
      );
    }
  }
  if (node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0) {
    const label = node.path.type === 'PathExpression' ? node.path.original : String(node.path.value);
    throw new TemplateError(`unknown helper "${label}"`, {
      code: 'template-syntax',
      offset,
      hint: didYouMean(label, TEMPLATE_HELPERS),
    });
  }
  if (node.path.type === 'PathExpression') return lookup(node.path, scope, offset, false);
  return literalValue(node.path);
}

/** How a value reads inside a larger string. */
export function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function renderProgram(
  parsed: ParsedTemplate,
  program: ProgramNode,
  scope: unknown,
  options: RenderOptions,
): string {
  let out = '';
  for (const statement of program.body) {
    const offset = offsetOf(parsed, statement);
    switch (statement.type) {
      case 'ContentStatement':
        out += statement.value ?? '';
        break;
      case 'CommentStatement':
        break;
      case 'MustacheStatement':
        out += stringify(evaluateCall(statement as CallNode, scope, offset, options));
        break;
      case 'BlockStatement': {
        const block = statement as CallNode & StatementNode;
        const name = helperNameOf(block);
        if (name === undefined || !BLOCK_HELPERS.has(name) || block.params.length !== 1) {
          throw new TemplateError(`block "{{#${name ?? '?'}}}" is not supported`, {
            code: 'template-syntax',
            offset,
          });
        }
        const condition = isTruthy(evaluateExpr(block.params[0]!, scope, offset, options, false));
        const branch = condition === (name === 'if') ? block.program : block.inverse;
        if (branch) out += renderProgram(parsed, branch, scope, options);
        break;
      }
      default:
        throw new TemplateError(`${statement.type} is not supported in templates`, {
          code: 'template-syntax',
          offset,
        });
    }
  }
  return out;
}

/**
 * Render one template. A string that is exactly one `{{expression}}` yields the expression's raw value
 * (number, boolean, list, object); any other template yields a string. Text without `{{` is returned as is.
 * Throws TemplateError for a syntax error, an unknown reference or a failing helper.
 */
export function renderTemplate(text: string, scope: object, options: RenderOptions = {}): unknown {
  if (!isTemplate(text)) return text;
  const parsed = parse(text);
  if (parsed.whole)
    return evaluateCall(parsed.whole as CallNode, scope, offsetOf(parsed, parsed.whole), options);
  return renderProgram(parsed, parsed.program, scope, options);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Render every string inside a value (objects and lists are copied, other values kept). A TemplateError
 * carries `pointer`, the JSON pointer of the failing string inside `value`.
 */
export function renderDeep(
  value: unknown,
  scope: object,
  options: RenderOptions = {},
  pointer = '',
): unknown {
  if (typeof value === 'string') {
    try {
      return renderTemplate(value, scope, options);
    } catch (error) {
      if (error instanceof TemplateError && error.pointer === undefined) error.pointer = pointer;
      throw error;
    }
  }
  if (Array.isArray(value))
    return value.map((item, index) => renderDeep(item, scope, options, `${pointer}/${index}`));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (FORBIDDEN_SEGMENTS.has(key)) continue;
      out[key] = renderDeep(item, scope, options, `${pointer}/${escapePointer(key)}`);
    }
    return out;
  }
  return value;
}

/** The expression of a template that is exactly one `{{expression}}`: what its value's type follows from. */
export type WholeExpression =
  | { kind: 'path'; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'helper'; name: string; args: WholeExpression[] };

function shapeOf(node: ExprNode): WholeExpression | undefined {
  if (node.type === 'PathExpression')
    return pathProblem(node) ? undefined : { kind: 'path', path: [...node.parts] };
  if (node.type === 'SubExpression') return callShape(node);
  return { kind: 'literal', value: literalValue(node) };
}

function callShape(node: CallNode): WholeExpression | undefined {
  if (isHelperCall(node)) {
    const args: WholeExpression[] = [];
    for (const param of node.params) {
      const arg = shapeOf(param);
      if (!arg) return undefined;
      args.push(arg);
    }
    return { kind: 'helper', name: helperNameOf(node)!, args };
  }
  if (node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0) return undefined;
  return shapeOf(node.path);
}

/**
 * The expression of a template that is exactly one `{{expression}}` (which renders to the expression's raw
 * value); undefined for any other text, or when the template does not parse.
 */
export function wholeExpression(text: string): WholeExpression | undefined {
  if (!isTemplate(text)) return undefined;
  let parsed: ParsedTemplate;
  try {
    parsed = parse(text);
  } catch {
    return undefined;
  }
  return parsed.whole ? callShape(parsed.whole as CallNode) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// The parsed form, as plain data, for code that translates templates into another language.

/** A template as a tree: text, references, literals, helper calls and if/unless blocks. */
export type TemplateTree =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: string[] }
  | { kind: 'literal'; value: unknown }
  | { kind: 'call'; helper: string; args: TemplateTree[] }
  | { kind: 'block'; helper: string; condition: TemplateTree; then: TemplateTree[]; else: TemplateTree[] }
  | { kind: 'concat'; parts: TemplateTree[] };

function treeOfExpr(node: ExprNode): TemplateTree {
  if (node.type === 'PathExpression') return { kind: 'path', path: [...node.parts] };
  if (node.type === 'SubExpression') return treeOfCall(node);
  return { kind: 'literal', value: literalValue(node) };
}

function treeOfCall(node: CallNode): TemplateTree {
  const name = helperNameOf(node);
  if (name !== undefined && (name in HELPERS || node.params.length > 0))
    return { kind: 'call', helper: name, args: node.params.map(treeOfExpr) };
  return node.path.type === 'PathExpression'
    ? { kind: 'path', path: [...node.path.parts] }
    : { kind: 'literal', value: literalValue(node.path) };
}

function treeOfProgram(program: ProgramNode): TemplateTree[] {
  const parts: TemplateTree[] = [];
  for (const statement of program.body) {
    if (statement.type === 'ContentStatement') parts.push({ kind: 'text', text: statement.value ?? '' });
    else if (statement.type === 'MustacheStatement') parts.push(treeOfCall(statement as CallNode));
    else if (statement.type === 'BlockStatement') {
      const block = statement as CallNode & StatementNode;
      parts.push({
        kind: 'block',
        helper: helperNameOf(block) ?? '?',
        condition: block.params[0] ? treeOfExpr(block.params[0]) : { kind: 'literal', value: undefined },
        then: block.program ? treeOfProgram(block.program) : [],
        else: block.inverse ? treeOfProgram(block.inverse) : [],
      });
    }
  }
  return parts;
}

/**
 * The tree of a template (one that `checkTemplate` accepts): a whole `{{expression}}` is its expression (so it
 * keeps its type), anything else a `concat` of its parts. Text without `{{` is one text part. Throws
 * TemplateError for a syntax error.
 */
export function templateTree(text: string): TemplateTree {
  if (!isTemplate(text)) return { kind: 'text', text };
  const parsed = parse(text);
  if (parsed.whole) return treeOfCall(parsed.whole as CallNode);
  return { kind: 'concat', parts: treeOfProgram(parsed.program) };
}
