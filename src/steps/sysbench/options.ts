/**
 * The options a sysbench step may set, as sysbench's own help lists them (./options.generated.ts), for the
 * static checks and the executor. sysbench reads `-` and `_` in an option name alike (`table-size` is the
 * workload's `table_size`), so names are compared in one canonical form, with `-`.
 */
import { GENERAL_OPTIONS, WORKLOAD_OPTIONS, WORKLOADS } from './options.generated.js';

/** How sysbench reads an option's value. `size` is a byte count with an optional K/M/G/T suffix. */
export type SysbenchOptionKind = 'integer' | 'number' | 'size' | 'boolean' | 'string' | 'list';

export interface SysbenchOption {
  kind: SysbenchOptionKind;
  description: string;
  /** The default as the help prints it. */
  default?: string;
  /** The only values a string option takes, where the help lists them (`{uniform,gaussian,...}`). */
  values?: string[];
  /** A deprecated name of another option. */
  aliasOf?: string;
}

/** An option as a workload knows it: the spelling sysbench prints, and where it comes from. */
export interface KnownOption extends SysbenchOption {
  name: string;
  source: 'general' | 'workload';
}

/** The options labrun sets from the step's connection; a step's `options` cannot set them. */
export const CONNECTION_OPTIONS: readonly string[] = [
  'mysql-host',
  'mysql-port',
  'mysql-socket',
  'mysql-user',
  'mysql-password',
  'mysql-db',
  'db-driver',
];

export function canonicalOption(name: string): string {
  return name.replace(/_/g, '-');
}

export function isConnectionOption(name: string): boolean {
  return CONNECTION_OPTIONS.includes(canonicalOption(name));
}

const cache = new Map<string, ReadonlyMap<string, KnownOption>>();

/**
 * The options `workload` takes, by canonical name: the general and mysql driver options, then the
 * workload's own. Undefined for a workload sysbench does not have built in.
 */
export function workloadOptions(workload: string): ReadonlyMap<string, KnownOption> | undefined {
  if (!Object.hasOwn(WORKLOADS, workload)) return undefined;
  let options = cache.get(workload);
  if (!options) {
    const map = new Map<string, KnownOption>();
    for (const [name, option] of Object.entries(GENERAL_OPTIONS))
      map.set(canonicalOption(name), { ...option, name, source: 'general' });
    for (const name of WORKLOADS[workload]!)
      map.set(canonicalOption(name), { ...WORKLOAD_OPTIONS[name]!, name, source: 'workload' });
    options = map;
    cache.set(workload, options);
  }
  return options;
}
