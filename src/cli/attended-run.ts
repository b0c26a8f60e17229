/**
 * What `labrun run` and `labrun resume` do around the engine: Ctrl-C handling (first signal stops the current
 * step and runs finally, a second one skips finally), the progress view, the --json and --junit files and the
 * summary. Returns the exit code.
 */
import type { RunEvent, RunEventListener } from '../engine/events.js';
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
}

export async function attendedRun(
  output: Output,
  flags: { json?: string; junit?: string },
  start: (controls: RunControls) => Promise<RunResult>,
  /** Events the view should see first, e.g. the original run-started of a resumed run. */
  replay: RunEvent[] = [],
): Promise<number> {
  const interrupt = new AbortController();
  const force = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupt.signal.aborted) {
      output.err(`\nlabrun: ${signal}: stopping the current step, then running finally (again to skip it)`);
      interrupt.abort();
    } else {
      force.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = await createProgress(output);
  for (const event of replay) progress.listener(event);
  let result: RunResult;
  try {
    result = await start({ signal: interrupt.signal, forceSignal: force.signal, onEvent: progress.listener });
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { record, recordPath } = result;
  if (flags.json) writeJsonAtomic(flags.json, record);
  if (flags.junit) writeFileAtomic(flags.junit, junitXml(record));
  printSummary(output, record, recordPath);
  return record.exitCode ?? EXIT.internal;
}
