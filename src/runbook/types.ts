/**
 * The shapes shared by the runbook front end (load, validate, compile) and the engine that runs a
 * compiled runbook. Everything here is plain data: no I/O, no classes.
 */

/** A 1-based line and column in a source file. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** Where a node stands in a runbook file. Offsets are 0-based character offsets into the file text. */
export interface SourceSpan {
  file: string;
  start: SourcePosition;
  end: SourcePosition;
  offset: number;
  endOffset: number;
}

/** The closed set of diagnostic codes. Each one names one kind of mistake. */
export type DiagnosticCode =
  | 'file-unreadable'
  | 'file-empty'
  | 'file-not-utf8'
  | 'file-too-large'
  | 'yaml-syntax'
  | 'yaml-multi-document'
  | 'yaml-too-deep'
  | 'yaml-alias'
  | 'duplicate-key'
  | 'not-a-mapping'
  | 'schema'
  | 'unknown-key'
  | 'duplicate-step-id'
  | 'unknown-reference'
  | 'reference-before-definition'
  | 'unknown-connection'
  | 'unknown-aws-operation'
  | 'template-syntax'
  | 'include-not-found'
  | 'include-cycle'
  | 'include-missing-input'
  /** An include names a runbook, or `extends` names a step group. */
  | 'include-invalid'
  /** An include's `with:` names a parameter the step group does not declare. */
  | 'unknown-param'
  /** An include does not give a parameter that has no default. */
  | 'missing-param'
  /** A parameter value (in `with:`, a default, or where the group uses it) that does not fit. */
  | 'invalid-param-value'
  | 'invalid-duration'
  | 'invalid-input-value'
  | 'missing-input'
  | 'input-overrides-stack-output'
  /** A step that destroys data or resources the runbook did not create or declare disposable. */
  | 'destructive-step'
  /** An `aws` params member the operation's model does not have. */
  | 'unknown-aws-member'
  /** A member the operation requires is absent. */
  | 'missing-aws-member'
  /** An `aws` params value of the wrong type or outside the known values. */
  | 'invalid-aws-value'
  /** An operation labrun has no model for. */
  | 'missing-aws-model'
  /** A `result.…` or `steps.<id>.result.…` path the producing step's result type does not have. */
  | 'unknown-result-path'
  /** An SQL statement that does not parse. */
  | 'sql-syntax'
  /** The count of `?` placeholders differs from the count of `params`. */
  | 'sql-params'
  | 'unknown-sysbench-option'
  | 'invalid-sysbench-value'
  /** gt/gte/lt/lte on values that never order: a number and an instant, or a boolean, list or mapping. */
  | 'invalid-comparison'
  /** A wait's success/failure value that the status field never takes. */
  | 'invalid-status-value'
  /** An assert literal of the wrong kind for its operator. */
  | 'invalid-assert-literal'
  /** A value AWS no longer accepts (a retired engine name, instance class). */
  | 'retired-value'
  /** A step `labrun guide` cannot translate into commands a person types. */
  | 'guide-untranslatable'
  | 'usage';

export interface Diagnostic {
  code: DiagnosticCode;
  severity: 'error' | 'warning';
  message: string;
  /** File the problem is in; always set, even when no exact span is known. */
  file: string;
  span?: SourceSpan;
  /** One sentence telling how to fix it, e.g. a did-you-mean suggestion. */
  hint?: string;
}

export type InputType = 'string' | 'integer' | 'number' | 'boolean';

export interface InputSpec {
  name: string;
  type: InputType;
  description?: string;
  /** Name of a CloudFormation stack output that supplies the value. */
  stackOutput?: string;
  /** Name of an environment variable that supplies the value. */
  env?: string;
  default?: string | number | boolean;
  /** Secret values are masked in every output. */
  secret: boolean;
  span: SourceSpan;
}

export interface ConnectionSpec {
  name: string;
  /** Templates, rendered when the connection is first used. */
  host: string;
  port: string | number;
  user: string;
  password: string;
  database?: string;
  /** `disposable: true`: destructive SQL and sysbench cleanup may run on it. */
  disposable: boolean;
  span: SourceSpan;
  /** Spans of each field, keyed by field name. */
  fieldSpans: Record<string, SourceSpan>;
}

/**
 * Clusters and instances (identifier templates, rendered at run time) that destructive AWS steps may act
 * on besides those an earlier step of the run created.
 */
export interface DisposableSpec {
  clusters: string[];
  instances: string[];
}

export type StepTypeName = 'aws' | 'sql' | 'sysbench' | 'wait-until' | 'capture' | 'assert';

export interface RetrySpec {
  attempts: number;
  /** Duration or template, e.g. "1s" or "{{inputs.pollInterval}}". */
  interval?: string;
  backoff?: number;
  maxInterval?: string;
  /** Error codes or names that are retried; absent means any step failure. */
  on?: string[];
}

/** A step's `guide` field: sections, prose and an explicit translation for `labrun guide`. */
export interface GuideSpec {
  section?: string;
  sectionDescription?: string;
  text?: string;
  commands?: string;
}

/**
 * A step after includes are expanded. The keys shared by every step type are typed here; the keys of
 * one step type stay in `fields` exactly as written (template strings unrendered).
 */
export interface CompiledStep {
  id: string;
  type: StepTypeName;
  title?: string;
  /** Template; the step runs only when it renders truthy. */
  if?: string;
  /** Duration or template. */
  timeout?: string;
  retry?: RetrySpec;
  /** Capture name -> template evaluated with `result` bound to the step's result. */
  capture?: Record<string, string>;
  /** Error codes or names that do not fail the step (the step is recorded as passed with the error). */
  ignoreErrors?: string[];
  /** What `labrun resume` does with this step when a run was cut off while it ran. */
  onResume?: 'rerun' | 'skip';
  /** How `labrun guide` presents the step. */
  guide?: GuideSpec;
  /**
   * For a step of a step group: the group file the runbook's own `include` item names and that item's
   * ordinal among the runbook's includes (nested groups' steps carry their outermost include), so views
   * such as `labrun guide` can tell one use of a group from the next.
   */
  include?: { file: string; index: number };
  /** The type-specific keys, e.g. operation/params for aws. */
  fields: Record<string, unknown>;
  /** True for steps listed under `finally`. */
  cleanup: boolean;
  /** The whole step mapping. */
  span: SourceSpan;
  /**
   * Spans of nodes inside the step, keyed by JSON pointer relative to the step mapping
   * (e.g. "/params/BacktrackTo", "/that/0/actual"), so run-time errors can point at the template.
   */
  spans: Record<string, SourceSpan>;
}

export interface CompiledRunbook {
  /** Path of the main runbook file as given. */
  file: string;
  name: string;
  title?: string;
  description?: string;
  inputs: InputSpec[];
  connections: Record<string, ConnectionSpec>;
  disposable: DisposableSpec;
  steps: CompiledStep[];
  finally: CompiledStep[];
  /** Every file read (main file, includes, extended runbooks), by path. */
  sources: Record<string, string>;
}

/** What `compileRunbook` returns: a runbook only when there are no error diagnostics. */
export interface CompileResult {
  runbook?: CompiledRunbook;
  diagnostics: Diagnostic[];
  /** Every file read, by path, also when compilation failed (to print code frames without reading again). */
  sources?: Record<string, string>;
}
