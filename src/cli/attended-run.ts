/**
 * What `labrun run` and `labrun resume` do around the engine: Ctrl-C handling (first signal stops the current
 * step and runs finally, a second one skips finally), a hang-up that does not stop the run, the progress view, the --json and --junit files and the
 * summary. Returns the exit code.
 */
import { CRASH_ENV, parseCrashPoints, type CrashWhen } from '../engine/crash-points.js';
import type { RunEvent, RunEventListener, TrackedResource } from '../engine/events.js';
import type { RunResult } from '../engine/interpreter.js';
import { junitXml } from '../engine/junit.js';
import { writeFileAtomic, writeJsonAtomic } from '../engine/run-store.js';
import { EXIT } from './exit-codes.js';
import type { Output } from './output.js';
import { createProgress } from './progress.js';
import { printSummary } from './summary.js';

export interface RunControls {
  signal: AbortSignal;
  forceSignal: AbortSignal;
  onEvent: RunEventListener;
  crashAt?: ReadonlyMap<string, CrashWhen>;
}

export async function attendedRun(
  output: Output,
  flags: { json?: string; junit?: string },
  start: (controls: RunControls) => Promise<RunResult>,
  /** Events the view should see first, e.g. the original run-started of a resumed run. */
  replay: RunEvent[] = [],
): Promise<number> {
  const crashSpec = process.env[CRASH_ENV];
  const crashAt = crashSpec ? parseCrashPoints(crashSpec) : undefined;
  const interrupt = new AbortController();
  const force = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupt.signal.aborted) {
      output.err(`\nlabrun: ${signal}: stopping the current step, then running finally (again to skip it)`);
      interrupt.abort();
    } else if (!force.signal.aborted) {
      output.err(
        `\nlabrun: ${signal} again: skipping the rest of finally; what this run created may be left behind (listed at the end)`,
      );
      force.abort();
    }
  };
  // The terminal went away (SIGHUP): nobody is left to read, but the run is not stopped half way, which would
  // leave what it created behind; its writes fail from now on and are dropped (output.ts), and it finishes.
  let stopView = (): void => undefined;
  const onHangup = (): void => stopView();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  const progress = await createProgress(output);
  stopView = () => progress.stop();
  for (const event of replay) progress.listener(event);
  let result: RunResult;
  try {
    result = await start({
      signal: interrupt.signal,
      forceSignal: force.signal,
      onEvent: progress.listener,
      ...(crashAt ? { crashAt } : {}),
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onHangup);
  }
  const { record, recordPath } = result;
  if (flags.json) writeJsonAtomic(flags.json, record);
  if (flags.junit) writeFileAtomic(flags.junit, junitXml(record));
  printSummary(output, record, recordPath);
  if (record.resources && record.resources.leaked.length > 0) warnLeaked(output, record.resources.leaked);
  return record.exitCode ?? EXIT.internal;
}

/** Resources the run created that cleanup did not delete: billed until someone does, so said loudly. */
function warnLeaked(output: Output, leaked: TrackedResource[]): void {
  const c = output.color;
  output.err(
    c.yellow(
      `labrun: ${leaked.length === 1 ? 'a resource' : `${leaked.length} resources`} this run created ${leaked.length === 1 ? 'is' : 'are'} still there:`,
    ),
  );
  for (const r of leaked) {
    output.err(
      `  ${r.kind} ${r.id} (${r.state}${r.error ? `: ${r.error}` : ''}), created by step ${r.stepId}`,
    );
  }
  output.err('Delete them when done, e.g.:');
  for (const r of leaked) {
    output.err(
      r.kind === 'instance'
        ? `  aws rds delete-db-instance --db-instance-identifier ${r.id}`
        : `  aws rds delete-db-cluster --db-cluster-identifier ${r.id} --skip-final-snapshot`,
    );
  }
}
