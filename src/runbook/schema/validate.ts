/**
 * Validation of one file's data against the runbook schema, with every ajv error turned into a
 * diagnostic that points at the YAML node: the offending key for unknown keys, the value for type,
 * enum and pattern errors, the mapping for a missing key.
 */
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { CLOUDFORMATION_OPERATIONS, RDS_OPERATIONS } from '../../steps/aws/operations.generated.js';
import { closest, didYouMean } from '../did-you-mean.js';
import { error } from '../diagnostic.js';
import { DurationError, parseDuration } from '../duration.js';
import { joinPointer, splitPointer } from '../pointer.js';
import type { SourceMap } from '../source-map.js';
import type { Diagnostic, DiagnosticCode, SourceSpan } from '../types.js';
import { MESSAGE_KEYWORD, type JsonSchema } from './fragment.js';
import generatedValidator from './validator.generated.js';

// Precompiled by scripts/gen-schema.ts: compiling the schema at start-up would dominate `labrun validate`.
const validate = generatedValidator as unknown as ValidateFunction;

interface Context {
  data: unknown;
  map: SourceMap;
}

function valueAt(data: unknown, pointer: string): unknown {
  let current = data;
  for (const segment of splitPointer(pointer)) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  if (typeof value === 'string') return 'a string';
  return typeof value;
}

function expectedType(type: unknown): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    null: 'null',
  };
  const list = Array.isArray(type) ? type : [type];
  const words = list.map((t) => names[String(t)] ?? String(t));
  return words.length <= 1
    ? (words[0] ?? 'something else')
    : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** Human name of the node at a pointer, e.g. `step "drop-table"`, `input "tableSize"`, `the runbook`. */
export function describeNode(data: unknown, pointer: string): string {
  const parts = splitPointer(pointer);
  if (parts.length === 0) return 'the runbook';
  const [section, name] = parts;
  if ((section === 'steps' || section === 'finally') && name !== undefined) {
    const item = valueAt(data, joinPointer('', section, name));
    if (parts.length === 2 && item !== null && typeof item === 'object' && 'include' in item) {
      return `include item ${Number(name) + 1} of ${section}`;
    }
    const id = valueAt(data, joinPointer('', section, name, 'id'));
    const stepName = typeof id === 'string' ? `step "${id}"` : `step ${Number(name) + 1} of ${section}`;
    const rest = parts.slice(2);
    if (rest.length === 0) return stepName;
    if (rest[0] === 'that' && rest.length === 2) return `assertion ${Number(rest[1]) + 1} of ${stepName}`;
    if (rest[0] === 'probe' && rest.length === 1) return `the probe of ${stepName}`;
    if (rest[0] === 'options' && rest.length === 1) return `the sysbench options of ${stepName}`;
    return `"${rest.join('.')}" of ${stepName}`;
  }
  if (section === 'inputs' && name !== undefined && parts.length === 2) return `input "${name}"`;
  if (section === 'connections' && name !== undefined && parts.length === 2) return `connection "${name}"`;
  return `"${parts.join('.')}"`;
}

/** How a value is named in a message: its key, or `item N of "list"`. */
function label(pointer: string): string {
  const parts = splitPointer(pointer);
  const last = parts[parts.length - 1];
  if (last === undefined) return 'the runbook';
  if (/^\d+$/.test(last)) {
    const parent = parts[parts.length - 2];
    return parent === undefined ? `item ${Number(last) + 1}` : `item ${Number(last) + 1} of "${parent}"`;
  }
  return `"${last}"`;
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return JSON.stringify(value) ?? String(value);
}

function customMessage(
  schema: unknown,
  keyword: string,
  vars: { key?: string; value?: unknown },
): string | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const messages = (schema as JsonSchema)[MESSAGE_KEYWORD];
  const template =
    typeof messages === 'string' ? messages : (messages as Record<string, string> | undefined)?.[keyword];
  if (typeof template !== 'string') return undefined;
  return template
    .replace(/\{key\}/g, vars.key ?? '')
    .replace(/\{value\}/g, typeof vars.value === 'string' ? vars.value : show(vars.value));
}

/** `oneOf`/`anyOf` whose branches each require one key: the keys, else undefined. */
function singleKeyBranches(branches: unknown): string[] | undefined {
  if (!Array.isArray(branches)) return undefined;
  const keys: string[] = [];
  for (const branch of branches) {
    const required = (branch as JsonSchema | null)?.required;
    if (!Array.isArray(required) || required.length !== 1 || Object.keys(branch as object).length !== 1)
      return undefined;
    keys.push(String(required[0]));
  }
  return keys;
}

function quoteList(keys: string[]): string {
  return keys.map((k) => `"${k}"`).join(', ');
}

function mapError(e: ErrorObject, ctx: Context): Diagnostic | undefined {
  const file = ctx.map.file;
  const at = e.instancePath;
  const value = e.data;
  const node = describeNode(ctx.data, at);
  const make = (code: DiagnosticCode, message: string, span: SourceSpan, hint?: string) =>
    error(code, message, file, span, hint);

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys(
        ((e.parentSchema as JsonSchema | undefined)?.properties as object | undefined) ?? {},
      );
      const hint =
        didYouMean(key, allowed) ?? (allowed.length > 0 ? `allowed keys: ${allowed.join(', ')}` : undefined);
      return make(
        'unknown-key',
        `unknown key "${key}" in ${node}`,
        ctx.map.keySpan(joinPointer(at, key)),
        hint,
      );
    }
    case 'required': {
      const key = String((e.params as { missingProperty: string }).missingProperty);
      return make('schema', `${node} is missing the required key "${key}"`, ctx.map.valueSpan(at));
    }
    case 'dependentRequired': {
      const { property, missingProperty } = e.params as { property: string; missingProperty: string };
      return make(
        'schema',
        `${node} has "${property}" but no "${missingProperty}"`,
        ctx.map.keySpan(joinPointer(at, property)),
        `"${property}" needs "${missingProperty}" too`,
      );
    }
    case 'type':
      return make(
        'schema',
        `${label(at)} must be ${expectedType((e.params as { type: unknown }).type)}, not ${typeName(value)}`,
        ctx.map.valueSpan(at),
      );
    case 'enum': {
      const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
      const custom = customMessage(e.parentSchema, 'enum', { value });
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : undefined;
      const message =
        custom ??
        (at.endsWith('/type') && /^\/(steps|finally)\/\d+\/type$/.test(at)
          ? `unknown step type ${show(value)}; expected one of ${allowed.join(', ')}`
          : `${label(at)} must be one of ${allowed.join(', ')}; got ${show(value)}`);
      return make('schema', message, ctx.map.valueSpan(at), hint);
    }
    case 'const':
      return make(
        'schema',
        `${label(at)} must be ${show((e.params as { allowedValue: unknown }).allowedValue)}; got ${show(value)}`,
        ctx.map.valueSpan(at),
      );
    case 'pattern': {
      if (e.schemaPath.startsWith('#/$defs/duration/')) {
        let reason = `invalid duration ${show(value)}`;
        try {
          parseDuration(String(value));
        } catch (cause) {
          if (cause instanceof DurationError) reason = cause.message;
        }
        return make(
          'invalid-duration',
          `${label(at)}: ${reason}`,
          ctx.map.valueSpan(at),
          'write a duration such as 500ms, 10s, 5m or 1h30m',
        );
      }
      const key = e.propertyName;
      if (key !== undefined) {
        const message =
          customMessage(e.parentSchema, 'pattern', { key, value: key }) ??
          `key "${key}" does not match ${String((e.params as { pattern: string }).pattern)}`;
        return make('schema', message, ctx.map.keySpan(joinPointer(at, key)));
      }
      const message =
        customMessage(e.parentSchema, 'pattern', { value }) ??
        `${label(at)} ${show(value)} does not match the pattern ${String((e.params as { pattern: string }).pattern)}`;
      const hint =
        at.endsWith('/operation') && typeof value === 'string'
          ? didYouMean(value, ALL_OPERATIONS)
          : undefined;
      return make('schema', message, ctx.map.valueSpan(at), hint);
    }
    case 'not': {
      const key = e.propertyName;
      const message = customMessage(e.parentSchema, 'not', { key, value }) ?? `${label(at)} is not allowed`;
      return make(
        'schema',
        message,
        key !== undefined ? ctx.map.keySpan(joinPointer(at, key)) : ctx.map.valueSpan(at),
      );
    }
    case 'minLength':
      return make('schema', `${label(at)} must not be empty`, ctx.map.valueSpan(at));
    case 'minItems': {
      const limit = (e.params as { limit: number }).limit;
      return make(
        'schema',
        `${label(at)} needs at least ${limit} item${limit === 1 ? '' : 's'}`,
        ctx.map.valueSpan(at),
      );
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      const words: Record<string, string> = {
        '>=': 'at least',
        '>': 'more than',
        '<=': 'at most',
        '<': 'less than',
      };
      return make(
        'schema',
        `${label(at)} must be ${words[comparison] ?? comparison} ${limit}; got ${show(value)}`,
        ctx.map.valueSpan(at),
      );
    }
    case 'oneOf':
    case 'anyOf': {
      const branches = (e.parentSchema as JsonSchema | undefined)?.[e.keyword];
      const keys = singleKeyBranches(branches);
      const custom = customMessage(e.parentSchema, e.keyword, { value });
      if (!keys)
        return make('schema', custom ?? `${node} does not match the allowed shapes`, ctx.map.valueSpan(at));
      const present = keys.filter(
        (k) => value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, k),
      );
      if (present.length === 0) {
        const message =
          custom ?? `${node} needs ${e.keyword === 'oneOf' ? 'exactly one' : 'one'} of ${quoteList(keys)}`;
        return make(
          'schema',
          `${message} (found none)`,
          ctx.map.valueSpan(at),
          `add one of ${quoteList(keys)}`,
        );
      }
      const second = present[1]!;
      const message = custom ?? `${node} needs exactly one of ${quoteList(keys)}`;
      return make(
        'schema',
        `${message}, found ${present.length}: ${quoteList(present)}`,
        ctx.map.keySpan(joinPointer(at, second)),
        `keep one of ${quoteList(present)}`,
      );
    }
    default:
      return make('schema', `${label(at)} ${e.message ?? 'is invalid'}`, ctx.map.valueSpan(at));
  }
}

const ALL_OPERATIONS = [...RDS_OPERATIONS, ...CLOUDFORMATION_OPERATIONS];

/** ajv reports a summary error next to the detailed ones for these; the details say more. */
const SUMMARY_KEYWORDS = new Set(['if', 'propertyNames', 'allOf']);

/** Validate one file's data against the runbook schema. */
export function validateSchema(data: unknown, map: SourceMap): Diagnostic[] {
  if (validate(data)) return [];
  const errors = (validate.errors ?? []).filter((e) => !SUMMARY_KEYWORDS.has(e.keyword));
  // The branch errors of a oneOf/anyOf only explain why the summary failed; the summary is reported.
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  const kept = errors.filter(
    (e) =>
      !alternatives.some(
        (alt) =>
          alt !== e &&
          e.schemaPath.startsWith(`${alt.schemaPath}/`) &&
          (e.instancePath === alt.instancePath || e.instancePath.startsWith(`${alt.instancePath}/`)),
      ),
  );
  // A missing key that an unknown key is a misspelling of is reported once, as the misspelling.
  const misspelt = kept.filter((e) => e.keyword === 'additionalProperties');
  const misspells = (e: ErrorObject, wanted: string[]) =>
    misspelt.some(
      (m) =>
        m.instancePath === e.instancePath &&
        closest(String((m.params as { additionalProperty: string }).additionalProperty), wanted) !==
          undefined,
    );
  const reported = kept.filter((e) => {
    if (e.keyword === 'required')
      return !misspells(e, [String((e.params as { missingProperty: string }).missingProperty)]);
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf') {
      const keys = singleKeyBranches((e.parentSchema as JsonSchema | undefined)?.[e.keyword]);
      return !keys || !misspells(e, keys);
    }
    return true;
  });
  const ctx: Context = { data, map };
  const out: Diagnostic[] = [];
  for (const e of reported) {
    const diagnostic = mapError(e, ctx);
    if (diagnostic) out.push(diagnostic);
  }
  return out;
}
