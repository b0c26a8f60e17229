/**
 * Checks that need the whole assembled runbook: unique step ids; every template well formed and every
 * reference defined before use (inputs declared, captures captured by an earlier step, steps earlier in
 * the run, `result` only where a result exists); connection names; AWS operation names; input defaults;
 * what included step groups require. What is particular to a step type (which fields name a connection,
 * where `result` is in scope, what it captures by its nature, which names must exist) comes from the type's
 * facets (src/steps/statics.ts).
 */
import { capturedNamesOf, connectionsOf, nameProblemsOf, stepStatics } from '../steps/statics.js';
import { didYouMean } from './did-you-mean.js';
import { error } from './diagnostic.js';
import type { AssembledRunbook, Located, RawStep } from './expand.js';
import { isMapping } from './expand.js';
import { resolveInputValue } from './inputs.js';
import { joinPointer } from './pointer.js';
import type { SourceMap } from './source-map.js';
import { checkTemplate, isTemplate, templateReferences, type TemplateReference } from './template.js';
import type { CompiledStep, ConnectionSpec, Diagnostic, InputSpec, SourceSpan } from './types.js';

const SCOPE_ROOTS = ['inputs', 'captures', 'steps', 'env', 'result'];

export interface CheckSubject {
  assembled: AssembledRunbook;
  inputs: InputSpec[];
  connections: Record<string, ConnectionSpec>;
  /** Steps then finally steps, in run order, each with the raw step it was compiled from. */
  steps: Array<{ step: CompiledStep; raw: RawStep }>;
}

/** A template string somewhere in the runbook and what its references may use. */
interface TemplateSite {
  text: string;
  map: SourceMap;
  pointer: string;
  /** `result` is in scope (a step's capture templates, a wait-until value). */
  allowResult: boolean;
  /** For a step of a step group: the parameters it declares (a reference left is not one of them). */
  group?: { file: string; params: string[] };
}

interface CaptureDefinition {
  name: string;
  stepIndex: number;
  stepId: string;
  span: SourceSpan;
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

function at(span: SourceSpan): string {
  return `line ${span.start.line}, column ${span.start.col}`;
}

export function checkRunbook(subject: CheckSubject): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { assembled, steps } = subject;
  const inputNames = subject.inputs.map((input) => input.name);
  const connectionNames = Object.keys(subject.connections);
  const firstFinally = steps.findIndex(({ step }) => step.cleanup);
  const finallyStart = firstFinally < 0 ? steps.length : firstFinally;

  // Step ids: unique across steps and finally.
  const idIndex = new Map<string, number>();
  steps.forEach(({ step, raw }, index) => {
    if (!step.id) return;
    const first = idIndex.get(step.id);
    if (first === undefined) {
      idIndex.set(step.id, index);
      return;
    }
    const firstSpan = steps[first]!.step.spans['/id'] ?? steps[first]!.step.span;
    const where =
      firstSpan.file === raw.map.file
        ? at(firstSpan)
        : `${firstSpan.file}:${firstSpan.start.line}:${firstSpan.start.col}`;
    const span = raw.map.valueSpan(joinPointer(raw.pointer, 'id'));
    const sameText = span.file === firstSpan.file && span.offset === firstSpan.offset;
    out.push(
      error(
        'duplicate-step-id',
        `duplicate step id "${step.id}" (first used at ${where})`,
        raw.map.file,
        span,
        sameText
          ? 'this step group is included more than once; give each include its own `as:` (as: restore gives restore-<id>)'
          : 'step ids must be unique across steps and finally; rename one',
      ),
    );
  });

  // Captures: who defines each name, in run order.
  const captures: CaptureDefinition[] = [];
  steps.forEach(({ step, raw }, index) => {
    for (const name of Object.keys(step.capture ?? {})) {
      captures.push({
        name,
        stepIndex: index,
        stepId: step.id,
        span: raw.map.keySpan(joinPointer(raw.pointer, 'capture', name)),
      });
    }
    for (const { pointer, value } of capturedNamesOf(step)) {
      captures.push({
        name: String(value),
        stepIndex: index,
        stepId: step.id,
        span: raw.map.valueSpan(raw.pointer + pointer),
      });
    }
  });
  const captureNames = [...new Set(captures.map((c) => c.name))];
  const requiredButMissing = new Set(
    assembled.includes
      .flatMap((include) => include.requires.inputs.map((required) => required.value))
      .filter((name) => !inputNames.includes(name)),
  );

  const report = (
    site: TemplateSite,
    ref: TemplateReference,
    code: Diagnostic['code'],
    message: string,
    hint?: string,
  ) => {
    const span = site.map.templateSpan(site.map.valueSpan(site.pointer), site.text, ref.offset);
    out.push(error(code, message, site.map.file, span, hint));
  };

  /** Check one reference as seen from step `index` (steps.length for connection templates, -1 for "no step"). */
  const checkReference = (
    site: TemplateSite,
    ref: TemplateReference,
    index: number,
    inConnection: boolean,
  ) => {
    const [root, name, third] = ref.path;
    const shown = ref.path.join('.');
    if (root === undefined) return;
    if (root === 'params') {
      // Parameters a group declares were replaced when it was included; what is left is not declared.
      const declared = site.group?.params ?? [];
      // A declared one left here had no value: the include was reported for it.
      if (name !== undefined && declared.includes(name)) return;
      const where = site.group
        ? `the step group declares ${declared.length ? `parameters ${declared.join(', ')}` : 'no parameters'}`
        : '`params` exists only in a step group (kind: steps) that declares them under `params:`';
      report(
        site,
        ref,
        'unknown-reference',
        `unknown parameter "${name ?? ''}" in "${shown}": ${where}`,
        name !== undefined && site.group
          ? (didYouMean(name, declared) ?? `declare it under \`params:\` in ${site.group.file}`)
          : undefined,
      );
      return;
    }
    if (!SCOPE_ROOTS.includes(root)) {
      const suggestion = didYouMean(root, SCOPE_ROOTS);
      report(
        site,
        ref,
        'unknown-reference',
        `unknown reference "${shown}": templates start with inputs, captures, steps, env or result`,
        suggestion,
      );
      return;
    }
    if (name === undefined) return;
    switch (root) {
      case 'inputs':
        // A group's `requires` already reported this input as missing.
        if (!inputNames.includes(name) && !requiredButMissing.has(name)) {
          report(
            site,
            ref,
            'unknown-reference',
            `unknown input "${name}" in "${shown}"`,
            didYouMean(name, inputNames) ??
              (inputNames.length
                ? `declared inputs: ${inputNames.join(', ')}`
                : 'declare it under `inputs:`'),
          );
        }
        return;
      case 'captures': {
        const definitions = captures.filter((c) => c.name === name);
        if (definitions.length === 0) {
          report(
            site,
            ref,
            'unknown-reference',
            `unknown capture "${name}" in "${shown}": no step captures it`,
            didYouMean(name, captureNames) ?? prefixedCaptureHint(name, captureNames),
          );
          return;
        }
        if (inConnection) return;
        const inFinally = index >= finallyStart;
        const visible = definitions.some((c) => inFinally || c.stepIndex < index);
        if (!visible) {
          const later = definitions[0]!;
          report(
            site,
            ref,
            'reference-before-definition',
            `capture "${name}" is used before it is captured (step "${later.stepId}" captures it later, at ${at(later.span)})`,
            'move this step after the step that captures the value',
          );
        }
        return;
      }
      case 'steps': {
        const target = idIndex.get(name);
        if (target === undefined) {
          report(
            site,
            ref,
            'unknown-reference',
            `unknown step "${name}" in "${shown}"`,
            didYouMean(name, [...idIndex.keys()]),
          );
          return;
        }
        if (third !== undefined && third !== 'result' && third !== 'status') {
          const rest = ref.path.slice(3);
          const fixed =
            didYouMean(third, ['status']) !== undefined
              ? `steps.${name}.status`
              : didYouMean(third, ['result']) !== undefined
                ? ['steps', name, 'result', ...rest].join('.')
                : ['steps', name, 'result', ...ref.path.slice(2)].join('.');
          report(
            site,
            ref,
            'unknown-reference',
            `unknown reference "${shown}": a step is read as steps.${name}.result... (its result) or steps.${name}.status (passed, failed or skipped)`,
            `did you mean "${fixed}"?`,
          );
          return;
        }
        if (third === 'status' && ref.path.length > 3) {
          report(
            site,
            ref,
            'unknown-reference',
            `unknown reference "${shown}": steps.${name}.status is a string (passed, failed or skipped), it has no members`,
            `did you mean "steps.${name}.status"?`,
          );
          return;
        }
        if (inConnection) return;
        if (target >= index) {
          const message =
            target === index
              ? `step "${name}" refers to its own result in "${shown}"; use \`result\` in its capture templates instead`
              : `step "${name}" is referenced before it runs (it comes later, at ${at(steps[target]!.step.span)})`;
          report(
            site,
            ref,
            'reference-before-definition',
            message,
            target === index ? undefined : 'a step can only use the results of steps that ran before it',
          );
        }
        return;
      }
      case 'result':
        if (!site.allowResult) {
          report(
            site,
            ref,
            'unknown-reference',
            `"${shown}": \`result\` is only available in a step's capture templates and in a wait-until value`,
            'use captures.<name> or steps.<id>.result to read an earlier result',
          );
        }
        return;
      default:
        return;
    }
  };

  const checkSite = (site: TemplateSite, index: number, inConnection = false) => {
    if (!isTemplate(site.text)) return;
    const problems = checkTemplate(site.text);
    for (const problem of problems) {
      const span = site.map.templateSpan(site.map.valueSpan(site.pointer), site.text, problem.offset);
      out.push(error('template-syntax', problem.message, site.map.file, span, problem.hint));
    }
    // References cannot be read from a template that does not parse.
    if (problems.some((p) => p.message.startsWith('invalid template'))) return;
    for (const ref of templateReferences(site.text)) checkReference(site, ref, index, inConnection);
  };

  // Connections: templates checked once, captures and steps must exist somewhere.
  const connectionSites = new Map<string, TemplateSite[]>();
  for (const [name, located] of assembled.connections) {
    const sites: TemplateSite[] = [];
    for (const [text, pointer] of strings(located.value, located.pointer)) {
      const site: TemplateSite = { text, map: located.map, pointer, allowResult: false };
      sites.push(site);
      checkSite(site, steps.length, true);
    }
    connectionSites.set(name, sites);
  }

  // Disposable identifiers: rendered when a destructive step is checked, so like connection templates.
  if (assembled.disposable) {
    const { value, map, pointer } = assembled.disposable;
    for (const [text, at] of strings(value, pointer))
      checkSite({ text, map, pointer: at, allowResult: false }, steps.length, true);
  }

  // Steps in run order.
  const usedConnections = new Set<string>();
  steps.forEach(({ step, raw }, index) => {
    const base = raw.pointer;
    const resultScopes = new Set(stepStatics[step.type]?.resultScopes?.(step).map((s) => s.pointer));
    for (const [text, pointer] of strings(raw.value, base)) {
      const relative = pointer.slice(base.length);
      if (relative === '/id' || relative === '/type') continue;
      const allowResult = relative.startsWith('/capture/') || resultScopes.has(relative);
      checkSite(
        { text, map: raw.map, pointer, allowResult, ...(raw.group ? { group: raw.group } : {}) },
        index,
      );
    }

    const useConnection = (name: unknown, field: string) => {
      if (typeof name !== 'string') return;
      const pointer = base + field;
      if (!(name in subject.connections)) {
        out.push(
          error(
            'unknown-connection',
            `unknown connection "${name}"`,
            raw.map.file,
            raw.map.valueSpan(pointer),
            didYouMean(name, connectionNames) ??
              (connectionNames.length
                ? `declared connections: ${connectionNames.join(', ')}`
                : 'declare it under `connections:`'),
          ),
        );
        return;
      }
      if (usedConnections.has(name)) return;
      usedConnections.add(name);
      // A connection is rendered when first used: what it reads must exist by then.
      for (const site of connectionSites.get(name) ?? []) {
        if (!isTemplate(site.text) || checkTemplate(site.text).length > 0) continue;
        for (const ref of templateReferences(site.text)) {
          const [root, refName] = ref.path;
          if (root === 'captures' && refName !== undefined && index < finallyStart) {
            const definitions = captures.filter((c) => c.name === refName);
            if (definitions.length > 0 && !definitions.some((c) => c.stepIndex < index)) {
              report(
                site,
                ref,
                'reference-before-definition',
                `connection "${name}" needs capture "${refName}", but step "${step.id}" uses the connection before any step captures it`,
                `step "${definitions[0]!.stepId}" captures it later`,
              );
            }
          }
          if (root === 'steps' && refName !== undefined) {
            const target = idIndex.get(refName);
            if (target !== undefined && target >= index) {
              report(
                site,
                ref,
                'reference-before-definition',
                `connection "${name}" reads step "${refName}", but step "${step.id}" uses the connection before that step runs`,
              );
            }
          }
        }
      }
    };

    for (const { pointer, value } of connectionsOf(step)) useConnection(value, pointer);
    for (const problem of nameProblemsOf(step)) {
      const span = raw.map.valueSpan(base + problem.pointer);
      out.push(error(problem.code, problem.message, raw.map.file, span, problem.hint));
    }
  });

  // Input defaults must fit the declared type.
  for (const input of subject.inputs) {
    if (input.default === undefined) continue;
    const entries = assembled.inputs.get(input.name) ?? [];
    const source = [...entries]
      .reverse()
      .find((entry: Located) => isMapping(entry.value) && 'default' in (entry.value as object));
    try {
      resolveInputValue(input, input.default);
    } catch (cause) {
      const span = source ? source.map.valueSpan(joinPointer(source.pointer, 'default')) : input.span;
      out.push(
        error(
          'invalid-input-value',
          `default of ${(cause as Error).message}`,
          span.file,
          span,
          `change the default or the type (${input.type})`,
        ),
      );
    }
  }

  // What included step groups require.
  for (const include of assembled.includes) {
    const span = include.map.valueSpan(joinPointer(include.pointer, 'include'));
    for (const required of include.requires.inputs) {
      if (!inputNames.includes(required.value)) {
        out.push(
          error(
            'include-missing-input',
            `"${include.target}" requires input "${required.value}", which the runbook does not declare`,
            include.map.file,
            span,
            didYouMean(required.value, inputNames) ?? `declare "${required.value}" under \`inputs:\``,
          ),
        );
      }
    }
    for (const required of include.requires.connections) {
      if (!connectionNames.includes(required.value)) {
        out.push(
          error(
            'include-missing-input',
            `"${include.target}" requires connection "${required.value}", which the runbook does not declare`,
            include.map.file,
            span,
            didYouMean(required.value, connectionNames) ??
              `declare "${required.value}" under \`connections:\``,
          ),
        );
      }
    }
  }
  return out;
}

/** A group included with `as:` captures `endpoint` as e.g. `cloneEndpoint`: suggest those. */
function prefixedCaptureHint(name: string, captureNames: string[]): string | undefined {
  const tail = `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
  const candidates = captureNames.filter((c) => c.endsWith(tail) && c.length > tail.length);
  if (candidates.length === 0) return undefined;
  return `a group included with \`as:\` captures it under its prefix: ${candidates.map((c) => `captures.${c}`).join(', ')}`;
}
