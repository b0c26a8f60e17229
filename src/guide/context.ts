/**
 * What a step translator works with: the values of inputs as this guide writes them, the shell variables of
 * captures and of step results read later, connections as shell words, and templates turned into shell words
 * (helpers such as isoSecond and addSeconds become `date` commands). Anything that has no faithful shell
 * form is a GuideError at the step's line.
 */
import {
  templateReferences,
  templateTree,
  renderTemplate,
  stringify,
  type TemplateTree,
} from '../runbook/template.js';
import type { CompiledRunbook, CompiledStep, SourceSpan } from '../runbook/types.js';
import type { GuideInput } from './inputs.js';
import type { ShellNames } from './names.js';
import { quote, text, variable, type Word } from './shell.js';

export type GuideFormat = 'md' | 'sh';

/** A step that cannot be written as commands a person types. */
export class GuideError extends Error {
  constructor(
    message: string,
    readonly span?: SourceSpan,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'GuideError';
  }
}

/** A value a step must leave in a shell variable: one of its captures, or a result a later step reads. */
export interface Wanted {
  variable: string;
  /** Path inside the step's result, e.g. ['DBClusters', '0', 'Endpoint']. */
  path: string[];
  /** The capture's name, when it is one. */
  capture?: string;
}

export interface ConnectionWords {
  host: Word;
  port: Word;
  user: Word;
  password: Word;
  database?: Word;
}

const UNTRANSLATABLE_HINT =
  'give the step a `guide: {commands: ...}` field with the shell commands that do the same by hand';

export class GuideContext {
  /** Inputs the commands refer to as shell variables (the script sets them; the guide explains them). */
  readonly variableInputs = new Set<string>();
  /** Inputs written as `[name]` placeholders. */
  readonly placeholders = new Set<string>();
  /** Connections whose password the commands need, by the password's shell word. */
  readonly passwords = new Set<string>();
  /** Whether any command is an aws CLI command. */
  usesAws = false;
  /** Shell words the script reads as durations (`seconds_of`), checked once before the lab starts. */
  readonly scriptDurations = new Set<string>();
  private readonly wantedBySteps = new Map<string, Wanted[]>();

  constructor(
    readonly format: GuideFormat,
    readonly runbook: CompiledRunbook,
    readonly inputs: Map<string, GuideInput>,
    readonly names: ShellNames,
    readonly env: Record<string, string | undefined>,
  ) {
    const steps = [...runbook.steps, ...runbook.finally];
    for (const step of steps) {
      for (const [name, template] of Object.entries(step.capture ?? {})) {
        // A step that gives its own commands sets its captures' variables itself.
        if (step.guide?.commands) {
          this.captureVariable(name);
          continue;
        }
        const path = resultPath(template);
        if (!path) {
          throw new GuideError(
            `step ${step.id}: capture ${name} is not a plain {{result...}} path, so the guide cannot read it with a query`,
            step.spans[`/capture/${name}`] ?? step.span,
            UNTRANSLATABLE_HINT,
          );
        }
        this.want(step.id, { variable: this.captureVariable(name), path, capture: name });
      }
    }
    const templates = (value: unknown): string[] =>
      typeof value === 'string'
        ? [value]
        : Array.isArray(value)
          ? value.flatMap(templates)
          : value && typeof value === 'object'
            ? Object.values(value).flatMap(templates)
            : [];
    const sources = [
      ...steps.flatMap((step) => templates([step.fields, step.if ?? ''])),
      ...Object.values(runbook.connections).flatMap((c) => [
        c.host,
        String(c.port),
        c.user,
        c.password,
        c.database ?? '',
      ]),
    ];
    for (const source of sources) {
      let references: ReturnType<typeof templateReferences> = [];
      try {
        references = templateReferences(source);
      } catch {
        continue;
      }
      for (const { path } of references) {
        if (path[0] !== 'steps' || path[2] !== 'result' || path.length < 4) continue;
        const id = path[1]!;
        const rest = path.slice(3);
        this.want(id, {
          variable: this.names.name(`result:${id}/${rest.join('/')}`, `${id}_${rest[rest.length - 1]}`),
          path: rest,
        });
      }
    }
  }

  private want(stepId: string, wanted: Wanted): void {
    const list = this.wantedBySteps.get(stepId) ?? [];
    if (!list.some((w) => w.variable === wanted.variable)) list.push(wanted);
    this.wantedBySteps.set(stepId, list);
  }

  /** The values a step must leave in shell variables. */
  wanted(step: CompiledStep): Wanted[] {
    return this.wantedBySteps.get(step.id) ?? [];
  }

  captureVariable(name: string): string {
    return this.names.name(`capture:${name}`, name);
  }

  fail(step: CompiledStep, pointer: string, message: string, hint = UNTRANSLATABLE_HINT): never {
    throw new GuideError(`step ${step.id}: ${message}`, step.spans[pointer] ?? step.span, hint);
  }

  inputWord(name: string): Word {
    const input = this.inputs.get(name);
    if (!input) return [{ kind: 'placeholder', name }];
    if (input.spec.secret || this.format === 'sh') {
      this.variableInputs.add(name);
      return variable(input.shellName);
    }
    if (input.value !== undefined) return text(String(input.value));
    if (input.spec.env) {
      this.variableInputs.add(name);
      return variable(input.shellName);
    }
    this.placeholders.add(name);
    return [{ kind: 'placeholder', name }];
  }

  /** The generation-time scope: known inputs and, with a target, its environment. */
  private knownScope(): Record<string, unknown> {
    const inputs: Record<string, unknown> = {};
    for (const [name, input] of this.inputs) if (input.value !== undefined) inputs[name] = input.value;
    return { inputs, env: this.env };
  }

  /**
   * The value as known when the guide is written (a literal, or a template over known inputs), or undefined.
   * Used where a shell variable cannot stand: durations, boolean flags, conditions.
   */
  known(value: unknown): { value: unknown } | undefined {
    if (typeof value !== 'string') return { value };
    try {
      return { value: renderTemplate(value, this.knownScope()) };
    } catch {
      return undefined;
    }
  }

  /** A field value (template or literal) as a shell word. */
  word(step: CompiledStep | undefined, pointer: string, value: unknown): Word {
    if (typeof value !== 'string') return text(stringify(value));
    const tree = this.parse(step, pointer, value);
    // In the guide, a template over known inputs only is written as its value (helpers applied).
    if (this.format === 'md' && this.onlyKnownInputs(tree)) {
      const known = this.known(value);
      if (known) return text(stringify(known.value));
    }
    return this.translate(step, pointer, tree);
  }

  private parse(step: CompiledStep | undefined, pointer: string, value: string): TemplateTree {
    try {
      return templateTree(value);
    } catch (error) {
      throw new GuideError(
        `${step ? `step ${step.id}: ` : ''}${(error as Error).message}`,
        step?.spans[pointer] ?? step?.span,
      );
    }
  }

  private onlyKnownInputs(tree: TemplateTree): boolean {
    switch (tree.kind) {
      case 'text':
      case 'literal':
        return true;
      case 'path':
        return tree.path[0] === 'inputs' && this.inputs.get(tree.path[1] ?? '')?.value !== undefined;
      case 'call':
        return tree.args.every((arg) => this.onlyKnownInputs(arg));
      case 'block':
        return [tree.condition, ...tree.then, ...tree.else].every((t) => this.onlyKnownInputs(t));
      case 'concat':
        return tree.parts.every((t) => this.onlyKnownInputs(t));
    }
  }

  private translate(step: CompiledStep | undefined, pointer: string, tree: TemplateTree): Word {
    const fail = (message: string): never => {
      if (step) this.fail(step, pointer, message);
      throw new GuideError(message);
    };
    switch (tree.kind) {
      case 'text':
        return text(tree.text);
      case 'literal':
        return text(stringify(tree.value));
      case 'concat':
        return tree.parts.flatMap((part) => this.translate(step, pointer, part));
      case 'path':
        return this.reference(tree.path) ?? fail(`"${tree.path.join('.')}" has no shell form in a guide`);
      case 'call':
        return (
          this.helper(step, pointer, tree.helper, tree.args) ??
          fail(`the helper "${tree.helper}" has no shell form in a guide`)
        );
      case 'block': {
        const condition = this.onlyKnownInputs(tree.condition) ? this.evaluate(tree.condition) : undefined;
        if (condition === undefined)
          return fail(`{{#${tree.helper}}} on a value known only at run time has no shell form`);
        const branch = condition.truthy === (tree.helper === 'if') ? tree.then : tree.else;
        return branch.flatMap((part) => this.translate(step, pointer, part));
      }
    }
  }

  private evaluate(tree: TemplateTree): { truthy: boolean } | undefined {
    if (tree.kind === 'literal') return { truthy: Boolean(tree.value) };
    if (tree.kind === 'path' && tree.path[0] === 'inputs') {
      const known = this.known(`{{#if ${tree.path.join('.')}}}1{{/if}}`);
      return known ? { truthy: known.value === '1' } : undefined;
    }
    return undefined;
  }

  private reference(path: string[]): Word | undefined {
    const [root, name, ...rest] = path;
    if (name === undefined) return undefined;
    if (root === 'inputs' && rest.length === 0) return this.inputWord(name);
    if (root === 'captures' && rest.length === 0) return variable(this.captureVariable(name));
    if (root === 'env' && rest.length === 0) {
      if (this.format === 'md' && this.env[name] !== undefined) return text(this.env[name]!);
      return variable(name);
    }
    if (root === 'steps' && rest[0] === 'result' && rest.length > 1) {
      const wanted = this.wantedBySteps.get(name)?.find((w) => w.path.join('/') === rest.slice(1).join('/'));
      return wanted ? variable(wanted.variable) : undefined;
    }
    return undefined;
  }

  /** Time helpers as GNU `date` commands; the others have no shell form. */
  private helper(
    step: CompiledStep | undefined,
    pointer: string,
    name: string,
    args: TemplateTree[],
  ): Word | undefined {
    const date = (instant: TemplateTree, format: string, offset?: TemplateTree): Word | undefined => {
      let when = this.translate(step, pointer, instant);
      if (offset) {
        if (offset.kind !== 'literal' || typeof offset.value !== 'number' || !Number.isInteger(offset.value))
          return undefined;
        const n = offset.value;
        when = [...when, ...text(` ${n < 0 ? '-' : '+'} ${Math.abs(n)} seconds`)];
      }
      return [{ kind: 'command', code: `date -u -d ${quote(when)} +${format}` }];
    };
    const SECOND = '%Y-%m-%dT%H:%M:%SZ';
    const MICRO = '%Y-%m-%dT%H:%M:%S.%6NZ';
    switch (name) {
      case 'isoSecond': {
        const [instant] = args;
        if (!instant) return undefined;
        if (instant.kind === 'call' && instant.helper === 'addSeconds' && instant.args.length === 2)
          return date(instant.args[0]!, SECOND, instant.args[1]);
        if (instant.kind === 'call' && instant.helper === 'iso' && instant.args.length === 1)
          return date(instant.args[0]!, SECOND);
        return date(instant, SECOND);
      }
      case 'iso':
        return args[0] ? date(args[0], MICRO) : undefined;
      case 'addSeconds':
        return args.length === 2 ? date(args[0]!, MICRO, args[1]) : undefined;
      case 'now':
        return [{ kind: 'command', code: 'date -u +%Y-%m-%dT%H:%M:%S.%3NZ' }];
      default:
        return undefined;
    }
  }

  connection(step: CompiledStep, name: string): ConnectionWords {
    const spec = this.runbook.connections[name];
    if (!spec) this.fail(step, '/connection', `unknown connection "${name}"`);
    const field = (key: string, value: unknown): Word => {
      try {
        return this.word(undefined, key, value);
      } catch (error) {
        throw new GuideError(
          `connection ${name}: ${(error as Error).message}`,
          spec.fieldSpans[key] ?? spec.span,
          UNTRANSLATABLE_HINT,
        );
      }
    };
    const words: ConnectionWords = {
      host: field('host', spec.host),
      port: field('port', spec.port),
      user: field('user', spec.user),
      password: field('password', spec.password),
    };
    if (spec.database !== undefined && spec.database !== '')
      words.database = field('database', spec.database);
    if (spec.password !== '') this.passwords.add(quote(words.password));
    return words;
  }
}

/** `{{result.a.0.b}}` -> ['a', '0', 'b']; undefined for any other template. */
export function resultPath(template: string): string[] | undefined {
  try {
    const tree = templateTree(template);
    if (tree.kind === 'path' && tree.path[0] === 'result' && tree.path.length > 1) return tree.path.slice(1);
  } catch {
    return undefined;
  }
  return undefined;
}

/** A result path as JMESPath for `--query`: ['DBClusters', '0', 'Endpoint'] -> DBClusters[0].Endpoint. */
export function jmesPath(path: string[]): string {
  let out = '';
  for (const segment of path) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `${out === '' ? '' : '.'}"${segment.replace(/["\\]/g, (c) => `\\${c}`)}"`;
  }
  return out;
}
