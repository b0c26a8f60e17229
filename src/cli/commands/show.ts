/**
 * `labrun show RUN [STEP]`: what a run did, read from its journal (always current, also while the run goes
 * on): its summary (status, inputs, each step's outcome, captured values, assertions), or one step's rendered
 * input, result, captures, assertions and error. `--json` prints the record or the step record instead.
 * Everything shown was masked when the run wrote it: secrets appear as `****`. Read only: RUN must be a run
 * id or a run directory inside the runs dir, as for `labrun resume`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { formatDuration } from '../../core/clock.js';
import { UsageError } from '../../core/errors.js';
import { applyEvent, type RunRecord, type StepRecord } from '../../engine/record.js';
import { readJournal } from '../../engine/resume.js';
import { didYouMean } from '../../runbook/did-you-mean.js';
import { EXIT } from '../exit-codes.js';
import { inline, stepErrorLines, type Output } from '../output.js';
import { findRunDir } from '../run-dirs.js';
import { printCapturesAndAssertions } from '../summary.js';

export interface ShowFlags {
  runsDir: string;
  json?: boolean;
}

/** Longest pretty-printed value shown, in lines; --json prints all of it. */
const MAX_LINES = 200;

export async function showCommand(
  run: string,
  stepId: string | undefined,
  flags: ShowFlags,
  output: Output,
): Promise<number> {
  const runDir = locate(run, flags.runsDir);
  const record = foldJournal(runDir);
  if (stepId === undefined) {
    if (flags.json) output.out(JSON.stringify(record, null, 2));
    else showRun(output, record, runDir);
    return EXIT.passed;
  }
  const step = record.steps.find((s) => s.id === stepId);
  if (!step) {
    const ids = record.steps.map((s) => s.id);
    throw new UsageError(
      `run ${record.runId} has no step ${stepId}`,
      didYouMean(stepId, ids) ?? `Its steps: ${ids.join(', ')}.`,
    );
  }
  if (flags.json) output.out(JSON.stringify(step, null, 2));
  else showStep(output, record, step);
  return EXIT.passed;
}

/** `latest` (when no run is called so) is the newest run in the runs dir. */
function locate(run: string, runsDir: string): string {
  if (run === 'latest' && !existsSync(join(runsDir, run))) {
    const newest = existsSync(runsDir)
      ? readdirSync(runsDir)
          .map((name) => join(runsDir, name))
          .filter((dir) => existsSync(join(dir, 'journal.jsonl')))
          .sort((a, b) => mtime(b) - mtime(a))[0]
      : undefined;
    if (!newest) throw new UsageError(`no run in ${runsDir}`, 'Name the runs dir: --runs-dir DIR');
    return newest;
  }
  return findRunDir(run, runsDir, (name) => `labrun show ${name}`);
}

function mtime(dir: string): number {
  return statSync(join(dir, 'journal.jsonl')).mtimeMs;
}

function foldJournal(runDir: string): RunRecord {
  let record: RunRecord | undefined;
  for (const event of readJournal(runDir).events) record = applyEvent(record, event);
  return record!;
}

function showRun(output: Output, record: RunRecord, runDir: string): void {
  const c = output.color;
  output.out(
    `${c.bold(record.runbook.title ?? record.runbook.name)} ${c.dim(`(${record.runbook.file}, run ${record.runId})`)}`,
  );
  const took = record.durationMs === undefined ? '' : ` in ${formatDuration(record.durationMs)}`;
  const exit = record.exitCode === undefined ? '' : ` (exit ${record.exitCode})`;
  output.out(`${status(output, record.status)}${exit}${took}, started ${record.startedAt}`);
  if (record.status === 'running') {
    output.out(c.dim('  (still running, or cut off: labrun resume continues a run whose process has ended)'));
  }
  if (record.rerun) {
    const { rerun } = record;
    output.out(
      `Continues run ${rerun.source} ${rerun.only ? `with step ${rerun.from} alone${rerun.finally ? ' and finally' : ''}` : `from step ${rerun.from}`}: ${restoredText(rerun.restored)}`,
    );
  }
  for (const at of record.resumedAt ?? []) output.out(`Resumed at ${at}`);

  const inputs = Object.entries(record.inputs);
  if (inputs.length > 0) {
    output.out();
    output.out(c.bold('Inputs'));
    const width = Math.max(...inputs.map(([name]) => name.length));
    for (const [name, value] of inputs) output.out(`  ${name.padEnd(width)}  ${inline(value)}`);
  }

  output.out();
  output.out(c.bold('Steps'));
  const total = record.steps.length;
  const idWidth = Math.max(...record.steps.map((s) => s.id.length));
  const mainCount = record.steps.filter((s) => !s.cleanup).length;
  record.steps.forEach((step, i) => {
    if (i === mainCount && i < total) output.out(c.dim('  finally:'));
    const position = `[${i + 1}/${total}]`.padEnd(String(total).length * 2 + 3);
    const note = stepNote(step);
    const shown = note
      ? `${status(output, step.status)}${' '.repeat(Math.max(0, 7 - step.status.length))}  ${c.dim(note)}`
      : status(output, step.status);
    output.out(`  ${position} ${step.id.padEnd(idWidth)}  ${shown}`);
    if (step.status === 'failed' && step.error) {
      output.out(
        `      ${inline(`${step.error.span ? `${step.error.span}: ` : ''}${step.error.message}`, 160)}`,
      );
    }
  });

  printCapturesAndAssertions(output, record);
  const leaked = record.resources?.leaked ?? [];
  if (leaked.length > 0) {
    output.out();
    output.out(c.bold(c.yellow('Left behind')));
    for (const r of leaked) output.out(`  ${r.kind} ${r.id} (${r.state}), created by step ${r.stepId}`);
  }
  output.out();
  const recordPath = join(runDir, 'record.json');
  output.out(existsSync(recordPath) ? `Record: ${recordPath}` : `Journal: ${join(runDir, 'journal.jsonl')}`);
  output.out(c.dim(`One step: labrun show ${basename(runDir)} STEP`));
}

function showStep(output: Output, record: RunRecord, step: StepRecord): void {
  const c = output.color;
  const took =
    step.durationMs === undefined || step.status === 'skipped'
      ? ''
      : ` in ${formatDuration(step.durationMs)}`;
  const attempts = step.attempts > 1 ? `, ${step.attempts} attempts` : '';
  output.out(
    `${c.bold(`Step ${step.id}`)} (${step.type}${step.cleanup ? ', finally' : ''}) of run ${record.runId}: ${status(output, step.status)}${took}${attempts}`,
  );
  if (step.title) output.out(`  ${step.title}`);
  output.out(`  at ${step.span}`);
  if (step.startedAt) output.out(`  started ${step.startedAt}`);
  if (step.reason) output.out(`  skipped: ${step.reason}`);
  if (step.restoredFrom) output.out(`  restored from run ${step.restoredFrom} (it did not run in this run)`);
  if (step.reconciled) output.out(`  settled on resume: ${step.reconciled}`);
  if (step.errorIgnored && step.error) output.out(`  ignored error ${step.error.code}`);

  section(output, 'Input (rendered)', step.rendered);
  section(output, 'Result', step.result);
  const captures = Object.entries(step.captures ?? {});
  if (captures.length > 0) {
    output.out();
    output.out(c.bold('Captures'));
    const width = Math.max(...captures.map(([name]) => name.length));
    for (const [name, value] of captures) output.out(`  ${name.padEnd(width)}  ${inline(value)}`);
  }
  if (step.assertions.length > 0) {
    output.out();
    output.out(c.bold('Assertions'));
    for (const a of step.assertions) {
      const mark = a.passed ? c.green('✔') : c.red('✘');
      output.out(`  ${mark} ${a.message ?? `${a.operator}`}${a.span ? c.dim(` (${a.span})`) : ''}`);
      output.out(`      actual:   ${inline(a.actual)}`);
      output.out(`      ${a.operator.padEnd(9)} ${inline(a.expected)}`);
      if (a.problem) output.out(`      problem:  ${a.problem}`);
    }
  }
  for (const created of step.created ?? []) {
    if (created === step.created?.[0]) {
      output.out();
      output.out(c.bold('Created'));
    }
    output.out(`  ${created.kind} ${created.id}`);
  }
  if (step.error && !step.errorIgnored) {
    output.out();
    output.out(c.bold('Error'));
    for (const line of stepErrorLines(output, step.id, step.error)) output.out(`  ${line}`);
  }
  if (step.status === 'pending') output.out(c.dim('\n  The run has not reached this step.'));
  if (step.status === 'running') output.out(c.dim('\n  Started, not finished (still running, or cut off).'));
}

/** A value pretty-printed as indented JSON, cut after MAX_LINES lines. */
function section(output: Output, title: string, value: unknown): void {
  if (value === undefined) return;
  output.out();
  output.out(output.color.bold(title));
  const lines = (typeof value === 'string' ? value : JSON.stringify(value, null, 2)).split('\n');
  for (const line of lines.slice(0, MAX_LINES)) output.out(`  ${line}`);
  if (lines.length > MAX_LINES) {
    output.out(output.color.dim(`  … ${lines.length - MAX_LINES} more lines (--json prints all)`));
  }
}

function restoredText(ids: string[]): string {
  if (ids.length === 0) return 'nothing restored';
  const which =
    ids.length === 1 ? ids[0] : ids.length === 2 ? ids.join(' and ') : `${ids[0]} … ${ids[ids.length - 1]}`;
  return `${ids.length} step${ids.length === 1 ? '' : 's'} (${which}) restored from it, not run again`;
}

function stepNote(step: StepRecord): string {
  if (step.restoredFrom) return `restored from ${step.restoredFrom}`;
  if (step.status === 'skipped') return step.reason ?? '';
  if (step.status === 'pending') return 'not reached';
  const parts: string[] = [];
  if (step.durationMs !== undefined && step.status !== 'running') parts.push(formatDuration(step.durationMs));
  if (step.attempts > 1) parts.push(`${step.attempts} attempts`);
  if (step.errorIgnored && step.error) parts.push(`ignored ${step.error.code}`);
  if (step.reconciled) parts.push(`resumed: ${step.reconciled}`);
  return parts.join(', ');
}

function status(output: Output, value: string): string {
  const c = output.color;
  if (value === 'passed') return c.green(value);
  if (value === 'failed') return c.red(value);
  if (value === 'skipped' || value === 'interrupted') return c.yellow(value);
  return c.dim(value);
}
