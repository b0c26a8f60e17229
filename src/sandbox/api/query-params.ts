/**
 * Reads a Query-protocol request's flat parameters (`Name=value`, `List.Member.N`, `Struct.Member`) into
 * typed values. Bad values are refused with the error codes AWS uses, naming the parameter.
 */
import { fault } from '../control/faults.js';
import type { Filter } from '../control/inputs.js';
import { parseTimestamp } from './timestamps.js';

export class QueryParams {
  private readonly values: Map<string, string>;
  private readonly prefix: string;

  constructor(values: Map<string, string>, prefix = '') {
    this.values = values;
    this.prefix = prefix;
  }

  static fromSearchParams(...sources: URLSearchParams[]): QueryParams {
    const values = new Map<string, string>();
    for (const source of sources) {
      for (const [key, value] of source) if (!values.has(key)) values.set(key, value);
    }
    return new QueryParams(values);
  }

  has(name: string): boolean {
    return this.values.has(this.prefix + name);
  }

  string(name: string): string | undefined {
    return this.values.get(this.prefix + name);
  }

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') {
      throw fault('MissingParameter', `The request must contain the parameter ${this.prefix + name}.`);
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw fault(
      'InvalidParameterValue',
      `Invalid value "${value}" for ${this.prefix + name}: expected true or false.`,
    );
  }

  integer(name: string): number | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!/^-?\d{1,15}$/.test(value.trim())) {
      throw fault(
        'InvalidParameterValue',
        `Invalid value "${value}" for ${this.prefix + name}: expected an integer.`,
      );
    }
    return Number(value);
  }

  timestamp(name: string): Date | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    const date = parseTimestamp(value);
    if (!date) {
      throw fault(
        'InvalidParameterValue',
        `Invalid value "${value}" for ${this.prefix + name}: ` +
          'expected an ISO-8601 timestamp such as 2021-03-22T14:13:37Z.',
      );
    }
    return date;
  }

  requiredTimestamp(name: string): Date {
    this.requiredString(name);
    return this.timestamp(name) as Date;
  }

  /**
   * A list of strings sent as `Name.Member.N` or `Name.member.N` (1-based, in index order). `Name=` alone is
   * an explicitly empty list; undefined means the list was not sent at all.
   */
  list(name: string, member: string): string[] | undefined {
    const items = this.indexed(name, member);
    if (items.size > 0) return [...items.entries()].sort(([a], [b]) => a - b).map(([, value]) => value);
    return this.has(name) ? [] : undefined;
  }

  /** A list of structures (`Name.Member.N.Field`), each read through its own scoped QueryParams. */
  structList(name: string, member: string): QueryParams[] {
    const indexes = new Set<number>();
    for (const key of this.values.keys()) {
      for (const form of [member, 'member']) {
        const head = `${this.prefix}${name}.${form}.`;
        if (!key.startsWith(head)) continue;
        const match = /^(\d+)\./.exec(key.slice(head.length));
        if (match) indexes.add(Number(match[1]));
      }
    }
    return [...indexes]
      .sort((a, b) => a - b)
      .map((index) => {
        const form = [...this.values.keys()].some((key) =>
          key.startsWith(`${this.prefix}${name}.${member}.${index}.`),
        )
          ? member
          : 'member';
        return new QueryParams(this.values, `${this.prefix}${name}.${form}.${index}.`);
      });
  }

  /** The RDS `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M` structure. */
  filters(): Filter[] {
    return this.structList('Filters', 'Filter').map((filter) => ({
      name: filter.requiredString('Name'),
      values: filter.list('Values', 'Value') ?? [],
    }));
  }

  private indexed(name: string, member: string): Map<number, string> {
    const items = new Map<number, string>();
    for (const form of [member, 'member']) {
      const head = `${this.prefix}${name}.${form}.`;
      for (const [key, value] of this.values) {
        if (!key.startsWith(head)) continue;
        const rest = key.slice(head.length);
        if (!/^\d+$/.test(rest) || Number(rest) < 1) continue;
        items.set(Number(rest), value);
      }
    }
    return items;
  }
}
