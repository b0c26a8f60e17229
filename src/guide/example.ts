/**
 * Example outputs from a recorded run (`runs/<runId>/record.json`, secrets already masked there): for each
 * step, the lines the guide's commands print: the captured values and the `ok` / `NOT OK` of each check.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledRunbook } from '../runbook/types.js';
import { capturedNamesOf } from '../steps/statics.js';
import type { GuideContext } from './context.js';
import { label } from './steps/sql.js';

/** A run that cannot serve as the example: unreadable, not a run record, or of another runbook. */
export class ExampleError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'ExampleError';
  }
}

interface RecordedStep {
  id: string;
  status?: string;
  result?: unknown;
  captures?: Record<string, unknown>;
  assertions?: Array<{ passed?: boolean; message?: string }>;
}

export interface ExampleRun {
  runId: string;
  steps: Map<string, RecordedStep>;
}

/** Reads RUN: a run directory or its record.json. */
export function readExampleRun(path: string, runbook: CompiledRunbook): ExampleRun {
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'record.json');
  } catch (error) {
    throw new ExampleError(
      `cannot read the example run ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'it is not JSON'
        : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    throw new ExampleError(
      `cannot read the example run ${file}: ${reason}`,
      'give a run directory (runs/<runId>) or its record.json',
    );
  }
  const record = data as { runId?: unknown; runbook?: { name?: unknown }; steps?: unknown };
  if (
    !record ||
    typeof record !== 'object' ||
    typeof record.runbook?.name !== 'string' ||
    !Array.isArray(record.steps)
  ) {
    throw new ExampleError(
      `${file} is not a labrun run record`,
      'give a run directory (runs/<runId>) or its record.json',
    );
  }
  if (record.runbook.name !== runbook.name) {
    throw new ExampleError(
      `the example run ${file} is a run of the runbook "${record.runbook.name}", not "${runbook.name}"`,
      `give a run of ${runbook.name}`,
    );
  }
  const steps = new Map<string, RecordedStep>();
  for (const step of record.steps as RecordedStep[])
    if (step && typeof step.id === 'string') steps.set(step.id, step);
  return { runId: typeof record.runId === 'string' ? record.runId : file, steps };
}

/** The example lines for each step the run passed through. */
export function exampleLines(run: ExampleRun, ctx: GuideContext): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  for (const step of [...ctx.runbook.steps, ...ctx.runbook.finally]) {
    const recorded = run.steps.get(step.id);
    if (!recorded || recorded.status === 'pending' || recorded.status === 'skipped') continue;
    const out: string[] = [];
    for (const { value: name } of capturedNamesOf(step)) {
      const value = recorded.captures?.[String(name)];
      if (value !== undefined) out.push(`${String(name)}: ${String(value)}`);
    }
    for (const wanted of ctx.wanted(step)) {
      const value = wanted.capture ? recorded.captures?.[wanted.capture] : at(recorded.result, wanted.path);
      if (value !== undefined)
        out.push(`${label(wanted)}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    }
    for (const assertion of recorded.assertions ?? []) {
      out.push(`${assertion.passed ? 'ok' : 'NOT OK'}: ${assertion.message ?? ''}`.trimEnd());
    }
    if (out.length > 0) lines.set(step.id, out);
  }
  return lines;
}

function at(value: unknown, path: string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
