/**
 * Everything the CLI writes goes through here: results to stdout, problems to stderr, colour only on a
 * terminal (and never when NO_COLOR is set).
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
  return {
    out: (line = '') => process.stdout.write(`${line}\n`),
    err: (line = '') => process.stderr.write(`${line}\n`),
    color: pc.createColors(colored),
    // A pseudo-terminal without a size (columns 0) would make spinner redraws loop; treat it as a log.
    interactive: tty && !process.env.CI && process.env.TERM !== 'dumb' && (process.stdout.columns ?? 0) > 0,
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
