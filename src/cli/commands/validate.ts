/** `labrun validate FILE...`: diagnostics for each file, "ok" for each valid one; exit 2 if any is invalid. */
import { compileRunbook, formatDiagnostics } from '../../runbook/index.js';
import { EXIT } from '../exit-codes.js';
import type { Output } from '../output.js';
import { warnGuardOff } from './load.js';

export async function validateCommand(
  files: string[],
  output: Output,
  flags: { allowDestructive?: boolean } = {},
): Promise<number> {
  let invalid = 0;
  if (flags.allowDestructive) warnGuardOff(output);
  for (const file of files) {
    const { diagnostics } = await compileRunbook(file, { guardDestructive: !flags.allowDestructive });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (diagnostics.length > 0) output.err(formatDiagnostics(diagnostics));
    if (errors.length > 0) {
      invalid += 1;
    } else {
      const warnings = diagnostics.length;
      output.out(`ok ${file}${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`);
    }
  }
  if (invalid > 0 && files.length > 1) output.err(`${invalid} of ${files.length} files are invalid`);
  return invalid > 0 ? EXIT.usage : EXIT.passed;
}
