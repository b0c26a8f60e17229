/**
 * Resuming a run that was cut off (the process killed, the machine lost): its journal is folded back into a
 * record, every finished step keeps its result and captures, and the interpreter goes on from the first
 * unfinished step under the same run id, appending to the same journal. A step that was started but not
 * finished is settled before anything else runs: the runbook's `onResume` decides if it has one; otherwise a
 * step type that can look at the world reconciles it (an aws create whose cluster exists is adopted, a
 * sysbench prepare's half-made tables are cleaned up and the leftover process stopped, ...); otherwise a step
 * that changes nothing (reads, waits) runs again; anything else is refused before the run goes on.
 */
import { existsSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CompiledRunbook, CompiledStep } from '../runbook/types.js';
import { stepType } from '../steps/registry.js';
import { UsageError } from '../core/errors.js';
import type { ResumeSettings, RunEvent, RunStartedEvent } from './events.js';
import { executeRun, type RunOptions, type RunResult } from './interpreter.js';
import type { CutOff } from './step-runner.js';
import { applyEvent, type RunRecord } from './record.js';
import { runHolder } from './run-store.js';

export interface Journal {
  runDir: string;
  journalPath: string;
  events: RunEvent[];
  started: RunStartedEvent;
  finished: boolean;
  /** Settings recorded for resuming, if the run recorded them. */
  settings?: ResumeSettings;
}

/** Reads `<runDir>/journal.jsonl`; a last line cut off mid-write is ignored (and dropped before appending). */
export function readJournal(runDir: string): Journal {
  const journalPath = join(runDir, 'journal.jsonl');
  if (!existsSync(journalPath)) throw new UsageError(`${runDir}: no journal.jsonl, not a run directory`);
  const text = readFileSync(journalPath, 'utf8');
  const lines = text.split('\n');
  const events: RunEvent[] = [];
  for (const [index, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      // Only the last line can be torn (every line is fsynced before the next is written).
      if (index === lines.length - 1) break;
      throw new UsageError(`${journalPath}:${index + 1}: not a JSON line; the journal is damaged`);
    }
  }
  const started = events[0];
  if (started?.type !== 'run-started')
    throw new UsageError(`${journalPath}: does not start with run-started`);
  return {
    runDir,
    journalPath,
    events,
    started,
    finished: events.some((event) => event.type === 'run-finished'),
    ...(started.resume ? { settings: started.resume } : {}),
  };
}

/** Refuses a run whose process is still alive: two processes must never write one journal. */
export function assertNotRunning(runDir: string): void {
  const holder = runHolder(runDir);
  if (holder !== undefined) {
    throw new UsageError(
      `run ${basename(runDir)} is still running (process ${holder}); only a run whose process has ended can be resumed`,
      `Wait for it to end, or stop it (kill ${holder}), then resume.`,
    );
  }
}

/** The newest run in `runsDir` whose journal has no run-finished event and whose process has ended, or undefined. */
export function latestUnfinishedRun(runsDir: string): string | undefined {
  if (!existsSync(runsDir)) return undefined;
  const dirs = readdirSync(runsDir)
    .map((name) => join(runsDir, name))
    .filter((dir) => existsSync(join(dir, 'journal.jsonl')))
    .sort((a, b) => statSync(join(b, 'journal.jsonl')).mtimeMs - statSync(join(a, 'journal.jsonl')).mtimeMs);
  for (const dir of dirs) {
    if (runHolder(dir) !== undefined) continue;
    try {
      if (!readJournal(dir).finished) return dir;
    } catch {
      // A damaged journal is not a run that can be resumed.
    }
  }
  return undefined;
}

export type ResumeOptions = Omit<RunOptions, 'runId' | 'runsDir' | 'resume' | 'rerun' | 'skipFinally'>;

/**
 * Continues the run in `runDir` with `runbook` (compiled again from the same file). Refuses, with a
 * UsageError, a finished run, a runbook whose steps no longer match the journal's outline, and a changing
 * step that was cut off mid-way without `onResume`.
 */
export async function resumeRun(
  runbook: CompiledRunbook,
  runDir: string,
  options: ResumeOptions,
): Promise<RunResult> {
  assertNotRunning(runDir);
  const journal = readJournal(runDir);
  const { started } = journal;
  if (journal.finished) {
    throw new UsageError(
      `run ${started.runId} has finished; only an unfinished run can be resumed`,
      'Start a new run with: labrun run FILE',
    );
  }
  const all = [...runbook.steps, ...runbook.finally];
  const expected = started.steps.map(
    (step) => `${step.id}:${step.type}:${step.cleanup ? 'finally' : 'steps'}`,
  );
  const actual = all.map((step) => `${step.id}:${step.type}:${step.cleanup ? 'finally' : 'steps'}`);
  if (expected.join('\n') !== actual.join('\n')) {
    throw new UsageError(
      `${runbook.file}: its steps no longer match run ${started.runId} (recorded: ${started.steps.map((s) => s.id).join(', ')}; now: ${all.map((s) => s.id).join(', ')})`,
      'Resume only with the runbook the run started with, or start a new run.',
    );
  }

  let record: RunRecord | undefined;
  for (const event of journal.events) record = applyEvent(record, event);
  const skipCutOff = new Set<string>();
  const reconcileCutOff = new Map<string, CutOff>();
  for (const stepRecord of record!.steps) {
    if (stepRecord.status !== 'running') continue;
    const step = all.find((s) => s.id === stepRecord.id)!;
    const reconciler = stepType(step.type).reconciler?.(step);
    if (step.onResume === 'skip') skipCutOff.add(step.id);
    else if (step.onResume !== 'rerun' && reconciler) {
      reconcileCutOff.set(step.id, {
        at: Date.parse(stepRecord.startedAt ?? started.startedAt),
        pids: pidsOf(journal.events, step.id),
      });
    } else if (step.onResume !== 'rerun' && isMutating(step)) {
      throw new UsageError(
        `step ${step.id} (${step.type}) was cut off mid-way and may have changed something; labrun does not know whether it took effect, so it will not run it again`,
        `Check its effect by hand, then set \`onResume: rerun\` or \`onResume: skip\` on step ${step.id} and resume again.`,
      );
    }
    // Re-run: the step starts again from scratch; its earlier start stays in the journal.
    stepRecord.status = 'pending';
    stepRecord.assertions = [];
  }

  dropTornLine(journal.journalPath);
  return executeRun(
    runbook,
    { ...options, runsDir: dirname(runDir) },
    {
      runId: basename(runDir),
      startedAtMs: Date.parse(started.startedAt),
      record: record!,
      skipCutOff,
      reconcileCutOff,
    },
  );
}

/** Processes the step's last attempt started, from its progress events after its last start. */
function pidsOf(events: RunEvent[], stepId: string): number[] {
  let pids: number[] = [];
  for (const event of events) {
    if (event.type === 'step-started' && event.stepId === stepId) pids = [];
    if (event.type === 'step-progress' && event.stepId === stepId && typeof event.pid === 'number')
      pids.push(event.pid);
  }
  return pids;
}

function isMutating(step: CompiledStep): boolean {
  const type = stepType(step.type);
  return typeof type.mutating === 'function' ? type.mutating(step) : type.mutating;
}

/** Cuts a last line without its newline (the process died writing it) so appended events start clean. */
function dropTornLine(path: string): void {
  const text = readFileSync(path, 'utf8');
  if (text === '' || text.endsWith('\n')) return;
  truncateSync(path, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
}
