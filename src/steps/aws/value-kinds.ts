/** Small helpers shared by the static params checks and the run-time coercion of aws params. */
import type { ValueType } from '../../runbook/value-type.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
}

/** A candidate equal to `name` but for case: the likeliest fix, tried before edit distance. */
export function matchMember(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return candidates.find((c) => c !== name && c.toLowerCase() === lower);
}

/** "a boolean", "a list of strings", … for messages. */
export function describeType(type: ValueType): string {
  switch (type.kind) {
    case 'string':
      return type.enum
        ? `one of ${type.enum.slice(0, 6).join(', ')}${type.enum.length > 6 ? ', …' : ''}`
        : 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean (true or false)';
    case 'timestamp':
      return 'a timestamp (ISO-8601)';
    case 'list':
      return `a list of ${plural(type.member)}`;
    case 'structure':
      return 'a mapping of members';
    case 'map':
      return 'a mapping';
    case 'any':
      return 'any value';
  }
}

function plural(type: ValueType): string {
  switch (type.kind) {
    case 'string':
      return type.enum ? 'strings with known values' : 'strings';
    case 'integer':
      return 'whole numbers';
    case 'number':
      return 'numbers';
    case 'boolean':
      return 'booleans';
    case 'timestamp':
      return 'timestamps';
    case 'list':
      return 'lists';
    case 'structure':
      return 'mappings';
    case 'map':
      return 'mappings';
    case 'any':
      return 'values';
  }
}
