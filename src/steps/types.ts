/**
 * The step-type contract. A step type says whether it changes anything, how it looks in a plan, and how it
 * runs. Retry, timeout, `if`, `capture` and `ignoreErrors` are applied by the engine around every step, so
 * an executor only does its one thing and throws a StepError when it cannot.
 */
import type { Clock } from '../core/clock.js';
import type { CompiledStep, SourceSpan, StepTypeName } from '../runbook/types.js';
import type { ResourceKind } from './static-types.js';

export type AwsServiceName = 'rds' | 'cloudformation';

/** A named connection after its templates are rendered. */
export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password: string;
  database?: string;
}

export interface SqlResult {
  rows: Record<string, unknown>[];
  rowCount: number;
  affectedRows: number;
  /** Present for INSERTs into AUTO_INCREMENT tables. */
  insertId?: number;
}

export interface SqlSession {
  /** Runs one statement with bound parameters; reconnects first when the server closed the connection. */
  run(query: string, params: unknown[], signal: AbortSignal): Promise<SqlResult>;
}

export interface ProgressUpdate {
  message?: string;
  observed?: unknown;
  polls?: number;
  /** A process the step started; journaled so that a resumed run can stop it if this one dies. */
  pid?: number;
}

/** What an executor may use while its step runs. */
export interface StepContext {
  readonly step: CompiledStep;
  /** Aborts on interrupt or when the step's time is up; its `reason` is the StepError to throw. */
  readonly signal: AbortSignal;
  readonly clock: Clock;
  /** The step's own time budget: its `timeout`, or the type's default. */
  readonly timeoutMs: number;
  /** The value written at a JSON pointer inside the step (e.g. "/probe/operation"), unrendered. */
  field(pointer: string): unknown;
  /** Renders the value at `pointer`: every string inside is a template. `result` is bound when given. */
  render(pointer: string, bindings?: { result?: unknown }): unknown;
  /** The span of the node at `pointer`, or of the nearest enclosing node. */
  spanAt(pointer: string): SourceSpan;
  /** Milliseconds for a duration (e.g. "1s", or a template) at `pointer`; `fallback` when absent. */
  duration(pointer: string, fallback: number): number;
  /** The session of a named connection, opened at first use. */
  sql(connection: string): Promise<SqlSession>;
  /** The rendered settings of a named connection (for tools that connect on their own, like sysbench). */
  connectionSettings(connection: string): Promise<ConnectionSettings>;
  /** Settings for AWS clients: region, endpoint override, credentials. */
  readonly aws: AwsSettings;
  /** A per-run resource, created once and disposed when the run ends (e.g. an SDK client). */
  resource<T>(key: string, create: () => Promise<T>, dispose?: (value: T) => void): Promise<T>;
  /** Registers a value that must be masked wherever it would appear. */
  addSecret(value: unknown): void;
  progress(update: ProgressUpdate): void;
  /** Records what actually ran (rendered params, SQL, argv), for the run record. Masked by the engine. */
  setRendered(value: unknown): void;
}

export interface AwsSettings {
  region?: string;
  /** Endpoint override, e.g. the sandbox's http://127.0.0.1:7306. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Total attempts per call, including the first (SDK standard retry mode). */
  maxAttempts?: number;
}

/** What a step would do, for `labrun plan`. Unknown run-time values show as placeholders. */
export interface PlannedAction {
  /** One line, e.g. "rds RestoreDBClusterToPointInTime". */
  summary: string;
  /** The rendered parameters, SQL, argv, or conditions. */
  detail?: unknown;
}

export interface PlanContext {
  readonly step: CompiledStep;
  field(pointer: string): unknown;
  /** Renders with inputs known; captures, step results and `result` become placeholders like <captures.x>. */
  render(pointer: string): unknown;
  connectionSettings(connection: string): Record<keyof ConnectionSettings, unknown>;
}

export interface StepType {
  type: StepTypeName;
  /** Whether running the step changes anything outside labrun. */
  mutating: boolean | ((step: CompiledStep) => boolean);
  /** The step type's default time budget when the step sets no `timeout`. */
  defaultTimeoutMs?: number;
  plan(step: CompiledStep, ctx: PlanContext): PlannedAction;
  execute(step: CompiledStep, ctx: StepContext): Promise<unknown>;
  /** Captures the step makes by its nature (the capture step), besides its `capture` mapping. */
  captures?(step: CompiledStep, result: unknown): Record<string, unknown>;
  /**
   * For a changing step that an earlier process started but never finished (it was killed): how a resumed
   * run finds out what the step did. Undefined when the type cannot tell for this step; the runbook must
   * then say what to do with `onResume`.
   */
  reconciler?(step: CompiledStep): Reconciler | undefined;
  /**
   * Whether the cluster or instance one of the step's destructions names (its `destroys` facet) exists now,
   * asked of the real service. Undefined when the type cannot tell: the guard then takes it as existing.
   */
  targetExists?(target: { kind: ResourceKind; id: string }, ctx: StepContext): Promise<boolean>;
}

/** Looks at the world and settles a cut-off step: adopt what it did, run it again, or refuse. */
export type Reconciler = (ctx: ReconcileContext) => Promise<Reconciliation>;

export interface ReconcileContext extends StepContext {
  /** When the cut-off attempt started (ms since the epoch). */
  readonly cutOffAt: number;
  /** Processes the cut-off attempt started (journaled with step-progress). */
  readonly pids: number[];
  /** Whether the destructive-step guard would let this step's connection lose data. */
  disposable(connection: string): boolean;
}

export type Reconciliation =
  /** The step had taken effect: record it as passed with this result (captures are made from it). */
  | { action: 'adopt'; result: unknown; note: string }
  /** Running the step again is safe now (it had no effect, or it was undone, or repeating it is harmless). */
  | { action: 'rerun'; note: string }
  /** Neither can be known or done safely. */
  | { action: 'refuse'; reason: string; hint?: string };
