/**
 * Run-time failures as data. Every failure that ends a step becomes a StepError with a stable code (the
 * SDK's error name, the MySQL error code, `StepTimeout`, ...), a kind that decides the exit code, and the
 * span of the step or template that caused it.
 */
import type { Diagnostic, SourceSpan } from '../runbook/types.js';

/**
 * What went wrong, coarsely: `assertion` exits 1, `interrupted` exits 130, everything else exits 3.
 * `guard`: the destructive-step guard refused the step before anything was called.
 */
export type FailureKind =
  'assertion' | 'timeout' | 'aws' | 'sql' | 'process' | 'template' | 'guard' | 'interrupted' | 'internal';

export interface AssertionResult {
  actual: unknown;
  operator: string;
  expected: unknown;
  passed: boolean;
  message?: string;
  /** Why the comparison could not be made, e.g. a regex that does not compile. */
  problem?: string;
  span?: SourceSpan;
}

export interface StepErrorOptions {
  code: string;
  kind: FailureKind;
  span?: SourceSpan;
  /** One sentence telling what to do about it. */
  hint?: string;
  cause?: unknown;
  assertions?: AssertionResult[];
}

export class StepError extends Error {
  readonly code: string;
  readonly kind: FailureKind;
  span?: SourceSpan;
  hint?: string;
  assertions?: AssertionResult[];

  constructor(message: string, options: StepErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepError';
    this.code = options.code;
    this.kind = options.kind;
    this.span = options.span;
    this.hint = options.hint;
    this.assertions = options.assertions;
  }
}

export function interruptedError(): StepError {
  return new StepError('interrupted', { code: 'Interrupted', kind: 'interrupted' });
}

export function isStepError(value: unknown): value is StepError {
  return value instanceof StepError;
}

/** Any thrown value as a StepError, keeping a StepError as is. */
export function toStepError(error: unknown, fallback: Partial<StepErrorOptions> = {}): StepError {
  if (error instanceof StepError) return error;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return new StepError(error.message || error.name, {
      code: typeof code === 'string' && code !== '' ? code : (fallback.code ?? error.name),
      kind: fallback.kind ?? 'internal',
      span: fallback.span,
      hint: fallback.hint,
      cause: error,
    });
  }
  return new StepError(String(error), { code: fallback.code ?? 'Error', kind: fallback.kind ?? 'internal' });
}

/** A mistake in how labrun was called (bad flag, missing input, unreadable outputs file): exit code 2. */
export class UsageError extends Error {
  readonly hint?: string;
  /** Problems tied to places in a runbook (e.g. inputs without a value), when there are such. */
  readonly diagnostics: Diagnostic[];
  constructor(message: string, hint?: string, diagnostics: Diagnostic[] = []) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
    this.diagnostics = diagnostics;
  }
}
