/**
 * The run record: everything a run did, as one JSON document. Built only from the event stream, so the
 * record, the journal and the terminal can never disagree.
 */
import type { StepTypeName } from '../runbook/types.js';
import type {
  AssertionRecord,
  ResourceRef,
  RerunSettings,
  RunEvent,
  RunStatus,
  StepErrorRecord,
  StepStatus,
  TrackedResource,
} from './events.js';

export interface StepRecord {
  id: string;
  type: StepTypeName;
  title?: string;
  cleanup: boolean;
  span: string;
  status: StepStatus | 'pending' | 'running';
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  attempts: number;
  reason?: string;
  rendered?: unknown;
  result?: unknown;
  error?: StepErrorRecord;
  errorIgnored?: boolean;
  assertions: AssertionRecord[];
  captures?: Record<string, unknown>;
  created?: ResourceRef[];
  reconciled?: string;
  /** The run did not get to the step (see StepFinishedEvent.notRun). */
  notRun?: boolean;
  /** The run whose journal this step's outcome was restored from (`labrun run --from`). */
  restoredFrom?: string;
}

export interface RunRecord {
  runId: string;
  runbook: { file: string; name: string; title?: string };
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  status: RunStatus | 'running';
  inputs: Record<string, unknown>;
  steps: StepRecord[];
  captures: Record<string, unknown>;
  exitCode?: number;
  runDir: string;
  /** When `labrun resume` continued the run, once per resume. */
  resumedAt?: string[];
  /** When the run continues an earlier run from a step: which run, from which step, what was restored. */
  rerun?: RerunSettings;
  /** The run skipped its `finally` steps (`labrun run --no-finally`). */
  skipFinally?: boolean;
  /** Clusters and instances the run created, and those still there after `finally`. */
  resources?: { created: TrackedResource[]; leaked: TrackedResource[] };
}

/** Folds one event into the record, in place. The first event must be `run-started`. */
export function applyEvent(record: RunRecord | undefined, event: RunEvent): RunRecord {
  if (event.type === 'run-started') {
    return {
      runId: event.runId,
      runbook: event.runbook,
      startedAt: event.startedAt,
      status: 'running',
      inputs: event.inputs,
      steps: event.steps.map((step) => ({ ...step, status: 'pending', attempts: 0, assertions: [] })),
      captures: {},
      runDir: event.runDir,
      ...(event.rerun ? { rerun: event.rerun } : {}),
      ...(event.skipFinally ? { skipFinally: true } : {}),
    };
  }
  if (!record) throw new Error(`event ${event.type} before run-started`);
  const step = 'stepId' in event ? record.steps.find((s) => s.id === event.stepId) : undefined;
  switch (event.type) {
    case 'step-started':
      if (step) {
        step.status = 'running';
        step.startedAt = event.startedAt;
      }
      break;
    case 'step-retry':
      if (step) step.attempts = event.attempt;
      break;
    case 'assertion':
      step?.assertions.push(event.assertion);
      break;
    case 'step-finished':
      if (step) {
        step.status = event.status;
        step.startedAt = event.startedAt;
        step.finishedAt = event.finishedAt;
        step.durationMs = event.durationMs;
        step.attempts = event.attempts;
        step.reason = event.reason;
        step.rendered = event.rendered;
        step.result = event.result;
        step.error = event.error;
        step.errorIgnored = event.errorIgnored;
        step.captures = event.captures;
        step.created = event.created;
        step.reconciled = event.reconciled;
        step.notRun = event.notRun;
        step.restoredFrom = event.restoredFrom;
        Object.assign(record.captures, event.captures ?? {});
      }
      break;
    case 'run-finished':
      record.status = event.status;
      record.finishedAt = event.finishedAt;
      record.durationMs = event.durationMs;
      record.exitCode = event.exitCode;
      break;
    case 'run-resumed':
      record.resumedAt = [...(record.resumedAt ?? []), event.resumedAt];
      break;
    case 'resources-checked':
      record.resources = { created: event.created, leaked: event.leaked };
      break;
    case 'step-progress':
      break;
  }
  return record;
}

/** The record without per-run noise (ids, times, durations, paths): for comparing two runs or golden files. */
export function stableRecord(record: RunRecord): unknown {
  return {
    runbook: record.runbook,
    status: record.status,
    exitCode: record.exitCode,
    inputs: record.inputs,
    captures: record.captures,
    steps: record.steps.map(({ startedAt: _s, finishedAt: _f, durationMs: _d, ...rest }) => rest),
  };
}
