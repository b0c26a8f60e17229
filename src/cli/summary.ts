/** The end of a run on the terminal: captured values, assertion results, the verdict and the record's path. */
import { formatDuration } from '../core/clock.js';
import type { RunRecord } from '../engine/record.js';
import { inline, type Output } from './output.js';

export function printSummary(output: Output, record: RunRecord, recordPath: string): void {
  const c = output.color;
  printCapturesAndAssertions(output, record);
  const count = (status: string): number => record.steps.filter((s) => s.status === status).length;
  if (record.rerun) {
    const restored = record.rerun.restored.length;
    output.out();
    output.out(
      `Continued run ${record.rerun.source}: ${restored} step${restored === 1 ? '' : 's'} restored from it, not run again`,
    );
  }
  const verdict =
    record.status === 'passed'
      ? c.green('passed')
      : record.status === 'interrupted'
        ? c.yellow('interrupted')
        : c.red('failed');
  output.out();
  output.out(
    `Run ${verdict} in ${formatDuration(record.durationMs ?? 0)}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`,
  );
  output.out(`Record: ${recordPath}`);
}

/** The captured values and the assertion results of a run (a failed one with both sides), as `run` ends. */
export function printCapturesAndAssertions(output: Output, record: RunRecord): void {
  const c = output.color;
  const captures = Object.entries(record.captures);
  if (captures.length > 0) {
    output.out();
    output.out(c.bold('Captured values'));
    const width = Math.max(...captures.map(([name]) => name.length));
    for (const [name, value] of captures) output.out(`  ${name.padEnd(width)}  ${inline(value)}`);
  }
  const assertions = record.steps.flatMap((step) => step.assertions.map((a) => ({ step: step.id, ...a })));
  if (assertions.length > 0) {
    output.out();
    output.out(c.bold('Assertions'));
    for (const a of assertions) {
      const mark = a.passed ? c.green('✔') : c.red('✘');
      const text = a.message ?? `${inline(a.actual, 40)} ${a.operator} ${inline(a.expected, 40)}`;
      output.out(`  ${mark} ${a.step}: ${text}`);
      if (!a.passed) {
        output.out(`      actual:   ${inline(a.actual)}`);
        output.out(`      ${a.operator.padEnd(9)} ${inline(a.expected)}`);
        if (a.problem) output.out(`      problem:  ${a.problem}`);
      }
    }
  }
}
