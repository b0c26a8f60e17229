/**
 * Reads a Query-protocol request's flat parameters (`Name=value`, `List.Member.N`, `Struct.Member`) into
 * typed values. Bad values are refused with the error codes AWS uses, naming the parameter.
 */
import { fault } from '../control/faults.js';
import type { Filter } from '../control/inputs.js';
import { parseTimestamp } from './timestamps.js';

/** The most parameters one request may carry; the SDKs send a few dozen at most. */
export const MAX_PARAMETERS = 1000;

/**
 * The parameters as a tree of their dot-separated name segments (`Filters` → `Filter` → `1` → `Name`), built
 * in one pass, so reading a list or a structure looks only at its own members: the work is linear in the
 * request's size, however many list items it carries.
 */
interface ParamNode {
  value?: string;
  children?: Map<string, ParamNode>;
}

export class QueryParams {
  private readonly node: ParamNode;
  /** The scope's name prefix (`Filters.Filter.2.`), for the parameter names in error messages. */
  private readonly prefix: string;

  private constructor(node: ParamNode, prefix = '') {
    this.node = node;
    this.prefix = prefix;
  }

  /**
   * The parameters of all sources; a name's first occurrence wins. More than `maxParameters` is refused,
   * before any of them is read.
   */
  static fromSearchParams(sources: URLSearchParams[], maxParameters = MAX_PARAMETERS): QueryParams {
    const count = sources.reduce((sum, source) => sum + source.size, 0);
    if (count > maxParameters) {
      throw fault(
        'MalformedQueryString',
        `The request has ${count.toLocaleString('en-US')} parameters; ` +
          `the sandbox accepts at most ${maxParameters.toLocaleString('en-US')}.`,
      );
    }
    const root: ParamNode = {};
    for (const source of sources) {
      for (const [key, value] of source) {
        const node = descend(root, key.split('.'), true) as ParamNode;
        node.value ??= value;
      }
    }
    return new QueryParams(root);
  }

  has(name: string): boolean {
    return this.string(name) !== undefined;
  }

  string(name: string): string | undefined {
    return descend(this.node, name.split('.'), false)?.value;
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
    const items = new Map<number, string>();
    for (const [index, node] of this.members(name, member)) {
      if (index >= 1 && node.value !== undefined) items.set(index, node.value);
    }
    if (items.size > 0) return [...items.entries()].sort(([a], [b]) => a - b).map(([, value]) => value);
    return this.has(name) ? [] : undefined;
  }

  /** A list of structures (`Name.Member.N.Field`), each read through its own scoped QueryParams. */
  structList(name: string, member: string): QueryParams[] {
    const items = new Map<number, QueryParams>();
    // The model's member name wins over "member" when a request uses both for one index.
    for (const form of ['member', member]) {
      for (const [index, node, segment] of this.members(name, form, true)) {
        if (node.children?.size)
          items.set(index, new QueryParams(node, `${this.prefix}${name}.${form}.${segment}.`));
      }
    }
    return [...items.entries()].sort(([a], [b]) => a - b).map(([, scoped]) => scoped);
  }

  /** The RDS `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M` structure. */
  filters(): Filter[] {
    return this.structList('Filters', 'Filter').map((filter) => ({
      name: filter.requiredString('Name'),
      values: filter.list('Values', 'Value') ?? [],
    }));
  }

  /** The numbered members of `Name.Member.*` and then of `Name.member.*` (or only `form`'s, when `only`). */
  private *members(
    name: string,
    member: string,
    only = false,
  ): Generator<[index: number, node: ParamNode, segment: string]> {
    const list = descend(this.node, name.split('.'), false);
    const forms = only || member === 'member' ? [member] : [member, 'member'];
    for (const form of forms) {
      for (const [segment, node] of list?.children?.get(form)?.children ?? []) {
        if (/^\d+$/.test(segment)) yield [Number(segment), node, segment];
      }
    }
  }
}

/** The node at `path` below `node`; with `create`, missing nodes are added on the way. */
function descend(node: ParamNode, path: string[], create: boolean): ParamNode | undefined {
  let current = node;
  for (const segment of path) {
    let next = current.children?.get(segment);
    if (!next) {
      if (!create) return undefined;
      next = {};
      (current.children ??= new Map()).set(segment, next);
    }
    current = next;
  }
  return current;
}
