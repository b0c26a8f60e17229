/**
 * Assembling a runbook from its files: the `extends` chain (inputs and connections merged, steps and
 * finally inherited unless given) and `include` items expanded in place. Every piece keeps the file and
 * pointer it came from, so later checks report positions in the file where the text is.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { capturedNamesOf } from '../steps/statics.js';
import { didYouMean } from './did-you-mean.js';
import { error } from './diagnostic.js';
import { resolveInputValue } from './inputs.js';
import { prefixedCapture, prefixedId, rewriteString, type ParamValue, type Renames } from './instantiate.js';
import { loadYamlFile, type LoadedFile, type ReadFile } from './load.js';
import { joinPointer } from './pointer.js';
import { COMMON_STEP_KEYS } from './schema/build.js';
import { validateSchema } from './schema/validate.js';
import type { Rewrite, SourceMap, TextOrigin } from './source-map.js';
import { isTemplate } from './template.js';
import type { CompiledStep, Diagnostic, InputType, StepTypeName } from './types.js';

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

/** A step mapping as written (for a parameterised group's step: as instantiated), before compilation. */
export interface RawStep extends Located<Mapping> {
  cleanup: boolean;
  /** For a step of a step group: the parameters the group declares (for the reference checks). */
  group?: { file: string; params: string[] };
  /** For a step of a step group: the include of the runbook it came from (see CompiledStep.include). */
  include?: { file: string; index: number };
}

/** An `include` item and what the included group requires of the runbook. */
export interface IncludeSite extends Located<Mapping> {
  target: string;
  requires: { inputs: Located<string>[]; connections: Located<string>[] };
}

/** A parameter a step group declares under `params:`. */
export interface ParamSpec {
  name: string;
  type: InputType;
  default?: ParamValue;
}

/** How the steps of one list are instantiated: the runbook's own lists have no level. */
interface Level {
  /** The runbook's include this level descends from. */
  include: { file: string; index: number };
  params: Map<string, ParamValue>;
  /** Where each template-valued parameter was written (an include's `with:`). */
  origins: Map<string, TextOrigin>;
  renames: Renames;
  /** The group file's map as this instance sees it (rewritten strings, renamed keys). */
  map: SourceMap;
  rewrites: Map<number, Rewrite>;
  aliases: Map<string, string>;
  declared: string[];
}

const COMMON = new Set<string>(COMMON_STEP_KEYS);

/** The step as the step facets see it, enough to ask which names it captures. */
function facetView(item: Mapping): CompiledStep {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) if (!COMMON.has(key)) fields[key] = value;
  return {
    id: typeof item.id === 'string' ? item.id : '',
    type: item.type as StepTypeName,
    fields,
    cleanup: false,
    span: { file: '', start: { line: 1, col: 1 }, end: { line: 1, col: 1 }, offset: 0, endOffset: 0 },
    spans: {},
  };
}

/** Capture names a step makes: its `capture` keys and what its type captures by nature. */
function capturesOf(item: Mapping): string[] {
  const names = isMapping(item.capture) ? Object.keys(item.capture) : [];
  for (const { value } of capturedNamesOf(facetView(item))) if (typeof value === 'string') names.push(value);
  return names;
}

const PARAM_TYPES: readonly InputType[] = ['string', 'integer', 'number', 'boolean'];

function isParamValue(value: unknown): value is ParamValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
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
  private readonly params = new Map<FileUnit, ParamSpec[]>();
  /** Includes met so far in the runbook's own lists. */
  private topIncludes = 0;

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

  /** The parameters a step group declares, with their defaults checked against their types (once per file). */
  private declaredParams(unit: FileUnit): ParamSpec[] {
    const known = this.params.get(unit);
    if (known) return known;
    const out: ParamSpec[] = [];
    this.params.set(unit, out);
    const declared = unit.data?.params;
    if (!isMapping(declared)) return out;
    const map = unit.loaded.map;
    for (const [name, spec] of Object.entries(declared)) {
      const fields = isMapping(spec) ? spec : {};
      const type = PARAM_TYPES.includes(fields.type as InputType) ? (fields.type as InputType) : 'string';
      const param: ParamSpec = { name, type };
      if (isParamValue(fields.default)) {
        const pointer = joinPointer('/params', name, 'default');
        const checked = this.checkParamValue(param, fields.default, (message) =>
          this.diagnostics.push(
            error(
              'invalid-param-value',
              `default of ${message}`,
              map.file,
              map.valueSpan(pointer),
              `change the default or the type (${type})`,
            ),
          ),
        );
        if (checked !== undefined) param.default = checked;
      }
      out.push(param);
    }
    return out;
  }

  /** A `with:` value or default converted to the parameter's type; a template is taken as it is. */
  private checkParamValue(
    param: ParamSpec,
    value: ParamValue,
    report: (message: string) => void,
  ): ParamValue | undefined {
    if (isTemplate(value)) return value;
    try {
      return resolveInputValue({ name: param.name, type: param.type }, value);
    } catch (cause) {
      report((cause as Error).message.replace(/^input "[^"]*"/, `parameter "${param.name}"`));
      return undefined;
    }
  }

  /** Step ids and capture names of a group's steps as the group sees them (nested groups' prefixes on). */
  private groupNames(unit: FileUnit, chain: string[]): { ids: Set<string>; captures: Set<string> } {
    const ids = new Set<string>();
    const captures = new Set<string>();
    const list = unit.data?.steps;
    if (!Array.isArray(list)) return { ids, captures };
    for (const item of list) {
      if (!isMapping(item)) continue;
      if (typeof item.include === 'string') {
        const file = isAbsolute(item.include) ? item.include : join(dirname(unit.loaded.file), item.include);
        const key = resolve(file);
        if (chain.includes(key)) continue;
        const inner = this.unit(file);
        if (!inner?.data || inner.kind !== 'steps') continue;
        const as = typeof item.as === 'string' ? item.as : undefined;
        const names = this.groupNames(inner, [...chain, key]);
        for (const id of names.ids) ids.add(prefixedId(as, id));
        for (const name of names.captures) captures.add(prefixedCapture(as, name));
        continue;
      }
      if (typeof item.id === 'string') ids.add(item.id);
      for (const name of capturesOf(item)) captures.add(name);
    }
    return { ids, captures };
  }

  /**
   * The level for one include of a group: its `with:` values checked against the group's `params:` (unknown,
   * missing, wrong type) and the renames its `as:` asks for. `outer` is the level of the list holding the
   * include (its `with:` values may use the outer group's parameters).
   */
  private includeLevel(
    item: Mapping,
    itemPointer: string,
    map: SourceMap,
    unit: FileUnit,
    file: string,
    chain: string[],
    outer: Level | undefined,
  ): Level {
    const declared = this.declaredParams(unit);
    const params = new Map<string, ParamValue>();
    const origins = new Map<string, TextOrigin>();
    const target = String(item.include);
    const given = isMapping(item.with) ? item.with : {};
    const names = declared.map((p) => p.name);
    for (const [name, raw] of Object.entries(given)) {
      const pointer = joinPointer(itemPointer, 'with', name);
      const param = declared.find((p) => p.name === name);
      if (!param) {
        this.diagnostics.push(
          error(
            'unknown-param',
            `"${target}" has no parameter "${name}"`,
            map.file,
            map.keySpan(pointer),
            didYouMean(name, names) ??
              (names.length
                ? `its parameters: ${names.join(', ')}`
                : 'the group declares no parameters under `params:`'),
          ),
        );
        continue;
      }
      if (!isParamValue(raw)) continue; // the schema reports it
      let value: ParamValue = raw;
      if (outer && typeof raw === 'string') {
        const rewritten = this.rewriteAt(raw, pointer, map, outer);
        if (isParamValue(rewritten)) value = rewritten;
      }
      const checked = this.checkParamValue(param, value, (message) =>
        this.diagnostics.push(
          error(
            'invalid-param-value',
            message,
            map.file,
            map.valueSpan(pointer),
            `"${target}" declares "${name}" as ${param.type}`,
          ),
        ),
      );
      if (checked !== undefined) params.set(name, checked);
      if (typeof checked === 'string' && isTemplate(checked))
        origins.set(name, { map: outer?.map ?? map, span: map.valueSpan(pointer), text: checked });
    }
    for (const param of declared) {
      if (Object.hasOwn(given, param.name)) continue;
      if (param.default !== undefined) {
        params.set(param.name, param.default);
        continue;
      }
      this.diagnostics.push(
        error(
          'missing-param',
          `"${target}" needs parameter "${param.name}" (${param.type}), which this include does not give`,
          map.file,
          map.valueSpan(joinPointer(itemPointer, 'include')),
          `add it under \`with:\`, e.g. with: {${param.name}: ...}`,
        ),
      );
    }
    const as = typeof item.as === 'string' ? item.as : undefined;
    const prefix = as === undefined ? outer?.renames.prefix : prefixedId(outer?.renames.prefix, as);
    const own = this.groupNames(unit, chain);
    const rewrites = new Map<number, Rewrite>();
    const aliases = new Map<string, string>();
    return {
      include: outer?.include ?? { file, index: this.topIncludes++ },
      params,
      origins,
      renames: { ids: own.ids, captures: own.captures, ...(prefix ? { prefix } : {}) },
      map: unit.loaded.map.instance(rewrites, aliases),
      rewrites,
      aliases,
      declared: names,
    };
  }

  /** One string of a group rewritten for its level; a problem is reported in the group's file. */
  private rewriteAt(text: string, pointer: string, map: SourceMap, level: Level): unknown {
    const result = rewriteString(text, level.params, level.renames, level.origins);
    const valueSpan = map.valueSpan(pointer);
    for (const problem of result.problems) {
      this.diagnostics.push(
        error(
          'invalid-param-value',
          problem.message,
          map.file,
          map.templateSpan(valueSpan, text, problem.offset),
          problem.hint,
        ),
      );
    }
    if (result.rewrite) level.rewrites.set(valueSpan.offset, result.rewrite);
    return result.value;
  }

  /** A step of a group as this include instantiates it. */
  private instantiate(item: Mapping, pointer: string, map: SourceMap, level: Level): Mapping {
    const deep = (value: unknown, at: string): unknown => {
      if (typeof value === 'string') return this.rewriteAt(value, at, map, level);
      if (Array.isArray(value)) return value.map((v, i) => deep(v, joinPointer(at, i)));
      if (isMapping(value)) {
        const out: Mapping = {};
        for (const [key, v] of Object.entries(value)) out[key] = deep(v, joinPointer(at, key));
        return out;
      }
      return value;
    };
    const step = deep(item, pointer) as Mapping;
    const { prefix } = level.renames;
    if (!prefix) return step;
    if (typeof item.id === 'string') step.id = prefixedId(prefix, item.id);
    if (isMapping(step.capture)) {
      const renamed: Mapping = {};
      for (const [name, template] of Object.entries(step.capture)) {
        const now = prefixedCapture(prefix, name);
        renamed[now] = template;
        level.aliases.set(joinPointer(pointer, 'capture', now), joinPointer(pointer, 'capture', name));
      }
      step.capture = renamed;
    }
    for (const { pointer: at, value } of capturedNamesOf(facetView(item))) {
      if (typeof value !== 'string') continue;
      const segments = at.split('/').slice(1);
      let node: unknown = step;
      for (const segment of segments.slice(0, -1)) node = isMapping(node) ? node[segment] : undefined;
      if (isMapping(node)) node[segments.at(-1)!] = prefixedCapture(prefix, value);
    }
    return step;
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
    level?: Level,
  ): void {
    if (!Array.isArray(list)) return;
    list.forEach((item, index) => {
      const itemPointer = joinPointer(pointer, index);
      if (!isMapping(item)) return;
      if (typeof item.include !== 'string') {
        if ('include' in item) return;
        if (!level) {
          out.push({ value: item, map, pointer: itemPointer, cleanup });
          return;
        }
        out.push({
          value: this.instantiate(item, itemPointer, map, level),
          map: level.map,
          pointer: itemPointer,
          cleanup,
          group: { file: map.file, params: level.declared },
          include: level.include,
        });
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
      const inner = this.includeLevel(item, itemPointer, map, unit, file, [...chain, key], level);
      this.expandList(
        unit.data.steps,
        unit.loaded.map,
        '/steps',
        cleanup,
        [...chain, key],
        out,
        includes,
        inner,
      );
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
