/**
 * Assembling a runbook from its files: the `extends` chain (inputs and connections merged, steps and
 * finally inherited unless given) and `include` items expanded in place. Every piece keeps the file and
 * pointer it came from, so later checks report positions in the file where the text is.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { error } from './diagnostic.js';
import { loadYamlFile, type LoadedFile, type ReadFile } from './load.js';
import { joinPointer } from './pointer.js';
import { validateSchema } from './schema/validate.js';
import type { SourceMap } from './source-map.js';
import type { Diagnostic } from './types.js';

export type Mapping = Record<string, unknown>;

export function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** One parsed and schema-checked file. */
export interface FileUnit {
  loaded: LoadedFile;
  /** The data, when the file parsed into a mapping. */
  data?: Mapping;
  kind: 'runbook' | 'steps';
}

/** A piece of data with the file and pointer it came from. */
export interface Located<T = unknown> {
  value: T;
  map: SourceMap;
  pointer: string;
}

/** A step mapping as written, before compilation. */
export interface RawStep extends Located<Mapping> {
  cleanup: boolean;
}

/** An `include` item and what the included group requires of the runbook. */
export interface IncludeSite extends Located<Mapping> {
  target: string;
  requires: { inputs: Located<string>[]; connections: Located<string>[] };
}

export interface AssembledRunbook {
  main: FileUnit;
  name?: Located<string>;
  title?: string;
  description?: string;
  /** Input name -> the entries that define it, base runbook first (a child's fields override). */
  inputs: Map<string, Located<Mapping>[]>;
  connections: Map<string, Located<Mapping>>;
  /** The `disposable` declaration of the nearest runbook in the extends chain that has one. */
  disposable?: Located<Mapping>;
  steps: RawStep[];
  finally: RawStep[];
  includes: IncludeSite[];
}

export class Assembler {
  readonly diagnostics: Diagnostic[] = [];
  /** Text of every file read, by path as reported. */
  readonly sources: Record<string, string> = {};
  private readonly units = new Map<string, FileUnit | null>();

  constructor(private readonly read?: ReadFile) {}

  /** Load, parse and schema-check a file once; null when it cannot be used at all. */
  unit(file: string): FileUnit | null {
    const key = resolve(file);
    if (this.units.has(key)) return this.units.get(key)!;
    const loaded = loadYamlFile(file, this.read);
    this.diagnostics.push(...loaded.diagnostics);
    if (loaded.text !== '' || loaded.diagnostics.length === 0) this.sources[file] = loaded.text;
    let unit: FileUnit | null = null;
    if (isMapping(loaded.value)) {
      const data = loaded.value;
      this.diagnostics.push(...validateSchema(data, loaded.map));
      unit = { loaded, data, kind: data.kind === 'steps' ? 'steps' : 'runbook' };
    } else if (loaded.value !== undefined) {
      unit = null;
    }
    this.units.set(key, unit);
    return unit;
  }

  /** Whether a referenced file exists (as far as the reader can tell) — a missing one gets its own message. */
  private fileMissing(file: string): boolean {
    const loaded = this.units.get(resolve(file));
    return loaded === null && this.diagnostics.some((d) => d.file === file && d.code === 'file-unreadable');
  }

  private referencedUnit(
    from: SourceMap,
    pointer: string,
    target: string,
    what: 'include' | 'extends',
  ): { file: string; unit: FileUnit | null } {
    const file = isAbsolute(target) ? target : join(dirname(from.file), target);
    const before = this.diagnostics.length;
    const unit = this.unit(file);
    if (this.fileMissing(file)) {
      // Replace the bare "cannot read" with one that points at the reference.
      const index = this.diagnostics.findIndex(
        (d, i) => i >= before && d.file === file && d.code === 'file-unreadable',
      );
      const reason =
        index >= 0
          ? this.diagnostics[index]!.message.replace(/^cannot read the file: /, '')
          : 'cannot read it';
      if (index >= 0) this.diagnostics.splice(index, 1);
      this.diagnostics.push(
        error(
          'include-not-found',
          `${what === 'include' ? 'included' : 'extended'} file "${target}" not found (${file}: ${reason})`,
          from.file,
          from.valueSpan(pointer),
          'paths are relative to the file that names them',
        ),
      );
    }
    return { file, unit };
  }

  /** Expand a steps/finally list, following includes; `chain` holds the files being expanded. */
  private expandList(
    list: unknown,
    map: SourceMap,
    pointer: string,
    cleanup: boolean,
    chain: string[],
    out: RawStep[],
    includes: IncludeSite[],
  ): void {
    if (!Array.isArray(list)) return;
    list.forEach((item, index) => {
      const itemPointer = joinPointer(pointer, index);
      if (!isMapping(item)) return;
      if (typeof item.include !== 'string') {
        if (!('include' in item)) out.push({ value: item, map, pointer: itemPointer, cleanup });
        return;
      }
      const target = item.include;
      const includePointer = joinPointer(itemPointer, 'include');
      const file = isAbsolute(target) ? target : join(dirname(map.file), target);
      const key = resolve(file);
      if (chain.includes(key)) {
        const cycle = [...chain.slice(chain.indexOf(key)), key].map((f) => relativeName(f, chain[0]!));
        this.diagnostics.push(
          error(
            'include-cycle',
            `include cycle: ${cycle.join(' -> ')}`,
            map.file,
            map.valueSpan(includePointer),
            'a step group cannot include itself, directly or through other groups',
          ),
        );
        return;
      }
      const { unit } = this.referencedUnit(map, includePointer, target, 'include');
      if (!unit?.data) return;
      if (unit.kind !== 'steps') {
        this.diagnostics.push(
          error(
            'include-invalid',
            `"${target}" is not a step group (kind: steps), so it cannot be included`,
            map.file,
            map.valueSpan(includePointer),
            'use `extends` to build on another runbook, or add `kind: steps` to the included file',
          ),
        );
        return;
      }
      const requires = isMapping(unit.data.requires) ? unit.data.requires : {};
      const names = (field: 'inputs' | 'connections'): Located<string>[] => {
        const values = requires[field];
        if (!Array.isArray(values)) return [];
        return values
          .map((value, i) => ({ value, map: unit.loaded.map, pointer: joinPointer('/requires', field, i) }))
          .filter((entry): entry is Located<string> => typeof entry.value === 'string');
      };
      includes.push({
        value: item,
        map,
        pointer: itemPointer,
        target,
        requires: { inputs: names('inputs'), connections: names('connections') },
      });
      this.expandList(unit.data.steps, unit.loaded.map, '/steps', cleanup, [...chain, key], out, includes);
    });
  }

  /** Assemble the runbook in `file`; undefined when the main file is unusable. */
  assemble(file: string): AssembledRunbook | undefined {
    const main = this.unit(file);
    if (!main?.data) return undefined;
    if (main.kind === 'steps') {
      this.diagnostics.push(
        error(
          'usage',
          'this file is a step group (kind: steps); it runs only when a runbook includes it',
          file,
          main.loaded.map.valueSpan('/kind'),
          'validate or run a runbook that includes this file',
        ),
      );
      return undefined;
    }

    // The extends chain, child first.
    const chain: FileUnit[] = [main];
    const seen = [resolve(file)];
    for (let current = main; typeof current.data?.extends === 'string';) {
      const target = current.data.extends;
      const map = current.loaded.map;
      const parentFile = isAbsolute(target) ? target : join(dirname(map.file), target);
      const key = resolve(parentFile);
      if (seen.includes(key)) {
        const cycle = [...seen.slice(seen.indexOf(key)), key].map((f) => relativeName(f, seen[0]!));
        this.diagnostics.push(
          error(
            'include-cycle',
            `extends cycle: ${cycle.join(' -> ')}`,
            map.file,
            map.valueSpan('/extends'),
            'a runbook cannot extend itself, directly or through others',
          ),
        );
        break;
      }
      seen.push(key);
      const { unit } = this.referencedUnit(map, '/extends', target, 'extends');
      if (!unit?.data) break;
      if (unit.kind === 'steps') {
        this.diagnostics.push(
          error(
            'include-invalid',
            `"${target}" is a step group (kind: steps); a runbook can only extend another runbook`,
            map.file,
            map.valueSpan('/extends'),
            'use `include` in a step list to add a step group',
          ),
        );
        break;
      }
      chain.push(unit);
      current = unit;
    }

    const assembled: AssembledRunbook = {
      main,
      inputs: new Map(),
      connections: new Map(),
      steps: [],
      finally: [],
      includes: [],
    };
    const nameValue = main.data.name;
    if (typeof nameValue === 'string')
      assembled.name = { value: nameValue, map: main.loaded.map, pointer: '/name' };
    if (typeof main.data.title === 'string') assembled.title = main.data.title;
    if (typeof main.data.description === 'string') assembled.description = main.data.description;

    // Base first, so a child's entries override.
    let stepsFrom: FileUnit | undefined;
    let finallyFrom: FileUnit | undefined;
    for (const unit of [...chain].reverse()) {
      const data = unit.data!;
      const map = unit.loaded.map;
      if (isMapping(data.inputs)) {
        for (const [name, spec] of Object.entries(data.inputs)) {
          const entry = { value: isMapping(spec) ? spec : {}, map, pointer: joinPointer('/inputs', name) };
          assembled.inputs.set(name, [...(assembled.inputs.get(name) ?? []), entry]);
        }
      }
      if (isMapping(data.connections)) {
        for (const [name, spec] of Object.entries(data.connections)) {
          assembled.connections.set(name, {
            value: isMapping(spec) ? spec : {},
            map,
            pointer: joinPointer('/connections', name),
          });
        }
      }
      if (isMapping(data.disposable))
        assembled.disposable = { value: data.disposable, map, pointer: '/disposable' };
      if ('steps' in data) stepsFrom = unit;
      if ('finally' in data) finallyFrom = unit;
    }
    if (stepsFrom) {
      const key = resolve(stepsFrom.loaded.file);
      this.expandList(
        stepsFrom.data!.steps,
        stepsFrom.loaded.map,
        '/steps',
        false,
        [key],
        assembled.steps,
        assembled.includes,
      );
    }
    if (finallyFrom) {
      const key = resolve(finallyFrom.loaded.file);
      this.expandList(
        finallyFrom.data!.finally,
        finallyFrom.loaded.map,
        '/finally',
        true,
        [key],
        assembled.finally,
        assembled.includes,
      );
    }
    return assembled;
  }
}

function relativeName(file: string, base: string): string {
  const baseDir = dirname(base);
  return file.startsWith(`${baseDir}/`) ? file.slice(baseDir.length + 1) : file;
}
