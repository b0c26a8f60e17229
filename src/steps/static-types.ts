/**
 * What a step type knows before anything runs: static checks of its own fields (params models, option lists,
 * SQL) and the type of its `result`. These modules are light: `labrun validate` loads them, never an executor,
 * an SDK client or a database driver.
 */
import type { CompiledStep } from '../runbook/types.js';
import type { StaticProblem, ValueType } from '../runbook/value-type.js';

export interface StaticContext {
  /** The static type of a template's value (typed inputs, typed captures, step results); undefined when unknown. */
  typeOf(template: string): ValueType | undefined;
}

export interface StepStatics {
  /** Problems in the step's own fields that the schema cannot see. Pointers are relative to the step mapping. */
  check?(step: CompiledStep, ctx: StaticContext): StaticProblem[];
  /** The static type of the step's `result`; `{ kind: 'any' }` (or absent) when not known. */
  resultType?(step: CompiledStep, ctx: StaticContext): ValueType;
  /**
   * Where `result` is in scope in the step besides its `capture` templates (a wait's `/value`: the probe's
   * result), with the type `result` has there. Pointers are relative to the step mapping.
   */
  resultScopes?(step: CompiledStep): ResultScope[];
}

export interface ResultScope {
  pointer: string;
  type(step: CompiledStep, ctx: StaticContext): ValueType;
}
