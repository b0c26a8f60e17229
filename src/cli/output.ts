/**
 * Everything the CLI writes goes through here: results to stdout, problems to stderr, colour only on a
 * terminal (and never when NO_COLOR is set). A stream whose reader went away (EPIPE: `labrun run … | head`;
 * EIO: the terminal closed) is written to no more, and the run goes on: a run stopped half way by its own
 * output would leave what it created behind, billed by the hour. What it would have said is in the record.
 */
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;
import type { StepErrorRecord } from '../engine/events.js';

export interface Output {
  out(line?: string): void;
  err(line?: string): void;
  color: Colors;
  /** True when progress can be animated: stdout is a terminal and this is not CI. */
  interactive: boolean;
}

export function processOutput(): Output {
  const tty = Boolean(process.stdout.isTTY);
  const colored = tty && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  const out = closableWriter(process.stdout);
  const err = closableWriter(process.stderr);
  return {
    out: (line = '') => out(`${line}\n`),
    err: (line = '') => err(`${line}\n`),
    color: pc.createColors(colored),
    // A pseudo-terminal without a size (columns 0) would make spinner redraws loop; treat it as a log.
    interactive: tty && !process.env.CI && process.env.TERM !== 'dumb' && (process.stdout.columns ?? 0) > 0,
  };
}

/**
 * Writes to `stream` until it fails: the first error (EPIPE, EIO, or any other) closes it for good. The
 * listener stays, so that a write already queued when the reader left, or one made by another writer of the
 * stream (the spinner), fails quietly instead of as an unhandled 'error' event that ends the process.
 */
export function closableWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let open = true;
  stream.on('error', () => {
    open = false;
  });
  return (text) => {
    if (!open || stream.destroyed || !stream.writable) return;
    try {
      stream.write(text);
    } catch {
      open = false;
    }
  };
}

/** `FILE:LINE:COL: step <id>: message` and an indented hint, as compilers print errors. */
export function stepErrorLines(output: Output, stepId: string, error: StepErrorRecord): string[] {
  const c = output.color;
  const where = error.span ? `${error.span}: ` : '';
  const [first = '', ...rest] = error.message.split('\n');
  const lines = [`${where}${c.red('step')} ${c.bold(stepId)}: ${first}`, ...rest.map((l) => `    ${l}`)];
  if (error.hint) lines.push(`  ${c.cyan('hint')}: ${error.hint}`);
  return lines;
}

/** A value as it reads in one line: strings bare, everything else as JSON, long ones cut. */
export function inline(value: unknown, max = 120): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
