/**
 * compileRunbook: file -> CompiledRunbook, or every diagnostic found on the way. The stages are
 * load (YAML with positions) -> schema (per file) -> assemble (extends, includes) -> compile (typed
 * steps with spans) -> check (references, names, operations).
 */
import { checkRunbook } from './check.js';
import { checkDestructive } from './destructive.js';
import { hasErrors, sortDiagnostics } from './diagnostic.js';
import { Assembler, isMapping, type AssembledRunbook, type RawStep } from './expand.js';
import type { ReadFile } from './load.js';
import { joinPointer } from './pointer.js';
import { checkTyped } from './typed.js';
import { COMMON_STEP_KEYS } from './schema/build.js';
import type {
  CompileResult,
  CompiledStep,
  ConnectionSpec,
  DisposableSpec,
  GuideSpec,
  InputSpec,
  InputType,
  RetrySpec,
  StepTypeName,
} from './types.js';

export interface CompileOptions {
  /** Reads a file's text or bytes; defaults to the file system. */
  readFile?: ReadFile;
  /**
   * Apply the destructive-step guard's static check (`destructive-step` errors). The CLI turns it on for
   * validate, plan and run unless --allow-destructive is given.
   */
  guardDestructive?: boolean;
}

const COMMON = new Set<string>(COMMON_STEP_KEYS);

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined;
}

function compileRetry(value: unknown): RetrySpec | undefined {
  if (!isMapping(value)) return undefined;
  const retry: RetrySpec = { attempts: typeof value.attempts === 'number' ? value.attempts : 1 };
  if (typeof value.interval === 'string') retry.interval = value.interval;
  if (typeof value.backoff === 'number') retry.backoff = value.backoff;
  if (typeof value.maxInterval === 'string') retry.maxInterval = value.maxInterval;
  const on = strings(value.on);
  if (on) retry.on = on;
  return retry;
}

export function compileStep(raw: RawStep): CompiledStep {
  const data = raw.value;
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) if (!COMMON.has(key)) fields[key] = value;
  const step: CompiledStep = {
    id: str(data.id) ?? '',
    type: str(data.type) as StepTypeName,
    fields,
    cleanup: raw.cleanup,
    span: raw.map.valueSpan(raw.pointer),
    spans: raw.map.subtree(raw.pointer),
  };
  if (raw.include) step.include = raw.include;
  const title = str(data.title);
  if (title !== undefined) step.title = title;
  if (typeof data.if === 'string' || typeof data.if === 'boolean') step.if = String(data.if);
  const timeout = str(data.timeout);
  if (timeout !== undefined) step.timeout = timeout;
  const retry = compileRetry(data.retry);
  if (retry) step.retry = retry;
  if (isMapping(data.capture)) {
    const capture: Record<string, string> = {};
    for (const [name, template] of Object.entries(data.capture))
      if (typeof template === 'string') capture[name] = template;
    step.capture = capture;
  }
  const ignoreErrors = strings(data.ignoreErrors);
  if (ignoreErrors) step.ignoreErrors = ignoreErrors;
  if (data.onResume === 'rerun' || data.onResume === 'skip') step.onResume = data.onResume;
  if (isMapping(data.guide)) {
    const guide: GuideSpec = {};
    for (const key of ['section', 'sectionDescription', 'text', 'commands'] as const) {
      const value = str(data.guide[key]);
      if (value !== undefined) guide[key] = value;
    }
    step.guide = guide;
  }
  return step;
}

function compileInputs(assembled: AssembledRunbook): InputSpec[] {
  const inputs: InputSpec[] = [];
  for (const [name, entries] of assembled.inputs) {
    // Base first: a child's fields override the base's.
    const merged: Record<string, unknown> = {};
    for (const entry of entries) Object.assign(merged, entry.value);
    const last = entries[entries.length - 1]!;
    const type = (['string', 'integer', 'number', 'boolean'] as const).includes(merged.type as InputType)
      ? (merged.type as InputType)
      : 'string';
    const spec: InputSpec = {
      name,
      type,
      secret: merged.secret === true,
      span: last.map.keySpan(last.pointer),
    };
    if (typeof merged.description === 'string') spec.description = merged.description;
    if (typeof merged.stackOutput === 'string') spec.stackOutput = merged.stackOutput;
    if (typeof merged.env === 'string') spec.env = merged.env;
    if (['string', 'number', 'boolean'].includes(typeof merged.default))
      spec.default = merged.default as string | number | boolean;
    inputs.push(spec);
  }
  return inputs;
}

function compileConnections(assembled: AssembledRunbook): Record<string, ConnectionSpec> {
  const connections: Record<string, ConnectionSpec> = {};
  for (const [name, located] of assembled.connections) {
    const data = located.value;
    const fieldSpans: Record<string, ReturnType<typeof located.map.valueSpan>> = {};
    for (const key of Object.keys(data))
      fieldSpans[key] = located.map.valueSpan(joinPointer(located.pointer, key));
    const port = data.port;
    const spec: ConnectionSpec = {
      name,
      host: str(data.host) ?? '',
      port: typeof port === 'number' || typeof port === 'string' ? port : 3306,
      user: str(data.user) ?? '',
      password: str(data.password) ?? '',
      disposable: data.disposable === true,
      span: located.map.keySpan(located.pointer),
      fieldSpans,
    };
    const database = str(data.database);
    if (database !== undefined) spec.database = database;
    connections[name] = spec;
  }
  return connections;
}

function compileDisposable(assembled: AssembledRunbook): DisposableSpec {
  const data = assembled.disposable?.value ?? {};
  return { clusters: strings(data.clusters) ?? [], instances: strings(data.instances) ?? [] };
}

/**
 * Read, validate and compile a runbook. All problems are returned as diagnostics (never thrown); the
 * runbook is present only when there is no error.
 */
export function compileRunbook(file: string, options: CompileOptions = {}): CompileResult {
  const assembler = new Assembler(options.readFile);
  const assembled = assembler.assemble(file);
  const diagnostics = [...assembler.diagnostics];
  if (!assembled) return { diagnostics: sortDiagnostics(diagnostics), sources: { ...assembler.sources } };

  const inputs = compileInputs(assembled);
  const connections = compileConnections(assembled);
  const disposable = compileDisposable(assembled);
  const steps = assembled.steps.map((raw) => ({ step: compileStep(raw), raw }));
  const cleanup = assembled.finally.map((raw) => ({ step: compileStep(raw), raw }));
  const malformed = hasErrors(diagnostics);
  diagnostics.push(...checkRunbook({ assembled, inputs, connections, steps: [...steps, ...cleanup] }));
  diagnostics.push(...checkTyped({ inputs, steps: [...steps, ...cleanup], malformed }));
  if (options.guardDestructive) {
    const all = [...steps, ...cleanup].map(({ step }) => step);
    diagnostics.push(...checkDestructive({ connections, disposable, steps: all }));
  }

  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted) || !assembled.name) return { diagnostics: sorted, sources: { ...assembler.sources } };
  const runbook = {
    file,
    name: assembled.name.value,
    inputs,
    connections,
    disposable,
    steps: steps.map(({ step }) => step),
    finally: cleanup.map(({ step }) => step),
    sources: { ...assembler.sources },
    ...(assembled.title !== undefined ? { title: assembled.title } : {}),
    ...(assembled.description !== undefined ? { description: assembled.description } : {}),
  };
  return { runbook, diagnostics: sorted, sources: runbook.sources };
}
