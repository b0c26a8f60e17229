/**
 * What a step type knows before anything runs: static checks of its own fields (params models, option lists,
 * SQL), the type of its `result`, and its facets: the connections it uses, what it captures by its nature,
 * what it creates and destroys, the steps nested in it. The checks, the destructive guard and the resource
 * tracking ask these instead of switching on type names. These modules are light: `labrun validate` loads
 * them, never an executor, an SDK client or a database driver.
 */
import type { CompiledStep } from '../runbook/types.js';
import type { StaticProblem, ValueType } from '../runbook/value-type.js';

export interface StaticContext {
  /** The static type of a template's value (typed inputs, typed captures, step results); undefined when unknown. */
  typeOf(template: string): ValueType | undefined;
}

export interface StepStatics extends StepFacets {
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

export type ResourceKind = 'cluster' | 'instance';

/** A field of the step and the value written there (unrendered). Pointers are relative to the step mapping. */
export interface FieldUse {
  pointer: string;
  value: unknown;
}

/** A capture a step makes by its nature: the field naming it, and the member of the result captured. */
export interface CapturedName extends FieldUse {
  member: string;
}

/** A step inside this one that runs as a step of its own type (a wait's probe): its facets apply there too. */
export interface NestedStep {
  /** Where it sits in the outer step, e.g. "/probe". */
  pointer: string;
  step: CompiledStep;
}

/** A cluster or instance the step creates when it passes: the field that names it. */
export interface Creation {
  kind: ResourceKind;
  pointer: string;
}

/**
 * The value at a pointer of the step as the caller knows it: before the run, a literal (undefined for a
 * template); at run time, rendered (undefined when it cannot be rendered).
 */
export type FieldReader = (pointer: string) => unknown;

/** What a step destroys: data behind a connection, or an existing cluster or instance. */
export type Destruction =
  | {
      on: 'connection';
      /** The connection's name, as written. */
      connection: string;
      /** What it runs, e.g. "DELETE" or "sysbench cleanup". */
      what: string;
      /** The field that makes it destructive (the query, the command). */
      pointer: string;
    }
  | ResourceDestruction;

/** A destructive call on an existing cluster or instance, named by its identifier. */
export interface ResourceDestruction {
  on: ResourceKind;
  operation: string;
  id: string;
  pointer: string;
  /**
   * The call deletes its target (DeleteDBCluster, DeleteDBInstance): when the target does not exist there is
   * nothing to do, and the step is skipped instead of called or refused.
   */
  removes?: boolean;
}

export interface StepFacets {
  /** Fields that name a connection (sql `connection`, capture `serverTime`). */
  connections?(step: CompiledStep): FieldUse[];
  /** Captures the step makes by its nature (the capture step's `name`), besides its `capture` mapping. */
  capturedNames?(step: CompiledStep): CapturedName[];
  /** Names the step uses that must exist (an aws operation), checked with the runbook's references. */
  checkNames?(step: CompiledStep): StaticProblem[];
  /** Steps inside this one that run as steps of their own type. */
  nested?(step: CompiledStep): NestedStep[];
  /** What the step creates when it passes. */
  creates?(step: CompiledStep): Creation[];
  /** What the step destroys, with its fields read by `read`. */
  destroys?(step: CompiledStep, read: FieldReader): Destruction[];
}
