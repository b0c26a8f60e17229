/**
 * The terminal view of a run, built from the engine's events: on an interactive terminal an ora spinner
 * per step with the elapsed time and a wait's last observed value; otherwise (CI, pipes, files) one plain
 * line per finished step, e.g. `[4/30] clone-wait-cluster ... passed (4.2s)`.
 */
import type { Ora } from 'ora';
import { formatDuration } from '../core/clock.js';
import type { RunEvent, RunEventListener, StepFinishedEvent } from '../engine/events.js';
import { inline, stepErrorLines, type Output } from './output.js';

export interface ProgressView {
  listener: RunEventListener;
  /** Stops any animation; call before printing anything else. */
  stop(): void;
}

export async function createProgress(output: Output): Promise<ProgressView> {
  const c = output.color;
  const positions = new Map<string, number>();
  let total = 0;
  let spinner: Ora | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let current: { id: string; started: number; detail: string } | undefined;
  let lastObserved: string | undefined;
  const ora = output.interactive ? (await import('ora')).default : undefined;

  const label = (id: string): string => `[${positions.get(id) ?? '?'}/${total}] ${id}`;
  const spinnerText = (): string =>
    current
      ? `${label(current.id)} ${c.dim(`${Math.floor((Date.now() - current.started) / 1000)}s`)}${current.detail ? ` ${current.detail}` : ''}`
      : '';

  /** Steps restored from an earlier run, not yet told. */
  let restored: { source: string; first: string; last: string; count: number } | undefined;
  const flushRestored = (): void => {
    if (!restored) return;
    const { source, first, last, count } = restored;
    const span =
      count === 1
        ? `[${positions.get(first) ?? '?'}/${total}] ${first}`
        : `[${positions.get(first) ?? '?'}-${positions.get(last) ?? '?'}/${total}] ${first} … ${last}`;
    output.out(
      `${span} ... ${c.dim(`restored from run ${source} (${count} step${count === 1 ? '' : 's'}, not run again)`)}`,
    );
    restored = undefined;
  };

  const finished = (event: StepFinishedEvent): void => {
    const time = event.status === 'skipped' ? '' : ` (${formatDuration(event.durationMs)})`;
    let verdict: string;
    if (event.restoredFrom) {
      // Not run here: the outcome of an earlier run (labrun run --from), told in one line for all of them.
      if (restored && restored.source === event.restoredFrom) {
        restored.last = event.stepId;
        restored.count += 1;
      } else {
        flushRestored();
        restored = { source: event.restoredFrom, first: event.stepId, last: event.stepId, count: 1 };
      }
      return;
    }
    flushRestored();
    if (event.status === 'passed') {
      verdict = event.errorIgnored ? `${c.green('passed')}, ignored ${event.error?.code}` : c.green('passed');
    } else if (event.status === 'failed') {
      verdict = c.red('failed');
    } else {
      verdict = `${c.yellow('skipped')}${event.reason ? ` (${event.reason})` : ''}`;
    }
    const line = `${label(event.stepId)} ... ${verdict}${time}`;
    if (spinner && current?.id === event.stepId) {
      if (event.status === 'passed') spinner.succeed(line);
      else if (event.status === 'failed') spinner.fail(line);
      else spinner.info(line);
      spinner = undefined;
    } else {
      output.out(line);
    }
    if (ticker) clearInterval(ticker);
    ticker = undefined;
    current = undefined;
    if (event.status === 'failed' && event.error) {
      for (const l of stepErrorLines(output, event.stepId, event.error)) output.err(l);
    }
  };

  const listener = (event: RunEvent): void => {
    switch (event.type) {
      case 'run-started':
        total = event.steps.length;
        event.steps.forEach((s, i) => positions.set(s.id, i + 1));
        output.out(
          `${c.bold(event.runbook.title ?? event.runbook.name)} ${c.dim(`(${event.runbook.file}, run ${event.runId})`)}`,
        );
        break;
      case 'step-started':
        flushRestored();
        current = { id: event.stepId, started: Date.now(), detail: '' };
        lastObserved = undefined;
        if (ora) {
          spinner = ora({ text: spinnerText(), stream: process.stdout }).start();
          ticker = setInterval(() => {
            if (spinner) spinner.text = spinnerText();
          }, 1000);
        }
        break;
      case 'step-progress': {
        const shown =
          event.observed !== undefined
            ? inline(event.observed, 60)
            : event.message
              ? inline(event.message, 60)
              : '';
        if (current && current.id === event.stepId) current.detail = c.cyan(shown);
        if (spinner) {
          spinner.text = spinnerText();
        } else if (event.observed !== undefined && shown !== lastObserved) {
          // In a log, a line per change of the observed value tells the story without flooding it.
          output.out(`      ${event.stepId}: ${shown} after ${formatDuration(event.elapsedMs)}`);
        }
        if (event.observed !== undefined) lastObserved = shown;
        break;
      }
      case 'step-retry': {
        const line = `      ${event.stepId}: attempt ${event.attempt} failed (${event.error.code}), retrying in ${formatDuration(event.delayMs)}`;
        if (spinner) spinner.text = `${spinnerText()} ${c.yellow(`retry after ${event.error.code}`)}`;
        else output.out(line);
        break;
      }
      case 'step-finished':
        finished(event);
        break;
      case 'run-finished':
        flushRestored();
        break;
      case 'assertion':
        break;
    }
  };

  return {
    listener,
    stop() {
      flushRestored();
      if (ticker) clearInterval(ticker);
      spinner?.stop();
      spinner = undefined;
    },
  };
}
