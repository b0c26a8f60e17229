/**
 * Every step type's static facets, by type name, and the questions the checks, the guard and the resource
 * tracking ask of them. Light to load: `labrun validate` uses it.
 */
import type { CompiledStep, StepTypeName } from '../runbook/types.js';
import type { StaticProblem } from '../runbook/value-type.js';
import { assertStatics } from './assert/static.js';
import { awsFacets } from './aws/facets.js';
import { awsStatics } from './aws/static.js';
import { captureFacets } from './capture/facets.js';
import { captureStatics } from './capture/static.js';
import { sqlFacets } from './sql/facets.js';
import { sqlStatics } from './sql/static.js';
import type {
  CapturedName,
  Creation,
  Destruction,
  FieldReader,
  FieldUse,
  StepStatics,
} from './static-types.js';
import { sysbenchFacets } from './sysbench/facets.js';
import { sysbenchStatics } from './sysbench/static.js';
import { waitUntilFacets } from './wait-until/facets.js';
import { waitUntilStatics } from './wait-until/static.js';

export const stepStatics: Record<string, StepStatics> = {
  aws: { ...awsFacets, ...awsStatics },
  sql: { ...sqlFacets, ...sqlStatics },
  sysbench: { ...sysbenchFacets, ...sysbenchStatics },
  'wait-until': { ...waitUntilFacets, ...waitUntilStatics },
  capture: { ...captureFacets, ...captureStatics },
  assert: assertStatics,
} satisfies Record<StepTypeName, StepStatics>;

/** Registers one more step type's static facets (a type defined outside this folder, e.g. by a test). */
export function registerStepStatics(type: string, statics: StepStatics): void {
  stepStatics[type] = statics;
}

/**
 * One answer for the step and for every step nested in it (a wait's probe, as a step of its own type), with
 * pointers relative to the outer step. `nested: false` asks the step alone.
 */
function collect<T extends { pointer: string }>(
  step: CompiledStep,
  ask: (statics: StepStatics, step: CompiledStep, prefix: string) => T[] | undefined,
  options: { nested?: boolean } = {},
  prefix = '',
): T[] {
  const statics = stepStatics[step.type];
  if (!statics) return [];
  const own = (ask(statics, step, prefix) ?? []).map((item) => ({ ...item, pointer: prefix + item.pointer }));
  if (options.nested === false) return own;
  const inner = (statics.nested?.(step) ?? []).flatMap((nested) =>
    collect(nested.step, ask, options, prefix + nested.pointer),
  );
  return [...own, ...inner];
}

/** The fields of the step that name a connection. */
export function connectionsOf(step: CompiledStep): FieldUse[] {
  return collect(step, (statics, s) => statics.connections?.(s));
}

/** The captures the step makes by its nature, besides its `capture` mapping. */
export function capturedNamesOf(step: CompiledStep): CapturedName[] {
  return collect(step, (statics, s) => statics.capturedNames?.(s), { nested: false });
}

/** Names the step (or a step nested in it) uses that do not exist. */
export function nameProblemsOf(step: CompiledStep): StaticProblem[] {
  return collect(step, (statics, s) => statics.checkNames?.(s));
}

/** What the step creates when it passes; `nested: false` leaves out what a nested step (a probe) would. */
export function creationsOf(step: CompiledStep, options: { nested?: boolean } = {}): Creation[] {
  return collect(step, (statics, s) => statics.creates?.(s), options);
}

/**
 * What the step (or a step nested in it) destroys, each with the type of the step that declares it (the one
 * that can look its target up); `read` is given pointers relative to the outer step.
 */
export function destructionsOf(
  step: CompiledStep,
  read: FieldReader,
): Array<Destruction & { stepType: StepTypeName }> {
  return collect(step, (statics, s, prefix) =>
    statics.destroys?.(s, (pointer) => read(prefix + pointer))?.map((d) => ({ ...d, stepType: s.type })),
  );
}
