/** Compiling a runbook for plan and run: diagnostics go to stderr and end the command with exit code 2. */
import { applyStrict } from '../../runbook/diagnostic.js';
import { compileRunbook, formatDiagnostics } from '../../runbook/index.js';
import type { CompiledRunbook } from '../../runbook/types.js';
import { CliExit, EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';

export async function loadRunbook(
  file: string,
  output: Output,
  options: { allowDestructive?: boolean; strict?: boolean } = {},
): Promise<CompiledRunbook> {
  const compiled = await compileRunbook(file, {
    guardDestructive: !options.allowDestructive,
  });
  const { runbook } = compiled;
  const diagnostics = applyStrict(compiled.diagnostics, options.strict);
  if (diagnostics.length > 0) output.err(formatDiagnostics(diagnostics));
  if (!runbook || diagnostics.some((d) => d.severity === 'error')) throw new CliExit(EXIT.usage);
  return runbook;
}

/** Said once per command when --allow-destructive turns the guard off. */
export function warnGuardOff(output: Output): void {
  output.err(
    `labrun: ${output.color.yellow('--allow-destructive')}: the destructive-step guard is off; steps may drop data and delete, backtrack or modify clusters and instances the runbook did not create or declare disposable`,
  );
}
