/**
 * The run as a stream of typed events. The interpreter emits them; the terminal view, the run record, the
 * journal and JUnit are all built from this one stream. Every string in an event is already masked.
 */
import type { StepTypeName } from '../runbook/types.js';
import type { FailureKind } from '../core/errors.js';

export type RunStatus = 'passed' | 'failed' | 'interrupted';
export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepErrorRecord {
  message: string;
  code: string;
  kind: FailureKind;
  /** `file:line:col` of the step or of the template that failed. */
  span?: string;
  hint?: string;
}

export interface StepOutline {
  id: string;
  type: StepTypeName;
  title?: string;
  cleanup: boolean;
  /** `file:line:col` of the step. */
  span: string;
  /**
   * A digest of what the step does (its type-specific fields, `if`, `capture`, timeout, retry, ignoreErrors
   * and the connections it uses; not its title, guide, onResume or position): `labrun run --from` compares it
   * to tell whether a step restored from an earlier run is still the step that ran there.
   */
  digest?: string;
}

/**
 * A run that continues an earlier one from a step (`labrun run FILE --from STEP` or `--only STEP`): the steps
 * before it were restored from that run's journal, not run again.
 */
export interface RerunSettings {
  /** The run whose results were restored. */
  source: string;
  /** The first step that runs. */
  from: string;
  /** Only `from` runs; the steps after it are skipped. */
  only?: boolean;
  /** With `only`: `finally` runs too. */
  finally?: boolean;
  /** The ids of the steps restored from the source run, in order. */
  restored: string[];
}

/**
 * What `labrun resume` needs to continue a run: where the runbook is and what the run ran against. Never a
 * secret: `set` values of secret inputs are masked, and secrets are resolved again at resume time.
 */
export interface ResumeSettings {
  /** Absolute path of the runbook file. */
  runbook: string;
  outputs?: string;
  stack?: string;
  sandbox?: boolean;
  region?: string;
  endpointUrl?: string;
  /** `--set` values by input name. */
  set: Record<string, string>;
}

export interface RunStartedEvent {
  type: 'run-started';
  runId: string;
  runbook: { file: string; name: string; title?: string };
  startedAt: string;
  inputs: Record<string, unknown>;
  steps: StepOutline[];
  runDir: string;
  resume?: ResumeSettings;
  /** Set when the run continues an earlier run from a step. */
  rerun?: RerunSettings;
  /** The run skips its `finally` steps (`labrun run --no-finally`). */
  skipFinally?: boolean;
}

/** A cut-off run continued by `labrun resume`: what follows in the journal is the new process's. */
export interface RunResumedEvent {
  type: 'run-resumed';
  resumedAt: string;
}

export interface StepStartedEvent {
  type: 'step-started';
  stepId: string;
  /** 1-based position among all steps, `finally` included. */
  index: number;
  total: number;
  startedAt: string;
}

export interface StepProgressEvent {
  type: 'step-progress';
  stepId: string;
  elapsedMs: number;
  message?: string;
  /** For waits: the value seen at the last poll. */
  observed?: unknown;
  polls?: number;
  /** A process the step started (e.g. sysbench), so a resumed run can stop it if the runner died. */
  pid?: number;
}

export interface StepRetryEvent {
  type: 'step-retry';
  stepId: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  error: StepErrorRecord;
  delayMs: number;
}

/** One evaluated assertion, as recorded. */
export interface AssertionRecord {
  actual: unknown;
  operator: string;
  expected: unknown;
  passed: boolean;
  message?: string;
  /** Why the comparison could not be made, e.g. a regex that does not compile. */
  problem?: string;
  /** `file:line:col` of the assertion. */
  span?: string;
}

export interface AssertionEvent {
  type: 'assertion';
  stepId: string;
  assertion: AssertionRecord;
}

export interface StepFinishedEvent {
  type: 'step-finished';
  stepId: string;
  status: StepStatus;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  attempts: number;
  /** Why a skipped step did not run. */
  reason?: string;
  /** The step's parameters after rendering (masked), for the record. */
  rendered?: unknown;
  result?: unknown;
  error?: StepErrorRecord;
  /** True when the step failed with an error listed in its `ignoreErrors`. */
  errorIgnored?: boolean;
  captures?: Record<string, unknown>;
  /** Clusters and instances the step created (or, resumed, adopted). */
  created?: ResourceRef[];
  /** How a resumed run settled a step that an earlier process left cut off mid-way. */
  reconciled?: string;
  /**
   * Set when the run did not get to the step (an earlier step failed, the run was interrupted, `--only` did
   * not select it): it was skipped without its `if` being asked. A step skipped by its own `if` has no flag.
   */
  notRun?: boolean;
  /** The run this step's outcome was restored from (`labrun run --from`); it did not run in this run. */
  restoredFrom?: string;
}

export interface ResourceRef {
  kind: 'cluster' | 'instance';
  id: string;
}

/** A resource the run created, with what was found when the run ended. */
export interface TrackedResource extends ResourceRef {
  /** The step that created it. */
  stepId: string;
  /**
   * `gone` (not found), `deleting`, the status it still has (e.g. `available`), `unknown` when asking
   * failed, or `unchecked` when a second interrupt cut the run short.
   */
  state: string;
  /** Why the state is unknown. */
  error?: string;
}

/**
 * After `finally`: every cluster and instance the run created, looked up again. `leaked` lists those that
 * still exist (and are not being deleted), for the record and a warning.
 */
export interface ResourcesCheckedEvent {
  type: 'resources-checked';
  created: TrackedResource[];
  leaked: TrackedResource[];
}

export interface RunFinishedEvent {
  type: 'run-finished';
  status: RunStatus;
  exitCode: number;
  finishedAt: string;
  durationMs: number;
}

export type RunEvent =
  | RunStartedEvent
  | RunResumedEvent
  | StepStartedEvent
  | StepProgressEvent
  | StepRetryEvent
  | AssertionEvent
  | StepFinishedEvent
  | ResourcesCheckedEvent
  | RunFinishedEvent;

export type RunEventListener = (event: RunEvent) => void;
