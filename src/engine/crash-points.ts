/**
 * Crash injection for testing recovery: `LABRUN_CRASH_AT=<step>:<when>[,<step>:<when>...]` makes the runner
 * kill itself with SIGKILL (no finally, no record written, exactly like the OOM killer or a lost machine) at
 * the first of those points it reaches, so that `labrun resume` can be proven against every point of a real
 * lab:
 *
 * - `start`: the step's start is in the journal; nothing of it has run yet (a step boundary).
 * - `end`: the step's action has completed (the AWS call answered, the statement ran, the process exited)
 *   but its result is not in the journal: the world changed and the run does not know.
 * - `<n>ms` or `<n>s`: n after the step started, wherever it is by then (mid-call, mid-poll, mid-process).
 */
import { parseDuration } from '../runbook/duration.js';
import { UsageError } from '../core/errors.js';

export type CrashWhen = 'start' | 'end' | number;

export interface CrashPoint {
  stepId: string;
  when: CrashWhen;
}

export const CRASH_ENV = 'LABRUN_CRASH_AT';

/** Parses a comma-separated list of `<step>:<start|end|duration>`; one point per step. */
export function parseCrashPoints(text: string): Map<string, CrashWhen> {
  const points = new Map<string, CrashWhen>();
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const point = parseCrashPoint(part.trim());
    points.set(point.stepId, point.when);
  }
  return points;
}

/** Parses `<step>:<start|end|duration>`. */
export function parseCrashPoint(text: string): CrashPoint {
  const colon = text.lastIndexOf(':');
  const stepId = colon < 0 ? '' : text.slice(0, colon);
  const when = colon < 0 ? '' : text.slice(colon + 1);
  const usage = `${CRASH_ENV}=${JSON.stringify(text)} is not <step>:<start|end|duration>, e.g. clone-create:end or reprepare:300ms`;
  if (stepId === '' || when === '') throw new UsageError(usage);
  if (when === 'start' || when === 'end') return { stepId, when };
  try {
    return { stepId, when: parseDuration(when) };
  } catch {
    throw new UsageError(usage);
  }
}

/** Dies at once, the way a crash does: no handlers, no flushing beyond what is already on disk. */
export function crashNow(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL is not delivered synchronously everywhere; nothing may run after this point.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
